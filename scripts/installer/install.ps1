# Install SafeDesk for this user from this kit: no internet, no administrator rights.
# Right-click > Run with PowerShell, or: powershell -ExecutionPolicy Bypass -File install.ps1
# Works in Windows PowerShell 5.1 and PowerShell 7. This script only finds a Python; every
# other decision is made by setup\safedesk_setup.py, the same one install.bat runs.
# Kept to ASCII: Windows PowerShell 5.1 reads a file without a byte order mark in the ANSI code page.
$ErrorActionPreference = 'Stop'
$kit = $PSScriptRoot
$setup = Join-Path $kit 'setup\safedesk_setup.py'

function Invoke-Probe([string]$exe, [string[]]$pre, [string[]]$rest) {
  # A failing probe is an answer, not an error: Windows PowerShell 5.1 turns a native program's
  # stderr into a terminating error under 'Stop', so probes run with 'Continue' in this scope only.
  $ErrorActionPreference = 'Continue'
  try {
    & $exe @pre @rest 2>$null | Out-Null
    return $LASTEXITCODE
  } catch {
    return -1
  }
}

# Candidates in order: the py launcher for each supported version, then python/python3 on PATH.
# The third item says whether a 'no' from it explains itself: 'py -3.14' without a 3.14 only
# says the launcher has none, so, as in install.bat, it is never the one asked to explain.
$candidates = @()
if (Get-Command py -CommandType Application -ErrorAction SilentlyContinue) {
  foreach ($v in @('-3.14', '-3.13', '-3.12', '-3.11')) { $candidates += , @('py', @($v), $false) }
}
$storeSeen = $false
foreach ($name in @('python', 'python3')) {
  foreach ($found in @(Get-Command $name -CommandType Application -All -ErrorAction SilentlyContinue)) {
    # %LOCALAPPDATA%\Microsoft\WindowsApps\python.exe is the Store's stub (it opens the Store) or a
    # Store Python: neither is run.
    if ($found.Source -like '*\WindowsApps\*') { $storeSeen = $true; continue }
    $candidates += , @($found.Source, @(), $true)
  }
}
if (Get-Command py -CommandType Application -ErrorAction SilentlyContinue) {
  # Any other Python the launcher knows, so an unsupported one can say why it is not used.
  $candidates += , @('py', @('-3'), $true)
}

function Stop-Install([int]$code) {
  # "Run with PowerShell" closes its window on exit, before the last lines could be read.
  Read-Host 'Press Enter to close' | Out-Null
  exit $code
}

$chosen = $null
$first = $null
foreach ($c in $candidates) {
  $code = Invoke-Probe $c[0] $c[1] @($setup, 'check')
  if ($code -eq 0) { $chosen = $c; break }
  if ($code -ge 0 -and $c[2] -and -not $first) { $first = $c }
}

if ($chosen) {
  $pre = $chosen[1]
  & $chosen[0] @pre $setup install
  Stop-Install $LASTEXITCODE
}
if ($first) {
  # Run the check again where it can be read: it says why this Python cannot be used.
  $pre = $first[1]
  & $first[0] @pre $setup check
  Stop-Install 1
}
if ($storeSeen) {
  Write-Host 'The only Python here comes from the Microsoft Store, which SafeDesk cannot use: its files live in a'
  Write-Host 'private sandbox, so the records could be deleted when that app is reset. Install Python 3.11 or newer'
  Write-Host "from python.org ('Install for me only' needs no administrator rights), then run this again."
  Stop-Install 1
}
Write-Host 'SafeDesk needs Python 3.11 or newer (64-bit) and none was found. Install it from python.org'
Write-Host "('Install for me only' needs no administrator rights) or ask your IT team, then run this again."
Stop-Install 1
