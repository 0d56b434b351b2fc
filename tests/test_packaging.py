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


def _constraints() -> dict[str, str]:
    """Package name (canonical) → the exact version of constraints.txt."""
    from packaging.utils import canonicalize_name

    pinned: dict[str, str] = {}
    for line in (ROOT / "constraints.txt").read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            name, _, version = line.partition("==")
            assert version, f"constraints.txt: «{line}» is not name==version"
            pinned[canonicalize_name(name)] = version.strip()
    return pinned


def test_constraints_pin_every_dependency_within_what_pyproject_allows() -> None:
    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    project = _pyproject()["project"]
    texts = list(project["dependencies"])
    for extra in project["optional-dependencies"].values():
        texts.extend(extra)
    requirements = [Requirement(text) for text in texts]
    pinned = _constraints()
    for requirement in requirements:
        version = pinned.get(canonicalize_name(requirement.name))
        assert version is not None, f"constraints.txt has no line for {requirement.name}"
        assert requirement.specifier.contains(version, prereleases=True), (
            f"constraints.txt pins {requirement.name}=={version}, outside pyproject's «{requirement}»"
        )


def test_every_install_goes_through_the_constraints() -> None:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    lines = makefile.splitlines()
    installs = [line for line in lines if "pip install" in line and "--upgrade pip" not in line]
    assert len(installs) == 3
    assert all("-c constraints.txt" in line for line in installs), installs
