@echo off
rem Windows launcher for ComfyVN Compute (the bash script bin/comfyvn-compute is the tested one).
rem Builds target\comfyvn-compute.jar with Maven when it is missing, then runs the CLI from a copy
rem in target\run\ (refreshed when the built jar is newer and no process holds the copy), so a
rem build never replaces the jar a running process uses. Settings live in the home folder
rem (--home, %COMFYVN_HOME%, else %USERPROFILE%\.comfyvn-compute), never in the repository.
rem   bin\comfyvn-compute.cmd serve [--port N] [--home DIR]
setlocal
set "ROOT=%~dp0.."
if not exist "%ROOT%\target\comfyvn-compute.jar" (
  pushd "%ROOT%"
  call mvn -B -q -DskipTests -Dspotless.check.skip=true package
  if errorlevel 1 ( popd & exit /b 1 )
  popd
)
if not exist "%ROOT%\target\run" mkdir "%ROOT%\target\run"
xcopy /D /Y /Q "%ROOT%\target\comfyvn-compute.jar" "%ROOT%\target\run\" >nul 2>&1
java -jar "%ROOT%\target\run\comfyvn-compute.jar" %*
