"""The packaging files agree with each other and with the app: names, paths, version, shipped files.

installer/zizhu.spec (PyInstaller), installer/zizhu.nsi (NSIS), installer/build.py (`make package`)
and .github/workflows/windows-installer.yml are read as text or parsed here; nothing is built (the
build itself runs in `make package`, where a mistake costs minutes instead of milliseconds).
"""

from __future__ import annotations

import ast
import importlib.util
import re
import sys
import tomllib
from fnmatch import fnmatch
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from app import __version__
from app.models.paths import APP_NAME

ROOT = Path(__file__).resolve().parents[2]
INSTALLER = ROOT / "installer"
SPEC = INSTALLER / "zizhu.spec"
NSIS = INSTALLER / "zizhu.nsi"
WORKFLOW = ROOT / ".github" / "workflows" / "windows-installer.yml"


def _pyproject() -> dict[str, Any]:
    with (ROOT / "pyproject.toml").open("rb") as stream:
        return tomllib.load(stream)


def _spec_constants() -> dict[str, Any]:
    """The spec's module-level constants that are plain literals (its other code needs PyInstaller)."""
    constants: dict[str, Any] = {}
    for node in ast.parse(SPEC.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            try:
                constants[node.targets[0].id] = ast.literal_eval(node.value)
            except ValueError:
                continue
    return constants


def _nsis_text() -> str:
    return NSIS.read_text(encoding="utf-8-sig")


def _nsis_defines() -> dict[str, str]:
    return dict(re.findall(r'^!define\s+(\w+)\s+"([^"]*)"', _nsis_text(), flags=re.MULTILINE))


def _build_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("zizhu_installer_build", INSTALLER / "build.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def _imported_modules(folder: Path) -> set[str]:
    """Every module named by an import statement in the .py files under ``folder``."""
    names: set[str] = set()
    for path in folder.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names.add(node.module)
    return names


def _excluded(module: str, excludes: list[str]) -> bool:
    return any(module == name or module.startswith(f"{name}.") for name in excludes)


# ---------------------------------------------------------------- version


def test_one_version_everywhere() -> None:
    version = _pyproject()["project"]["version"]
    assert __version__ == version, "app/__init__.py and pyproject.toml disagree on the version"
    assert re.fullmatch(r"\d+\.\d+\.\d+", version), "Windows version resources need X.Y.Z"
    assert _build_module().project_version() == version
    spec = SPEC.read_text(encoding="utf-8")
    assert 'PYPROJECT["project"]["version"]' in spec
    nsis = _nsis_text()
    assert "!ifndef VERSION" in nsis and "!error" in nsis, "makensis must refuse to build without a version"
    assert 'VIProductVersion "${VERSION}.0"' in nsis
    workflow = WORKFLOW.read_text(encoding="utf-8")
    assert "['project']['version']" in workflow
    assert '"-DVERSION=${{ steps.version.outputs.version }}"' in workflow


# ---------------------------------------------------------------- names and paths


def test_executable_names_follow_the_console_scripts() -> None:
    project = _pyproject()["project"]
    spec = _spec_constants()
    assert spec["GUI_NAME"] in project["gui-scripts"]
    assert spec["CLI_NAME"] in project["scripts"]
    defines = _nsis_defines()
    assert defines["GUI_EXE"] == f"{spec['GUI_NAME']}.exe"
    assert defines["CLI_EXE"] == f"{spec['CLI_NAME']}.exe"
    build = _build_module()
    assert (spec["GUI_NAME"], spec["CLI_NAME"]) == (build.GUI_NAME, build.CLI_NAME)
    launcher = (INSTALLER / "launch.py").read_text(encoding="utf-8")
    assert f'CLI_NAME = "{spec["CLI_NAME"]}"' in launcher
    workflow = WORKFLOW.read_text(encoding="utf-8")
    bundle = f"dist\\{spec['BUNDLE']}"
    assert f"{bundle}\\{defines['GUI_EXE']}" in workflow
    assert f"{bundle}\\{defines['CLI_EXE']}" in workflow


def test_the_launcher_picks_the_command_line_by_the_executable_name() -> None:
    source = (INSTALLER / "launch.py").read_text(encoding="utf-8")
    assert "from app.cli import main" in source
    assert "from app.ui.main import main" in source
    assert "Path(sys.argv[0]).stem.lower() == CLI_NAME" in source


def test_bundle_folder_and_installer_name_agree() -> None:
    spec = _spec_constants()
    build = _build_module()
    assert ROOT / "dist" / spec["BUNDLE"] == build.BUNDLE
    workflow = WORKFLOW.read_text(encoding="utf-8")
    assert f'"-DPAYLOAD=$PWD\\dist\\{spec["BUNDLE"]}"' in workflow
    assert "-WX" in workflow and "-INPUTCHARSET UTF8" in workflow
    out_file = re.search(r'^OutFile\s+"\$\{OUTDIR\}/(.+)"', _nsis_text(), flags=re.MULTILINE)
    assert out_file is not None
    assert out_file.group(1) == build.INSTALLER_NAME.format(version="${VERSION}")
    assert out_file.group(1) == "资助通-安装程序-${VERSION}.exe"
    bench = (ROOT / "bench" / "bench_startup.py").read_text(encoding="utf-8")
    assert f'ROOT / "dist" / "{spec["BUNDLE"]}"' in bench


def test_build_and_workflow_run_the_same_spec_and_script() -> None:
    workflow = WORKFLOW.read_text(encoding="utf-8")
    build = _build_module()
    assert build.SPEC == SPEC and build.NSIS_SCRIPT == NSIS
    assert "installer/zizhu.spec" in workflow and "installer\\zizhu.nsi" in workflow
    assert "--noconfirm --clean --distpath dist --workpath build" in workflow
    assert "--self-test" in workflow and "QT_QPA_PLATFORM: offscreen" in workflow
    assert 'pip install -c constraints.txt ".[package]"' in workflow
    assert "pyinstaller" in " ".join(_pyproject()["project"]["optional-dependencies"]["package"])


def test_windows_runner_uses_a_supported_python() -> None:
    workflow = WORKFLOW.read_text(encoding="utf-8")
    match = re.search(r'python-version:\s*"(\d+)\.(\d+)"', workflow)
    assert match is not None
    minimum = re.search(r">=(\d+)\.(\d+)", _pyproject()["project"]["requires-python"])
    assert minimum is not None
    assert (int(match[1]), int(match[2])) >= (int(minimum[1]), int(minimum[2]))


def test_make_package_runs_the_build_script() -> None:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    target = re.search(r"^package:.*\n((?:\t.*\n)+)", makefile, flags=re.MULTILINE)
    assert target is not None, "the Makefile has no `package` target"
    assert "installer/build.py" in target.group(1)
    assert '".[package]"' in target.group(1)


# ---------------------------------------------------------------- the installer's promises


def test_per_user_install_without_admin_rights() -> None:
    nsis = _nsis_text()
    assert re.search(r"^RequestExecutionLevel user$", nsis, flags=re.MULTILINE)
    assert 'InstallDir "$LOCALAPPDATA\\Programs\\${APP_NAME}"' in nsis
    assert _nsis_defines()["APP_NAME"] == "资助通"
    assert "HKLM" not in nsis, "a per-user install writes only to HKCU"
    assert 'InstallDirRegKey HKCU "${UNINST_KEY}" "InstallLocation"' in nsis


def test_chinese_wizard_in_a_unicode_script() -> None:
    raw = NSIS.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf"), "makensis reads UTF-8 only with a BOM (or -INPUTCHARSET)"
    nsis = _nsis_text()
    assert re.search(r"^Unicode true$", nsis, flags=re.MULTILINE)
    assert '!insertmacro MUI_LANGUAGE "SimpChinese"' in nsis
    assert "MUI_LANGUAGE" in nsis and nsis.count("!insertmacro MUI_LANGUAGE") == 1


def test_installer_refuses_windows_older_than_10_1809() -> None:
    nsis = _nsis_text()
    assert _nsis_defines()["MIN_WINDOWS_BUILD"] == "17763"  # Windows 10 1809, Qt 6's minimum
    on_init = nsis[nsis.index("Function .onInit") : nsis.index("FunctionEnd", nsis.index("Function .onInit"))]
    assert "${AtLeastBuild} ${MIN_WINDOWS_BUILD}" in on_init
    assert "Windows 10（1809 版或更新）" in on_init
    assert "Abort" in on_init


def test_shortcuts_in_start_menu_and_on_the_desktop() -> None:
    nsis = _nsis_text()
    for folder in ("$SMPROGRAMS", "$DESKTOP"):
        assert f'CreateShortcut "{folder}\\${{APP_NAME}}.lnk" "$INSTDIR\\${{GUI_EXE}}"' in nsis
        assert f'Delete "{folder}\\${{APP_NAME}}.lnk"' in nsis


def test_uninstaller_keeps_the_data_folder_and_says_so() -> None:
    defines = _nsis_defines()
    assert defines["DATA_FOLDER"] == f"$LOCALAPPDATA\\{APP_NAME}"
    nsis = _nsis_text()
    uninstall = nsis[nsis.index('Section "Uninstall"') :]
    for line in uninstall.splitlines():
        if line.strip().startswith(("RMDir", "Delete")):
            assert "DATA_FOLDER" not in line and APP_NAME not in line, line
    assert 'RMDir "$INSTDIR"' in uninstall, "the install folder is removed only when empty (no /r)"
    assert 'RMDir /r "$INSTDIR"' not in nsis
    confirm = re.search(r'!define MUI_UNCONFIRMPAGE_TEXT_TOP "([^"]*)"', nsis)
    assert confirm is not None and "${DATA_FOLDER}" in confirm.group(1) and "不会删除" in confirm.group(1)
    assert "${DATA_FOLDER}，没有删除" in uninstall


def test_upgrade_closes_the_running_client_first() -> None:
    nsis = _nsis_text()
    install = nsis[nsis.index('Section "资助通"') : nsis.index("SectionEnd")]
    uninstall = nsis[nsis.index('Section "Uninstall"') :]
    for section in (install, uninstall):
        assert "!insertmacro WAIT_UNTIL_CLOSED ${GUI_EXE}" in section
        assert "!insertmacro WAIT_UNTIL_CLOSED ${CLI_EXE}" in section
    assert install.index("WAIT_UNTIL_CLOSED") < install.index("File /r")
    assert install.index('RMDir /r "$INSTDIR\\_internal"') < install.index("File /r")


# ---------------------------------------------------------------- what the bundle holds


def test_every_shipped_data_file_is_package_data() -> None:
    """pip and the bundle ship the files the package-data patterns match: none may be left out."""
    spec = _spec_constants()
    patterns = _pyproject()["tool"]["setuptools"]["package-data"]
    for package, (source, dest) in spec["PACKAGE_DATA"].items():
        folder = ROOT / source
        expected = [
            path
            for path in folder.rglob("*")
            if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc"
        ]
        if package == "app.models":
            expected = [path for path in expected if "migrations" in path.relative_to(folder).parts]
            assert dest == "app/models", "app.models.store finds migrations next to its own __file__"
        else:
            expected = [path for path in expected if path.name != "__init__.py"]
            assert dest == package
        for path in expected:
            relative = path.relative_to(folder).as_posix()
            assert any(fnmatch(relative, pattern) for pattern in patterns[package]), (
                f"{source}/{relative} would be missing from the installed client and the bundle: "
                f"add a pattern to [tool.setuptools.package-data] {package!r}"
            )
    assert spec["PACKAGE_DATA"]["zizhu_resources"][0] == "resources"


def test_migration_scripts_import_only_what_the_spec_declares() -> None:
    """Alembic loads the migrations as files, so the analysis never sees their imports."""
    hidden = set(_spec_constants()["MIGRATION_IMPORTS"])
    # Packages the client imports anyway (so the bundle has them whole) or the standard library.
    always_there = {"__future__", "typing", "collections", "sqlalchemy"}
    found = 0
    for path in (ROOT / "app" / "models" / "migrations").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module == "alembic":
                for alias in node.names:
                    found += 1
                    assert f"alembic.{alias.name}" in hidden, f"{path.name}: declare alembic.{alias.name}"
            elif isinstance(node, ast.ImportFrom):
                root = (node.module or "").split(".")[0]
                assert root in always_there, f"{path.name} imports {node.module}: add it to the spec"
            elif isinstance(node, ast.Import):
                for module in (alias.name for alias in node.names):
                    root = module.split(".")[0]
                    assert root in always_there, f"{path.name} imports {module}: add it to the spec"
    assert found >= 2, "env.py and the revisions import alembic's context and op"


def test_no_module_the_app_imports_is_excluded() -> None:
    spec = _spec_constants()
    excludes = spec["QT_EXCLUDES"] + spec["PY_EXCLUDES"]
    imported = _imported_modules(ROOT / "app")
    for module in imported:
        assert not _excluded(module, excludes), f"app imports {module}, which the spec leaves out"
    qt_used = {module for module in imported if module.startswith("PySide6.")}
    assert qt_used <= {"PySide6.QtCore", "PySide6.QtGui", "PySide6.QtWidgets"}, (
        f"the app now uses {sorted(qt_used)}: check the spec's QT_EXCLUDES and the bundle size"
    )


def test_qt_translations_kept_are_the_ones_the_client_loads() -> None:
    kept = _spec_constants()["QT_TRANSLATIONS_KEPT"]
    main = (ROOT / "app" / "ui" / "main.py").read_text(encoding="utf-8")
    loaded = re.search(r"for name in \(([^)]*)\)", main)
    assert loaded is not None
    assert {f"{name}.qm" for name in ast.literal_eval(f"({loaded.group(1)})")} == set(kept)


def test_stdnum_data_kept_holds_the_region_database() -> None:
    kept = _spec_constants()["STDNUM_DATA_KEPT"]
    regions = (ROOT / "app" / "models" / "regions.py").read_text(encoding="utf-8")
    assert 'numdb.get("cn/loc")' in regions
    assert kept == ("stdnum/cn/loc.dat",)
    stdnum_users = [
        path
        for path in (ROOT / "app").rglob("*.py")
        if re.search(r"^\s*(from|import) stdnum", path.read_text(encoding="utf-8"), flags=re.MULTILINE)
    ]
    for path in stdnum_users:
        for module in re.findall(r"from stdnum(?:\.(\w+))? import (\w+)", path.read_text(encoding="utf-8")):
            # numdb and cn.* read cn/loc.dat; luhn needs no data. Anything else may need another file.
            assert module in {("", "numdb"), ("", "luhn"), ("cn", "ric")}, f"{path.name} uses stdnum {module}"


# ---------------------------------------------------------------- the Linux stand-in payload


def test_placeholder_payload_has_the_windows_layout(tmp_path: Path) -> None:
    build = _build_module()
    bundle = tmp_path / "zizhu"
    (bundle / "_internal" / "zizhu_resources" / "tables").mkdir(parents=True)
    (bundle / "_internal" / "zizhu_resources" / "tables" / "students.toml").write_text("x", encoding="utf-8")
    (bundle / "_internal" / "libQt6Core.so.6").write_bytes(b"\x7fELF")
    (bundle / "zizhu-gui").write_bytes(b"\x7fELF")
    (bundle / "zizhu").symlink_to("zizhu-gui")
    (bundle / "_internal" / "link.so").symlink_to("libQt6Core.so.6")
    stage = build.stage_placeholder_payload(bundle, tmp_path / "stage")
    files = sorted(p.relative_to(stage).as_posix() for p in stage.rglob("*") if p.is_file())
    assert files == [
        "_internal/libQt6Core.so.6",
        "_internal/zizhu_resources/tables/students.toml",
        "zizhu-gui.exe",
        "zizhu.exe",
    ]
    assert all(p.stat().st_size == 0 for p in stage.rglob("*") if p.is_file())
    assert not any(p.is_symlink() for p in stage.rglob("*"))


@pytest.mark.parametrize("version", ["0.1", "1.0.0rc1", "v1.2.3"])
def test_build_refuses_a_version_windows_cannot_number(
    version: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    build = _build_module()
    (tmp_path / "pyproject.toml").write_text(f'[project]\nversion = "{version}"\n', encoding="utf-8")
    monkeypatch.setattr(build, "ROOT", tmp_path)
    with pytest.raises(build.BuildError, match=r"X\.Y\.Z"):
        build.project_version()
