"""Code lists of the enum columns (resources/codes/codes.toml)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from types import MappingProxyType

from app.models.resources import load_toml


@dataclass(frozen=True)
class CodeList:
    """Allowed values of an enum column and the aliases that map onto them."""

    name: str
    title: str
    values: tuple[str, ...]
    aliases: Mapping[str, str] = field(default_factory=dict)
    by_stage: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def canonical(self, text: str) -> str | None:
        """The canonical value for ``text`` (itself, or what its alias stands for), else None."""
        if text in self._value_set:
            return text
        return self.aliases.get(text)

    def values_for_stage(self, stage: str) -> tuple[str, ...]:
        """The values allowed with a given 学段 (年级); every value when the list has no stages."""
        if not self.by_stage:
            return self.values
        return self.by_stage.get(stage, ())

    @property
    def _value_set(self) -> frozenset[str]:
        return _value_set(self.values)


@cache
def _value_set(values: tuple[str, ...]) -> frozenset[str]:
    return frozenset(values)


def _dedupe(values: list[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(values))


def _ethnicity_aliases(codes: Mapping[str, str], suffix: str) -> dict[str, str]:
    aliases: dict[str, str] = {}
    for code, name in codes.items():
        aliases[code] = name
        aliases[str(int(code))] = name  # Excel drops the leading zero of "08"
        if suffix and name.endswith(suffix) and len(name) > len(suffix):
            aliases[name.removesuffix(suffix)] = name
    return aliases


def _build(name: str, raw: Mapping[str, object]) -> CodeList:
    aliases: dict[str, str] = {}
    values: list[str] = [str(v) for v in raw.get("values", [])]  # type: ignore[attr-defined]
    codes = raw.get("codes")
    if isinstance(codes, Mapping):
        values.extend(str(v) for v in codes.values())
        aliases.update(_ethnicity_aliases(codes, str(raw.get("short_form_suffix", ""))))
    by_stage: dict[str, tuple[str, ...]] = {}
    stages = raw.get("by_stage")
    if isinstance(stages, Mapping):
        for stage, grades in stages.items():
            by_stage[str(stage)] = tuple(str(g) for g in grades)
            values.extend(by_stage[str(stage)])
    explicit = raw.get("aliases")
    if isinstance(explicit, Mapping):
        aliases.update({str(k): str(v) for k, v in explicit.items()})
    return CodeList(
        name=name,
        title=str(raw.get("title", name)),
        values=_dedupe(values),
        aliases=MappingProxyType(aliases),
        by_stage=MappingProxyType(by_stage),
    )


@cache
def code_lists() -> Mapping[str, CodeList]:
    """Every code list shipped in resources/codes/codes.toml, by name."""
    raw = load_toml("codes", "codes.toml")
    return MappingProxyType({name: _build(name, spec) for name, spec in raw.items()})


def code_list(name: str) -> CodeList:
    return code_lists()[name]
