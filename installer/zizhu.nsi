; 资助通 — Windows installer (NSIS 3, Modern UI 2, Simplified Chinese).
;
; Per-user install without administrator rights into %LOCALAPPDATA%\Programs\资助通, Start-menu and
; desktop shortcuts, upgrade in place over an older version (found through the HKCU uninstall key),
; an uninstaller that keeps the user's data (%LOCALAPPDATA%\zizhutong, app/models/paths.py) and
; says so, and a clear refusal on Windows older than 10 1809 (Qt 6's minimum).
;
; Built by installer/build.py (make package) and .github/workflows/windows-installer.yml:
;   makensis -WX -INPUTCHARSET UTF8 -DVERSION=0.1.0 -DPAYLOAD=<bundle folder> -DOUTDIR=<folder> installer/zizhu.nsi
; PAYLOAD is the PyInstaller folder dist/zizhu (zizhu-gui.exe, zizhu.exe, _internal\); on Linux a
; staged stand-in with the same layout, so that `make package` checks this script.
; tests/installer/test_consistency.py keeps names, paths and the version in line with the spec.

Unicode true
ManifestDPIAware true
SetCompressor /SOLID lzma

!ifndef VERSION
  !error "VERSION is missing: makensis -DVERSION=<pyproject version> (installer/build.py passes it)"
!endif
!ifndef PAYLOAD
  !error "PAYLOAD is missing: makensis -DPAYLOAD=<bundle folder> (installer/build.py passes it)"
!endif
!ifndef OUTDIR
  !define OUTDIR "."
!endif
!if /FileExists "${PAYLOAD}/zizhu-gui.exe"
!else
  !error "PAYLOAD has no zizhu-gui.exe: build the bundle first (pyinstaller installer/zizhu.spec)"
!endif

!define APP_NAME "资助通"
!define APP_ID "zizhutong"
!define GUI_EXE "zizhu-gui.exe"
!define CLI_EXE "zizhu.exe"
!define UNINSTALLER "uninstall.exe"
!define DATA_FOLDER "$LOCALAPPDATA\zizhutong"
!define UNINST_KEY "Software\Microsoft\Windows\CurrentVersion\Uninstall\${APP_ID}"
!define MIN_WINDOWS_BUILD "17763" ; Windows 10 1809

!include "MUI2.nsh"
!include "LogicLib.nsh"
!include "WinVer.nsh"
!include "x64.nsh"
!include "FileFunc.nsh"

Name "${APP_NAME}"
OutFile "${OUTDIR}/资助通-安装程序-${VERSION}.exe"
InstallDir "$LOCALAPPDATA\Programs\${APP_NAME}"
InstallDirRegKey HKCU "${UNINST_KEY}" "InstallLocation"
RequestExecutionLevel user
ShowInstDetails show
ShowUninstDetails show
BrandingText "${APP_NAME} ${VERSION}"

Var PreviousVersion

; ------------------------------------------------------------------ pages

!define MUI_ABORTWARNING
!define MUI_ABORTWARNING_TEXT "确定要退出资助通的安装吗？"

!define MUI_WELCOMEPAGE_TITLE "安装资助通 ${VERSION}"
!define MUI_WELCOMEPAGE_TEXT "资助通是学生资助信息的学校端填报软件。$\r$\n$\r$\n本程序将把资助通安装到您自己的账户中，不需要管理员权限。如果电脑上已经装有旧版本，将直接升级，已填报的数据不受影响。$\r$\n$\r$\n安装前请先关闭正在运行的资助通。点击“下一步”继续。"
!insertmacro MUI_PAGE_WELCOME

!define MUI_PAGE_CUSTOMFUNCTION_PRE SkipDirectoryOnUpgrade
!define MUI_DIRECTORYPAGE_TEXT_TOP "资助通将安装到下面的文件夹。一般不需要修改。$\r$\n$\r$\n填报的数据不保存在这里，而是保存在 ${DATA_FOLDER}。"
!insertmacro MUI_PAGE_DIRECTORY

!insertmacro MUI_PAGE_INSTFILES

!define MUI_FINISHPAGE_TITLE "资助通已安装"
!define MUI_FINISHPAGE_TEXT "桌面和“开始”菜单中已添加“资助通”图标，双击即可打开。"
!define MUI_FINISHPAGE_RUN "$INSTDIR\${GUI_EXE}"
!define MUI_FINISHPAGE_RUN_TEXT "现在打开资助通"
!insertmacro MUI_PAGE_FINISH

!define MUI_UNCONFIRMPAGE_TEXT_TOP "将从这台电脑上卸载资助通的程序文件。$\r$\n您填报的数据保存在 ${DATA_FOLDER}，卸载时会保留，不会删除；以后重新安装资助通即可继续使用。"
!insertmacro MUI_UNPAGE_CONFIRM
!insertmacro MUI_UNPAGE_INSTFILES
!define MUI_FINISHPAGE_TITLE "资助通已卸载"
!define MUI_FINISHPAGE_TEXT "资助通的程序已从这台电脑上删除。$\r$\n$\r$\n您的数据仍保存在 ${DATA_FOLDER}，没有删除。如果确定不再需要这些数据，可以自己删除这个文件夹。"
!insertmacro MUI_UNPAGE_FINISH

!insertmacro MUI_LANGUAGE "SimpChinese"

; ------------------------------------------------------------------ file properties

VIProductVersion "${VERSION}.0"
VIFileVersion "${VERSION}.0"
VIAddVersionKey /LANG=${LANG_SIMPCHINESE} "ProductName" "${APP_NAME}"
VIAddVersionKey /LANG=${LANG_SIMPCHINESE} "CompanyName" "${APP_NAME}"
VIAddVersionKey /LANG=${LANG_SIMPCHINESE} "FileDescription" "${APP_NAME} 安装程序"
VIAddVersionKey /LANG=${LANG_SIMPCHINESE} "FileVersion" "${VERSION}"
VIAddVersionKey /LANG=${LANG_SIMPCHINESE} "ProductVersion" "${VERSION}"
VIAddVersionKey /LANG=${LANG_SIMPCHINESE} "LegalCopyright" "${APP_NAME}"

; ------------------------------------------------------------------ checks shared by installer and uninstaller

; A running exe cannot be opened for writing: that tells whether the client (or the CLI) runs.
!macro WAIT_UNTIL_CLOSED EXE
  ${Do}
    ${IfNot} ${FileExists} "$INSTDIR\${EXE}"
      ${Break}
    ${EndIf}
    ClearErrors
    FileOpen $R0 "$INSTDIR\${EXE}" a
    ${IfNot} ${Errors}
      FileClose $R0
      ${Break}
    ${EndIf}
    ${IfNot} ${Cmd} `MessageBox MB_RETRYCANCEL|MB_ICONEXCLAMATION "资助通正在运行。$\r$\n请先关闭资助通的窗口（填报的数据已自动保存），然后点“重试”。" /SD IDCANCEL IDRETRY`
      Abort "资助通正在运行，已取消。请关闭资助通后重新运行本程序。"
    ${EndIf}
  ${Loop}
!macroend

Function .onInit
  ${IfNot} ${AtLeastWin10}
  ${OrIfNot} ${AtLeastBuild} ${MIN_WINDOWS_BUILD}
    MessageBox MB_OK|MB_ICONSTOP "资助通需要 Windows 10（1809 版或更新）或 Windows 11。$\r$\n这台电脑的 Windows 版本太旧，无法安装。请先升级 Windows，或换一台电脑安装。" /SD IDOK
    Abort
  ${EndIf}
  ${IfNot} ${RunningX64}
    MessageBox MB_OK|MB_ICONSTOP "资助通需要 64 位的 Windows 10 或 Windows 11，这台电脑是 32 位的 Windows，无法安装。" /SD IDOK
    Abort
  ${EndIf}
  ReadRegStr $PreviousVersion HKCU "${UNINST_KEY}" "DisplayVersion"
FunctionEnd

; An upgrade goes where the previous version is (InstallDirRegKey): no folder to choose.
Function SkipDirectoryOnUpgrade
  ${If} $PreviousVersion != ""
  ${AndIf} ${FileExists} "$INSTDIR\${GUI_EXE}"
    Abort
  ${EndIf}
FunctionEnd

; ------------------------------------------------------------------ install

Section "资助通" SectionMain
  SectionIn RO
  !insertmacro WAIT_UNTIL_CLOSED ${GUI_EXE}
  !insertmacro WAIT_UNTIL_CLOSED ${CLI_EXE}
  ${If} $PreviousVersion != ""
    DetailPrint "升级：资助通 $PreviousVersion → ${VERSION}"
  ${EndIf}
  ; The previous version's program files go first (a module it had may be gone from this one).
  ; Only the program's own files: the folder may hold nothing else of value, but we never assume so.
  RMDir /r "$INSTDIR\_internal"
  Delete "$INSTDIR\${GUI_EXE}"
  Delete "$INSTDIR\${CLI_EXE}"
  SetOutPath "$INSTDIR"
  File /r "${PAYLOAD}/*"
  WriteUninstaller "$INSTDIR\${UNINSTALLER}"

  CreateShortcut "$SMPROGRAMS\${APP_NAME}.lnk" "$INSTDIR\${GUI_EXE}" "" "$INSTDIR\${GUI_EXE}" 0 SW_SHOWNORMAL "" "学生资助信息学校端填报"
  CreateShortcut "$DESKTOP\${APP_NAME}.lnk" "$INSTDIR\${GUI_EXE}" "" "$INSTDIR\${GUI_EXE}" 0 SW_SHOWNORMAL "" "学生资助信息学校端填报"

  ${GetSize} "$INSTDIR" "/S=0K" $0 $1 $2
  WriteRegStr HKCU "${UNINST_KEY}" "DisplayName" "${APP_NAME}"
  WriteRegStr HKCU "${UNINST_KEY}" "DisplayVersion" "${VERSION}"
  WriteRegStr HKCU "${UNINST_KEY}" "Publisher" "${APP_NAME}"
  WriteRegStr HKCU "${UNINST_KEY}" "DisplayIcon" "$INSTDIR\${GUI_EXE}"
  WriteRegStr HKCU "${UNINST_KEY}" "InstallLocation" "$INSTDIR"
  WriteRegStr HKCU "${UNINST_KEY}" "UninstallString" '"$INSTDIR\${UNINSTALLER}"'
  WriteRegStr HKCU "${UNINST_KEY}" "QuietUninstallString" '"$INSTDIR\${UNINSTALLER}" /S'
  WriteRegDWORD HKCU "${UNINST_KEY}" "NoModify" 1
  WriteRegDWORD HKCU "${UNINST_KEY}" "NoRepair" 1
  WriteRegDWORD HKCU "${UNINST_KEY}" "EstimatedSize" $0
  DetailPrint "填报的数据保存在 ${DATA_FOLDER}（不在安装文件夹中）。"
SectionEnd

; ------------------------------------------------------------------ uninstall

Section "Uninstall"
  !insertmacro WAIT_UNTIL_CLOSED ${GUI_EXE}
  !insertmacro WAIT_UNTIL_CLOSED ${CLI_EXE}
  Delete "$SMPROGRAMS\${APP_NAME}.lnk"
  Delete "$DESKTOP\${APP_NAME}.lnk"
  RMDir /r "$INSTDIR\_internal"
  Delete "$INSTDIR\${GUI_EXE}"
  Delete "$INSTDIR\${CLI_EXE}"
  Delete "$INSTDIR\${UNINSTALLER}"
  RMDir "$INSTDIR" ; only when empty: whatever else the user put there stays
  DeleteRegKey HKCU "${UNINST_KEY}"
  DetailPrint "您的数据仍保存在 ${DATA_FOLDER}，没有删除。"
SectionEnd
