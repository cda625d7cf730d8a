"""`--merge-template FILE`: deep-merge a user's template into the generated one.

Chalice's semantics (`chalice package --merge-template`): the file wins on conflicts,
mappings merge key by key, any other value (lists included) is replaced.
"""

from __future__ import annotations

import datetime
import json
from pathlib import Path
from typing import Any

from .exceptions import ConfigError

# The SAM resources whose `Events` wsgen reads, to count what SAM makes of them (quotas.py).
_WITH_EVENTS = ("AWS::Serverless::Function", "AWS::Serverless::StateMachine")


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
    plain: dict[str, Any] = _plain(data, "", name)
    return plain


def check_merged(template: dict[str, Any], source: str) -> None:
    """Refuse a merged template whose resources are not what CloudFormation reads.

    The file may patch the generated resources, so the merged result is checked, as far as
    wsgen reads it (counting resources, writing the template); the file is named.

    Raises:
        ConfigError: `Resources` is not a mapping of resources, a resource has no `Type`,
            or a function's `Events` are not a mapping of events.
    """
    resources = template.get("Resources")
    if not isinstance(resources, dict) or not resources:
        raise ConfigError(
            f"'Resources' must be a mapping of logical ids to resources, not {resources!r}",
            source,
        )
    for name, resource in resources.items():
        where = f"Resources.{name}"
        if not isinstance(resource, dict):
            raise ConfigError(
                f"'{where}' must be a mapping with Type and Properties, not {resource!r}", source
            )
        if not isinstance(resource.get("Type"), str) or not resource["Type"]:
            raise ConfigError(f"'{where}' needs a Type such as AWS::SNS::Topic", source)
        _check_mapping(resource, "Properties", where, source)
        if resource["Type"] not in _WITH_EVENTS:
            continue
        events = _check_mapping(
            resource.get("Properties") or {}, "Events", f"{where}.Properties", source
        )
        for event_name, event in (events or {}).items():
            event_where = f"{where}.Properties.Events.{event_name}"
            if not isinstance(event, dict):
                raise ConfigError(
                    f"'{event_where}' must be a mapping with Type and Properties, not {event!r}",
                    source,
                )
            _check_mapping(event, "Properties", event_where, source)


def _check_mapping(parent: dict[str, Any], key: str, where: str, source: str) -> Any:
    """`parent[key]`, which must be a mapping if it is there (or null)."""
    value = parent.get(key)
    if value is not None and not isinstance(value, dict):
        raise ConfigError(f"'{where}.{key}' must be a mapping, not {value!r}", source)
    return value


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


def _plain(value: Any, where: str, name: str) -> Any:
    """cfn_flip's ordered dicts as plain dicts, for JSON serialization.

    A YAML date (an unquoted `AWSTemplateFormatVersion: 2010-09-09`) becomes its ISO
    string; a value no template holds (`!!binary`, `!!set`) is an error naming its key.
    """
    if isinstance(value, dict):
        return {
            str(k): _plain(v, f"{where}.{k}" if where else str(k), name) for k, v in value.items()
        }
    if isinstance(value, list):
        return [_plain(v, f"{where}[{i}]", name) for i, v in enumerate(value)]
    if isinstance(value, datetime.date):  # datetime.datetime too
        return value.isoformat()
    if value is None or isinstance(value, str | int | float):
        return value
    raise ConfigError(
        f"'{where}' is a {type(value).__name__}, which a template cannot hold; quote it", name
    )
