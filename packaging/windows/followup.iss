; Inno Setup script for the Windows installer: build\Followup-<version>-setup.exe.
; Built by packaging\windows\build.ps1 after PyInstaller has made build\dist\followup.
#ifndef AppVersion
  #define AppVersion "0.1.0"
#endif

[Setup]
AppId={{6F1C7A52-0C55-4E0B-9B3E-5F0D1A9C2B41}
AppName=Followup
AppVersion={#AppVersion}
AppPublisher=Followup developers
DefaultDirName={autopf}\Followup
DefaultGroupName=Followup
DisableProgramGroupPage=yes
OutputDir=..\..\build
OutputBaseFilename=Followup-{#AppVersion}-setup
SetupIconFile=followup.ico
UninstallDisplayIcon={app}\Followup.exe
Compression=lzma2
SolidCompression=yes
ArchitecturesInstallIn64BitMode=x64compatible
PrivilegesRequiredOverridesAllowed=dialog

[Files]
Source: "..\..\build\dist\followup\*"; DestDir: "{app}"; Flags: recursesubdirs ignoreversion

[Icons]
Name: "{group}\Followup"; Filename: "{app}\Followup.exe"; Comment: "Post-overdose follow-up and treatment referral"
Name: "{group}\Uninstall Followup"; Filename: "{uninstallexe}"

[Run]
Filename: "{app}\Followup.exe"; Description: "Start Followup"; Flags: nowait postinstall skipifsilent
