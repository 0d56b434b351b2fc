"""Overrides PyInstaller's hook of PySide6.QtGui: the same collection minus unused plugins (qt_plugins.py)."""

import runpy
from pathlib import Path

from PyInstaller.utils.hooks.qt import add_qt6_dependencies

is_used = runpy.run_path(str(Path(__file__).with_name("qt_plugins.py")))["is_used"]
hiddenimports, binaries, datas = add_qt6_dependencies(__file__)
binaries = [entry for entry in binaries if is_used(entry)]
