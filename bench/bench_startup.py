"""Start-up benchmark (not part of the test suite): ``python bench/bench_startup.py [--bundle DIR]``.

Measures the wall time from launching ``zizhu-gui`` to its login window being on screen, from the
source tree (this Python) and from the PyInstaller bundle (``dist/zizhu`` from ``make package``),
and the bundle's size on disk. The child is told through ZIZHU_STARTUP_PROBE (app/ui/startup_probe.py)
to write the time its first window was exposed and then to close; each figure is the median of
five runs after one unmeasured warm-up run (the first start after a build reads every file cold).
Targets: ≤ 1.5 s to the login window from the bundle, bundle ≤ 200 MB.

The runs use Qt's offscreen platform unless ``--platform`` says otherwise (e.g. ``xcb`` under Xvfb).
Wall time depends on what else the machine is doing, so the load average and (on Linux/macOS) the
child's CPU time per start are printed too: CPU time barely changes with contention. On a shared
machine, ``chrt -f 10 python bench/bench_startup.py`` (root) gives the figures of an idle one.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import NamedTuple

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_BUNDLE = ROOT / "dist" / "zizhu"
GUI_NAME = "zizhu-gui.exe" if sys.platform == "win32" else "zizhu-gui"
RUNS = 5
WARM_UP_RUNS = 1
RUN_TIMEOUT_S = 60.0
STARTUP_TARGET_S = 1.5
SIZE_TARGET_MB = 200.0
ORG_CODE = "2145000001"
PROBE_ENV = "ZIZHU_STARTUP_PROBE"


def source_command() -> list[str]:
    """The client from the source tree, started like the ``zizhu-gui`` entry point does."""
    return [sys.executable, "-c", "import sys; from app.ui.main import main; sys.exit(main())"]


class Start(NamedTuple):
    wall: float  # launch → login window exposed
    cpu: float  # CPU seconds of the whole child run (0 where the OS does not say)


def _children_cpu() -> float:
    if sys.platform == "win32":
        return 0.0
    import resource

    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def time_to_login(command: list[str], platform: str, work: Path) -> Start:
    """Wall seconds from launching ``command`` to its first window being exposed, and its CPU time."""
    probe = work / "shown.txt"
    probe.unlink(missing_ok=True)
    env = dict(os.environ, QT_QPA_PLATFORM=platform, ZIZHU_DATA_DIR=str(work / "data"))
    env[PROBE_ENV] = str(probe)
    cpu_before = _children_cpu()
    started = time.time()
    done = subprocess.run(
        [*command, "--org-code", ORG_CODE],
        env=env,
        cwd=work,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        timeout=RUN_TIMEOUT_S,
        check=False,
    )
    if not probe.is_file():
        tail = done.stderr.decode("utf-8", "replace")[-2000:]
        raise RuntimeError(f"{command[0]} exited with {done.returncode} before showing a window:\n{tail}")
    return Start(float(probe.read_text(encoding="utf-8")) - started, _children_cpu() - cpu_before)


def measure(command: list[str], platform: str) -> list[Start]:
    """RUNS measured starts (after WARM_UP_RUNS unmeasured ones)."""
    with tempfile.TemporaryDirectory(prefix="zizhu-bench-startup-") as folder:
        work = Path(folder)
        for _ in range(WARM_UP_RUNS):
            time_to_login(command, platform, work)
        return [time_to_login(command, platform, work) for _ in range(RUNS)]


def size_on_disk(folder: Path) -> tuple[int, int]:
    """(bytes of the files, bytes of the disk blocks they occupy); links are counted once, not followed."""
    files = blocks = 0
    for path in folder.rglob("*"):
        info = path.lstat()
        if path.is_symlink() or not path.is_file():
            continue
        files += info.st_size
        blocks += getattr(info, "st_blocks", 0) * 512 or info.st_size
    return files, blocks


def _row(label: str, starts: list[Start], target: str) -> str:
    listed = " ".join(f"{s.wall:.2f}" for s in starts)
    cpu = statistics.median(s.cpu for s in starts)
    median = statistics.median(s.wall for s in starts)
    return f"{label:<16} {median:>5.2f} s  ({listed}; CPU {cpu:.2f} s)  {target}"


def _load() -> str:
    if not hasattr(os, "getloadavg"):
        return "load average unknown"
    return f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs"


def main(argv: list[str] | None = None) -> int:
    """Print the figures; exit 1 when a bundle target is missed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--bundle", type=Path, default=DEFAULT_BUNDLE, help="one-folder bundle (dist/zizhu)")
    parser.add_argument("--platform", default="offscreen", help="QT_QPA_PLATFORM of the runs")
    parser.add_argument("--skip-source", action="store_true", help="measure the bundle only")
    args = parser.parse_args(argv)
    print(f"start-up to the login window, median of {RUNS} (after {WARM_UP_RUNS} warm-up), {args.platform}")
    print(f"before: {_load()}")
    ok = True
    if not args.skip_source:
        print(_row("from source", measure(source_command(), args.platform), "(no target)"))
    executable = args.bundle / GUI_NAME
    if not executable.is_file():
        print(f"no bundle at {executable}: run `make package` first")
        return 1
    starts = measure([str(executable)], args.platform)
    fast = statistics.median(s.wall for s in starts) <= STARTUP_TARGET_S
    ok &= fast
    verdict = "ok" if fast else "MISSED"
    print(_row("from the bundle", starts, f"target ≤ {STARTUP_TARGET_S} s: {verdict}"))
    print(f"after: {_load()}")
    files, blocks = size_on_disk(args.bundle)
    small = files / 1e6 <= SIZE_TARGET_MB
    ok &= small
    print(
        f"bundle size {files / 1e6:.1f} MB ({files / 2**20:.1f} MiB; {blocks / 1e6:.1f} MB in disk blocks)"
        f"  target ≤ {SIZE_TARGET_MB:.0f} MB: {'ok' if small else 'MISSED'}"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
