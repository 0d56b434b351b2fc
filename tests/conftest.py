"""Shared fixtures. Every test gets its own user-data folder, never the real one."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


@pytest.fixture(autouse=True)
def isolated_data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """ZIZHU_DATA_DIR points every store and log of the test at a temporary folder."""
    data_dir = tmp_path / "userdata"
    monkeypatch.setenv("ZIZHU_DATA_DIR", str(data_dir))
    yield data_dir
