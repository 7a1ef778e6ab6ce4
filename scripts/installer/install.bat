@echo off
rem Install SafeDesk for this user from this kit: no internet, no administrator rights, no PowerShell.
rem This script only finds a Python; every other decision is made by setup\safedesk_setup.py,
rem the same one install.ps1 runs. Kept to ASCII, so the console's code page cannot garble it.
setlocal EnableExtensions DisableDelayedExpansion
set "SETUP=%~dp0setup\safedesk_setup.py"
set "CHOSEN="
set "FIRST="
set "STORE="

rem Each test reads ERRORLEVEL on its own line, never "a && b": the same on every cmd.exe, and on
rem Wine's, whose "&&" runs b even after a fails (scripts/wine_smoke.py runs this file there).
set "LAUNCHER="
where py >nul 2>nul
if not errorlevel 1 set "LAUNCHER=1"

rem The py launcher, for each supported version in turn.
if defined LAUNCHER for %%V in (3.14 3.13 3.12 3.11) do if not defined CHOSEN call :probe_launcher %%V

rem Then python and python3 on PATH, never the Microsoft Store's stub or Store Python in WindowsApps.
if not defined CHOSEN for /f "delims=" %%P in ('where python python3 2^>nul') do if not defined CHOSEN call :probe "%%P"

rem Any other Python the launcher knows, so an unsupported one can say why it is not used.
if not defined CHOSEN if not defined FIRST if defined LAUNCHER set "FIRST=py -3"

if defined CHOSEN (
  %CHOSEN% "%SETUP%" install
  goto :end
)
if defined FIRST (
  rem Run the check again where it can be read: it says why this Python cannot be used.
  %FIRST% "%SETUP%" check
  goto :fail
)
if defined STORE (
  echo The only Python here comes from the Microsoft Store, which SafeDesk cannot use: its files live in a
  echo private sandbox, so the records could be deleted when that app is reset. Install Python 3.11 or newer
  echo from python.org ^('Install for me only' needs no administrator rights^), then run this again.
  goto :fail
)
echo SafeDesk needs Python 3.11 or newer ^(64-bit^) and none was found. Install it from python.org
echo ^('Install for me only' needs no administrator rights^) or ask your IT team, then run this again.
goto :fail

:probe_launcher
py -%1 "%SETUP%" check >nul 2>nul
if not errorlevel 1 set "CHOSEN=py -%1"
exit /b 0

:probe
rem A path in ...\WindowsApps\ is the Store's stub or a Store Python: noted, never run. Compared by
rem cutting "\WindowsApps\" out (case-insensitive), not with findstr, which reads \" as a quote.
set "CANDIDATE=%~1"
set "OUTSIDE=%CANDIDATE:\WindowsApps\=%"
if not "%OUTSIDE%"=="%CANDIDATE%" (set "STORE=1" & exit /b 0)
"%~1" "%SETUP%" check >nul 2>nul
if not errorlevel 1 (set CHOSEN="%~1") else if not defined FIRST set FIRST="%~1"
exit /b 0

:fail
set "CODE=1"
goto :finish
:end
set "CODE=%ERRORLEVEL%"
:finish
rem A double-clicked window would close before its last line could be read.
pause
endlocal & exit /b %CODE%
