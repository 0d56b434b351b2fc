"""QSettings of a test in its own folder, so remembered layouts never leak between tests."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QCoreApplication, QSettings


def isolate_settings(folder: Path) -> None:
    """Make QSettings read and write an INI file under ``folder`` for the rest of the test."""
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(folder / "settings"))
    QCoreApplication.setOrganizationName("zizhutong-tests")
