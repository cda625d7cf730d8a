"""`--merge-template FILE`: deep-merge a user's template into the generated one.

Chalice's semantics (`chalice package --merge-template`): the file wins on conflicts,
mappings merge key by key, any other value (lists included) is replaced.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .exceptions import ConfigError


def deep_merge(generated: Any, overlay: Any) -> Any:
    """`overlay` merged into `generated`; neither is modified."""
    if isinstance(generated, dict) and isinstance(overlay, dict):
        merged = dict(generated)
        for key, value in overlay.items():
            merged[key] = deep_merge(generated.get(key), value)
        return merged
    return overlay


def load_template(path: Path, source: str | None = None) -> dict[str, Any]:
    """A JSON or YAML CloudFormation template (short forms such as `!Ref` allowed).

    Raises:
        ConfigError: the file is missing, unreadable, malformed or not a mapping.
    """
    name = source or str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise ConfigError("no such file", name) from exc
    except IsADirectoryError as exc:
        raise ConfigError("is a directory, not a template file", name) from exc
    except OSError as exc:
        raise ConfigError(f"cannot read it: {exc.strerror}", name) from exc
    except UnicodeDecodeError as exc:
        raise ConfigError("is not UTF-8 text", name) from exc
    data = _parse_json(text, name) if path.suffix == ".json" else _parse_yaml(text, name)
    if not isinstance(data, dict):
        raise ConfigError("must be a template mapping such as 'Resources: ...'", name)
    plain: dict[str, Any] = _plain(data)
    return plain


def _parse_json(text: str, name: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(f"line {exc.lineno}: is not valid JSON: {exc.msg}", name) from exc


def _parse_yaml(text: str, name: str) -> Any:
    import yaml
    from cfn_tools import load_yaml  # cfn_flip's loader: understands !Ref, !Sub, !GetAtt ...

    try:
        return load_yaml(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}: " if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ConfigError(f"{where}is not valid YAML: {problem}", name) from exc


def _plain(value: Any) -> Any:
    """cfn_flip's ordered dicts as plain dicts, for JSON serialization."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value
