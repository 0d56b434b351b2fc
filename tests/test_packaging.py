"""The project's own files install everything: packages listed, resources found, scripts declared."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def _pyproject() -> dict[str, Any]:
    with (ROOT / "pyproject.toml").open("rb") as stream:
        return tomllib.load(stream)


def test_every_app_package_is_listed_for_installation() -> None:
    listed = set(_pyproject()["tool"]["setuptools"]["packages"])
    on_disk = {
        ".".join(init.parent.relative_to(ROOT).parts)
        for init in (ROOT / "app").rglob("__init__.py")
        if "__pycache__" not in init.parts
    }
    assert on_disk <= listed, f"add to [tool.setuptools] packages: {sorted(on_disk - listed)}"
    assert "zizhu_resources" in listed


def test_console_scripts_are_declared() -> None:
    project = _pyproject()["project"]
    assert project["scripts"]["zizhu"] == "app.cli:main"
    assert project["gui-scripts"]["zizhu-gui"] == "app.ui.main:main"


def test_qt_is_pinned_to_the_soak_tested_version() -> None:
    deps = _pyproject()["project"]["dependencies"]
    assert "PySide6-Essentials==6.11.3" in deps


def test_shipped_resources_are_reachable_as_package_data() -> None:
    from app.models.resources import resource

    for parts in (
        ("tables", "students.toml"),
        ("tables", "aid.toml"),
        ("codes", "codes.toml"),
        ("policy", "guangxi.toml"),
    ):
        assert resource(*parts).is_file(), parts


def test_ci_runs_make_test() -> None:
    assert "make test" in (ROOT / ".ci" / "run").read_text(encoding="utf-8")
