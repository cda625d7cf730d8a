"""How a settings dataclass's annotated fields become the keys of a `wsgen.toml` table.

A field is a key when its annotation carries a check (`Annotated[int, checks.TIMEOUT]`),
and optionally `Rule`s saying how its values combine. `keys_of` reads them; `Section` checks
a sub-table against a dataclass's keys and builds the dataclass. `wsgen.settings` says which
keys exist and how to add one.
"""

from __future__ import annotations

import dataclasses
import enum
import re
from collections.abc import Mapping
from typing import Any, NamedTuple, get_type_hints

from . import checks
from .checks import Check


class Rule(enum.Enum):
    """How a setting's value combines with another of the same key (default: it replaces it)."""

    ADDS_KEYS = "a stage's or a function's table adds to the top-level one, key by key"
    ADDS_TABLES = "a stage's named tables add per name, their keys replacing the top-level's"
    NOT_INHERITED = "the top-level value is the default function's, not [functions.NAME]'s"


class Key(NamedTuple):
    """A key of a settings table: how its value is checked and combined."""

    check: Check
    rules: frozenset[Rule]


_KEYS: dict[type, dict[str, Key]] = {}


def keys_of(cls: type) -> dict[str, Key]:
    """The keys of a settings class: its fields with a check in their annotation, in order."""
    if cls not in _KEYS:
        hints = get_type_hints(cls, include_extras=True)
        found = {}
        for field in dataclasses.fields(cls):
            extras = getattr(hints[field.name], "__metadata__", ())
            rules = frozenset(extra for extra in extras if isinstance(extra, Rule))
            for extra in extras:
                if callable(extra):
                    found[field.name] = Key(extra, rules)
        _KEYS[cls] = found
    return _KEYS[cls]


def required(cls: type) -> tuple[str, ...]:
    """The keys a table of `cls` must have: its fields without a default."""
    return tuple(
        field.name
        for field in dataclasses.fields(cls)
        if field.default is dataclasses.MISSING and field.default_factory is dataclasses.MISSING
    )


class Section:
    """The check of a sub-table whose keys are a settings class's (`[domain]`), or of a table
    of such named sub-tables (`[routes."KEY"]`); `build` makes the typed value once checked.

    With `inherits`, a sub-table's unset keys take the top-level keys' values (`build`'s
    `top`) and its `Rule.ADDS_KEYS` keys add to them.
    """

    def __init__(
        self,
        cls: type,
        *,
        named: bool = False,
        name_pattern: re.Pattern[str] | None = None,
        inherits: bool = False,
    ) -> None:
        self.cls = cls
        self.named = named
        self.name_pattern = name_pattern
        self.inherits = inherits

    def __call__(self, name: str, value: Any, source: str | None) -> Any:
        keys = {key: spec.check for key, spec in keys_of(self.cls).items()}
        if self.named:
            return checks.tables(keys, self.name_pattern)(name, value, source)
        return checks.table(keys, required(self.cls))(name, value, source)

    def build(self, value: Any, top: object) -> Any:
        if self.named:
            return {name: self._one(table, top) for name, table in value.items()}
        return self._one(value, top)

    def _one(self, table: Mapping[str, Any], top: object) -> Any:
        keys = keys_of(self.cls)
        values: dict[str, Any] = {}
        if self.inherits:
            top_keys = keys_of(type(top))
            # Only a key the two classes share (the same field, so the same check) inherits:
            # `[functions.NAME]`'s `routes` is a list of keys, the top level's `[routes]` is
            # another thing with the same name.
            values = {
                key: getattr(top, key)
                for key in keys
                if top_keys.get(key) == keys[key] and Rule.NOT_INHERITED not in keys[key].rules
            }
        for key, value in table.items():
            values[key] = combine(keys[key].rules, values.get(key), value)
        return self.cls(**values)


def combine(rules: frozenset[Rule], old: Any, new: Any) -> Any:
    """`new` combined with `old`, an earlier value of the same key, by the key's rules."""
    if old is None:
        return new
    if Rule.ADDS_KEYS in rules:
        return {**old, **new}
    if Rule.ADDS_TABLES in rules:
        return {**old, **{name: {**old.get(name, {}), **table} for name, table in new.items()}}
    return new
