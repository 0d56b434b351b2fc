"""Locating the shipped data files (resources/ is installed as the package ``zizhu_resources``)."""

from __future__ import annotations

import tomllib
from functools import cache
from importlib import resources
from importlib.resources.abc import Traversable
from typing import Any


def resource(*parts: str) -> Traversable:
    """The shipped file at ``resources/<parts…>``."""
    node = resources.files("zizhu_resources")
    for part in parts:
        node = node.joinpath(part)
    return node


@cache
def load_toml(*parts: str) -> dict[str, Any]:
    """Parse a shipped TOML file once per process."""
    with resource(*parts).open("rb") as stream:
        return tomllib.load(stream)
