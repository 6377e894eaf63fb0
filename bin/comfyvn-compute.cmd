@echo off
rem Windows launcher for ComfyVN Compute (the bash script bin/comfyvn-compute is the tested one).
rem Builds service\target\comfyvn-compute.jar and fakes\target\comfyvn-fakes.jar with Maven when
rem one is missing, then runs the CLI from a copy in target\run\ (refreshed when the built jar is
rem newer and no process holds the copy), so a build never replaces the jar a running process
rem uses. 'fake-providers' runs the fakes jar, everything else the service jar. Settings live in
rem the home folder (--home, %COMFYVN_HOME%, else %USERPROFILE%\.comfyvn-compute), never in the
rem repository.
rem   bin\comfyvn-compute.cmd serve [--port N] [--home DIR]
setlocal
set "ROOT=%~dp0.."
set "JAR=%ROOT%\service\target\comfyvn-compute.jar"
set "RUN=%ROOT%\target\run\comfyvn-compute.jar"
if "%~1"=="fake-providers" (
  set "JAR=%ROOT%\fakes\target\comfyvn-fakes.jar"
  set "RUN=%ROOT%\target\run\comfyvn-fakes.jar"
)
set "BUILD="
if not exist "%ROOT%\service\target\comfyvn-compute.jar" set "BUILD=1"
if not exist "%ROOT%\fakes\target\comfyvn-fakes.jar" set "BUILD=1"
if defined BUILD (
  pushd "%ROOT%"
  call mvn -B -q -DskipTests -Dspotless.check.skip=true -pl service,fakes -am package
  if errorlevel 1 ( popd & exit /b 1 )
  popd
)
if not exist "%ROOT%\target\run" mkdir "%ROOT%\target\run"
xcopy /D /Y /Q "%JAR%" "%ROOT%\target\run\" >nul 2>&1
java -jar "%RUN%" %*
