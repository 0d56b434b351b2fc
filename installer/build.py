"""`make package`: the one-folder bundle, its smoke test, and the Windows installer script compiled.

    python installer/build.py [--skip-bundle]

1. PyInstaller builds ``dist/zizhu/`` from installer/zizhu.spec (work files in ``build/``).
2. The bundle's ``zizhu-gui --self-test`` runs offscreen in a temporary data folder and must exit 0.
3. makensis compiles installer/zizhu.nsi with ``-WX`` (any warning fails the build):
   - on Windows against the real bundle → ``dist/资助通-安装程序-<version>.exe``;
   - elsewhere against a staged stand-in with the Windows layout (every file of the bundle as an
     empty placeholder, the executables named ``*.exe``) → ``build/nsis-check/…exe``, which only
     proves the script compiles and is never shipped.

Exit code 0 when every step passed; otherwise the failed step is printed and the code is 1.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SPEC = ROOT / "installer" / "zizhu.spec"
NSIS_SCRIPT = ROOT / "installer" / "zizhu.nsi"
DIST = ROOT / "dist"
BUILD = ROOT / "build"
BUNDLE = DIST / "zizhu"
STAGE = BUILD / "nsis-payload"
NSIS_CHECK_OUT = BUILD / "nsis-check"
GUI_NAME = "zizhu-gui"
CLI_NAME = "zizhu"
INSTALLER_NAME = "资助通-安装程序-{version}.exe"
SELF_TEST_TIMEOUT_S = 300
IS_WINDOWS = sys.platform == "win32"
_NSIS_DEFAULT_PATHS = (
    Path(os.environ.get("PROGRAMFILES(X86)", r"C:\Program Files (x86)")) / "NSIS" / "makensis.exe",
    Path(os.environ.get("PROGRAMFILES", r"C:\Program Files")) / "NSIS" / "makensis.exe",
)


class BuildError(Exception):
    """A step failed; the message says which and why."""


def project_version() -> str:
    """The version of pyproject.toml's [project] table (X.Y.Z: Windows version resources need numbers)."""
    with (ROOT / "pyproject.toml").open("rb") as stream:
        version = str(tomllib.load(stream)["project"]["version"])
    parts = version.split(".")
    if len(parts) != 3 or not all(part.isdigit() for part in parts):
        raise BuildError(f"version {version!r} is not X.Y.Z: the installer's version resource needs numbers")
    return version


def executable(name: str, folder: Path = BUNDLE) -> Path:
    return folder / (f"{name}.exe" if IS_WINDOWS else name)


def build_bundle() -> None:
    """Run PyInstaller on the spec: dist/zizhu/ (clean build, no questions)."""
    command = [sys.executable, "-m", "PyInstaller", "--noconfirm", "--clean"]
    command += ["--distpath", str(DIST), "--workpath", str(BUILD), str(SPEC)]
    _run("PyInstaller", command)
    if not executable(GUI_NAME).is_file():
        raise BuildError(f"PyInstaller finished but {executable(GUI_NAME)} is missing")


def run_self_test() -> str:
    """The bundle's --self-test, offscreen, with its log in a temporary folder; returns its verdict."""
    with tempfile.TemporaryDirectory(prefix="zizhu-package-") as folder:
        env = dict(os.environ, QT_QPA_PLATFORM="offscreen", ZIZHU_DATA_DIR=folder)
        try:
            done = subprocess.run(
                [str(executable(GUI_NAME)), "--self-test"],
                env=env,
                capture_output=True,
                timeout=SELF_TEST_TIMEOUT_S,
                check=False,
            )
        except subprocess.TimeoutExpired as exc:
            raise BuildError(f"self-test still running after {SELF_TEST_TIMEOUT_S} s") from exc
        log = Path(folder) / "logs" / "zizhu.log"
        log_text = log.read_text(encoding="utf-8", errors="replace") if log.is_file() else ""
    # A windowed Windows executable has no stdout: the verdict is then the log's last self-test line.
    verdict = done.stdout.decode("utf-8", "replace").strip() or _last_self_test_line(log_text)
    if done.returncode != 0:
        details = done.stderr.decode("utf-8", "replace")[-3000:] + log_text[-3000:]
        raise BuildError(f"self-test exited with {done.returncode}: {verdict}\n{details}")
    return verdict


def _last_self_test_line(log_text: str) -> str:
    lines = [line for line in log_text.splitlines() if "自检" in line]
    return lines[-1] if lines else "(no output)"


def stage_placeholder_payload(bundle: Path, stage: Path) -> Path:
    """The bundle's file list with the Windows layout and empty files: what makensis packs on Linux.

    Executables get their ``.exe`` names (``zizhu`` is a link to ``zizhu-gui`` on Linux and becomes
    ``zizhu.exe``); other links are left out, as a Windows bundle has none.
    """
    if stage.exists():
        shutil.rmtree(stage)
    stage.mkdir(parents=True)
    for name in (GUI_NAME, CLI_NAME):
        (stage / f"{name}.exe").write_bytes(b"")
    internal = bundle / "_internal"
    for path in sorted(internal.rglob("*")):
        if path.is_symlink() or not path.is_file():
            continue
        target = stage / path.relative_to(bundle)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(b"")
    return stage


def find_makensis() -> str:
    """makensis on PATH, $MAKENSIS, or NSIS's default folders on Windows."""
    candidates = [os.environ.get("MAKENSIS", ""), shutil.which("makensis") or ""]
    candidates += [str(path) for path in _NSIS_DEFAULT_PATHS if IS_WINDOWS]
    for candidate in candidates:
        if candidate and Path(candidate).is_file():
            return candidate
    hint = "Debian: apt-get install nsis; Windows: choco install nsis"
    raise BuildError(f"makensis not found: install NSIS ({hint})")


def compile_installer(version: str, payload: Path, out_dir: Path) -> Path:
    """makensis -WX on the script; returns the installer's path."""
    out_dir.mkdir(parents=True, exist_ok=True)
    command = [find_makensis(), "-WX", "-V2", "-INPUTCHARSET", "UTF8"]
    command += [f"-DVERSION={version}", f"-DPAYLOAD={payload}", f"-DOUTDIR={out_dir}", str(NSIS_SCRIPT)]
    _run("makensis", command)
    installer = out_dir / INSTALLER_NAME.format(version=version)
    if not installer.is_file():
        raise BuildError(f"makensis finished but {installer} is missing")
    return installer


def bundle_size_mb(folder: Path) -> float:
    return sum(p.lstat().st_size for p in folder.rglob("*") if p.is_file() and not p.is_symlink()) / 1e6


def _run(step: str, command: list[str]) -> None:
    print(f"== {step}: {' '.join(command)}", flush=True)
    done = subprocess.run(command, cwd=ROOT, check=False)
    if done.returncode != 0:
        raise BuildError(f"{step} exited with {done.returncode}")


def main(argv: list[str] | None = None) -> int:
    """Build, smoke-test and compile; print what was made."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--skip-bundle", action="store_true", help="reuse dist/zizhu (no PyInstaller run)")
    args = parser.parse_args(argv)
    try:
        version = project_version()
        if not args.skip_bundle:
            build_bundle()
        print(f"== bundle {BUNDLE}: {bundle_size_mb(BUNDLE):.1f} MB", flush=True)
        print(f"== self-test: {run_self_test()}", flush=True)
        if IS_WINDOWS:
            installer = compile_installer(version, BUNDLE, DIST)
        else:
            payload = stage_placeholder_payload(BUNDLE, STAGE)
            installer = compile_installer(version, payload, NSIS_CHECK_OUT)
    except BuildError as exc:
        print(f"make package failed: {exc}", file=sys.stderr)
        return 1
    kind = "installer" if IS_WINDOWS else "NSIS script compiled (placeholder payload, not for release)"
    print(f"== {kind}: {installer}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
