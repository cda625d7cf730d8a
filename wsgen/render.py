"""Serializes a template: YAML with the short intrinsic forms (`!Ref`, `!Sub`), or JSON.

The bytes depend only on the template: keys sorted, no timestamps, one trailing newline.

The YAML is cfn_flip's (`to_yaml(..., clean_up=False, long_form=False)`), byte for byte, but
cfn_flip drives PyYAML's pure-Python emitter node by node, which made it most of the cost of
a large template (about 2 ms a route). `_Emitter` writes the same layout directly and asks
PyYAML only how to quote each string; anything outside the layouts it knows (multi-line or
wrapped strings, floats, empty collections, cfn_flip's JSON literals) goes to cfn_flip.
"""

from __future__ import annotations

import json
import re
from typing import Any

FORMATS = ("yaml", "json")

WIDTH = 200
"""cfn_flip's line width (`cfn_tools._config.config.max_col_width`)."""
_ACCOUNT_ID = re.compile(r"^0[0-9]+$")
_PRINTABLE = re.compile(r"^[\x20-\x7e]*$")
_LITERAL_TYPES = frozenset({"AWS::StepFunctions::StateMachine"})
"""Resource types whose JSON properties cfn_flip writes as literal blocks (cfn_clean)."""


def render(template: dict[str, Any], fmt: str = "yaml") -> str:
    if fmt == "json":
        return json.dumps(template, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    text = json.dumps(template, sort_keys=True, ensure_ascii=False)
    try:
        yaml = _Emitter().document(json.loads(text))
    except _UnsupportedError:
        from cfn_flip import to_yaml

        # cfn_flip keeps the (sorted) key order and writes `!Ref X` for `{"Ref": "X"}`;
        # clean_up=False keeps our Fn::Join and Fn::Sub as written.
        yaml = to_yaml(text, clean_up=False, long_form=False)
    return yaml.rstrip("\n") + "\n"


class _UnsupportedError(Exception):
    """A value `_Emitter` cannot write exactly as cfn_flip would."""


def _intrinsic(value: Any) -> tuple[str, Any] | None:
    """`("!Ref", "X")` for `{"Ref": "X"}`, as cfn_flip's short form names it."""
    if isinstance(value, dict) and len(value) == 1:
        [(key, inner)] = value.items()
        if key in ("Ref", "Condition"):
            return f"!{key}", inner
        if key.startswith("Fn::"):
            name = key[4:]
            if name == "GetAtt" and isinstance(inner, list):
                if not all(isinstance(part, str) for part in inner):
                    return None  # an attribute given by a Ref: only the long form holds it
                inner = ".".join(inner)
            return f"!{name}", inner
    return None


class _Emitter:
    def __init__(self) -> None:
        from yaml.emitter import Emitter
        from yaml.resolver import Resolver

        self._analyzer = Emitter(None, allow_unicode=True, width=WIDTH)
        self._resolver = Resolver()
        self._lines: list[str] = []
        self._quoted: dict[tuple[str, bool], str] = {}  # templates repeat most strings
        self._keys: set[str] = set()

    def document(self, data: Any) -> str:
        if not isinstance(data, dict) or not data:
            raise _UnsupportedError
        self._mapping_lines(data, 0, "")
        return "\n".join(self._lines) + "\n"

    # Collections: `prefix` is what starts the first line ("" or "- " items).

    def _mapping_lines(self, mapping: dict[str, Any], indent: int, prefix: str) -> None:
        if mapping.get("Type") in _LITERAL_TYPES:
            raise _UnsupportedError
        pad = " " * indent
        for number, (key, value) in enumerate(mapping.items()):
            start = (prefix if number == 0 else pad) + self._key(key) + ":"
            self._node(start, value, indent + 2)

    def _sequence_lines(self, items: list[Any], indent: int, prefix: str) -> None:
        pad = " " * indent
        for number, item in enumerate(items):
            self._node((prefix if number == 0 else pad) + "-", item, indent + 2)

    def _node(self, start: str, value: Any, inner: int) -> None:
        """`value` after `start` (a key's `k:` or an item's `-`); nested lines at `inner`."""
        function = _intrinsic(value)
        if function is not None:
            tag, value = function
            if isinstance(value, str):
                self._lines.append(f"{start} {tag} {self._scalar(value, len(start), tag)}")
                return
            if not isinstance(value, list) or not value:
                raise _UnsupportedError
            self._lines.append(f"{start} {tag}")
            self._sequence_lines(value, inner, " " * inner)
            return
        if isinstance(value, dict):
            if not value:
                raise _UnsupportedError
            if start.endswith("-"):
                self._mapping_lines(value, inner, start + " ")
            else:
                self._lines.append(start)
                self._mapping_lines(value, inner, " " * inner)
        elif isinstance(value, list):
            if not value:
                raise _UnsupportedError
            if start.endswith("-"):
                self._sequence_lines(value, inner, start + " ")
            else:
                self._lines.append(start)
                self._sequence_lines(value, inner, " " * inner)
        elif isinstance(value, str) and len(value) >= WIDTH:
            # cfn_flip folds long strings (`>-`); without spaces there is nothing to fold.
            if " " in value or not _PRINTABLE.match(value) or value[0] in "\n ":
                raise _UnsupportedError
            self._lines += [f"{start} >-", " " * inner + value]
        else:
            self._lines.append(f"{start} {self._scalar(value, len(start), None)}")

    # Scalars, quoted as PyYAML's emitter would for cfn_flip's dumper.

    def _key(self, key: str) -> str:
        if key in self._keys:
            return key
        if not key or not _PRINTABLE.match(key) or key.startswith("0"):
            raise _UnsupportedError
        analysis = self._analyzer.analyze_scalar(key)
        if analysis.multiline or not analysis.allow_block_plain or not self._implicit(key):
            raise _UnsupportedError
        self._keys.add(key)
        return key

    def _scalar(self, value: Any, column: int, tag: str | None) -> str:
        if value is True or value is False:
            return "true" if value else "false"
        if value is None:
            return "null"
        if isinstance(value, int):
            return str(value)
        if not isinstance(value, str) or not value or not _PRINTABLE.match(value):
            raise _UnsupportedError
        if " " in value and column + len(value) + (len(tag) if tag else 0) + 4 > WIDTH:
            raise _UnsupportedError  # PyYAML would wrap it at a space
        quoted = self._quoted.get((value, tag is None))
        if quoted is None:
            quoted = self._quoted[value, tag is None] = self._quote(value, tag is None)
        return quoted

    def _quote(self, value: str, may_be_plain: bool) -> str:
        analysis = self._analyzer.analyze_scalar(value)
        plain = (
            may_be_plain
            and not value.startswith("0")
            and not _ACCOUNT_ID.match(value)
            and analysis.allow_block_plain
            and self._implicit(value)
        )
        if plain:
            return value
        if not analysis.allow_single_quoted:
            raise _UnsupportedError
        return "'" + value.replace("'", "''") + "'"

    def _implicit(self, value: str) -> bool:
        """Whether a plain `value` reads back as this string (not a bool, number or date)."""
        from yaml.nodes import ScalarNode

        resolved: str = self._resolver.resolve(ScalarNode, value, (True, False))
        return resolved == "tag:yaml.org,2002:str"
