# Builds the Windows installer, build\Followup-<version>-setup.exe, on a Windows machine with
# Python 3.11+ and Inno Setup 6 (https://jrsoftware.org/isinfo.php; iscc.exe on PATH or in its
# default folder). Run from the repository root:
#   powershell -ExecutionPolicy Bypass -File packaging\windows\build.ps1
$ErrorActionPreference = "Stop"
Set-Location (Join-Path $PSScriptRoot "..\..")
if (-not (Test-Path .venv)) { py -3 -m venv .venv }
$py = ".venv\Scripts\python.exe"
& $py -m pip install --quiet --upgrade pip
& $py -m pip install --quiet -e . "pyinstaller>=6.10"
$version = & $py -c "import followup; print(followup.__version__)"
& $py -m PyInstaller --noconfirm --log-level WARN --distpath build\dist `
    --workpath build\pyinstaller packaging\followup.spec
$iscc = (Get-Command iscc.exe -ErrorAction SilentlyContinue).Source
if (-not $iscc) { $iscc = "${env:ProgramFiles(x86)}\Inno Setup 6\ISCC.exe" }
& $iscc "/DAppVersion=$version" packaging\windows\followup.iss
Write-Host "build\Followup-$version-setup.exe"
