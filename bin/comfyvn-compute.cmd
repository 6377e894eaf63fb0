@echo off
rem Windows launcher for ComfyVN Compute (the bash script bin/comfyvn-compute is the tested one).
rem Builds target\comfyvn-compute.jar with Maven when it is missing, then runs the CLI:
rem   bin\comfyvn-compute.cmd serve [--port N] [--home DIR]
setlocal
set "ROOT=%~dp0.."
if not exist "%ROOT%\target\comfyvn-compute.jar" (
  pushd "%ROOT%"
  call mvn -B -q -DskipTests -Dspotless.check.skip=true package
  if errorlevel 1 ( popd & exit /b 1 )
  popd
)
java -jar "%ROOT%\target\comfyvn-compute.jar" %*
