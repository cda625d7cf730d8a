"""`--merge-template FILE`: deep-merge a user's template into the generated one.

Chalice's semantics (`chalice package --merge-template`): the file wins on conflicts,
mappings merge key by key, any other value (lists included) is replaced.
"""

from __future__ import annotations

import datetime
import json
import os
import stat
from pathlib import Path
from typing import Any

from .exceptions import ConfigError

# The SAM resources whose `Events` wsgen reads, to count what SAM makes of them (quotas.py).
_WITH_EVENTS = ("AWS::Serverless::Function", "AWS::Serverless::StateMachine")

MAX_TEMPLATE_BYTES = 1024 * 1024
"""CloudFormation's largest template body (1 MB, uploaded through S3 as `sam deploy` does);
a merged file cannot be bigger than the template it goes into."""
MAX_VALUES = 1_000_000
"""Values a merged file may expand to: YAML aliases (`*name`) repeat a node, and a few
lines of them ("billion laughs") would otherwise expand to more than memory holds."""


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
    text = _read_text(path, name)
    data = _parse_json(text, name) if path.suffix == ".json" else _parse_yaml(text, name)
    if not isinstance(data, dict):
        raise ConfigError("must be a template mapping such as 'Resources: ...'", name)
    try:
        plain: dict[str, Any] = _Plain(name).convert(data, "")
    except RecursionError as exc:
        raise ConfigError("is nested too deeply to be a template", name) from exc
    return plain


def _read_text(path: Path, name: str) -> str:
    """The file's text: a regular file (or a link to one) of at most `MAX_TEMPLATE_BYTES`.

    A FIFO, a device such as /dev/zero or a socket is refused before it is opened: reading
    one could block forever or never end.
    """
    try:
        info = path.stat()
    except FileNotFoundError as exc:
        raise ConfigError("no such file", name) from exc
    except OSError as exc:
        raise ConfigError(f"cannot read it: {exc.strerror}", name) from exc
    if stat.S_ISDIR(info.st_mode):
        raise ConfigError("is a directory, not a template file", name)
    if not stat.S_ISREG(info.st_mode):
        raise ConfigError("is not a regular file (a FIFO, a device or a socket)", name)
    too_big = f"is over {MAX_TEMPLATE_BYTES // 1024} KiB, CloudFormation's largest template"
    if info.st_size > MAX_TEMPLATE_BYTES:
        raise ConfigError(too_big, name)
    try:
        with open(path, "rb", opener=_nonblocking) as stream:
            data = stream.read(MAX_TEMPLATE_BYTES + 1)
    except OSError as exc:
        raise ConfigError(f"cannot read it: {exc.strerror}", name) from exc
    if len(data) > MAX_TEMPLATE_BYTES:  # it grew since stat()
        raise ConfigError(too_big, name)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError("is not UTF-8 text", name) from exc


def _nonblocking(path: str, flags: int) -> int:
    # Swapped for a FIFO after stat(), the file must still not block the open.
    return os.open(path, flags | getattr(os, "O_NONBLOCK", 0))


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


class _Plain:
    """cfn_flip's ordered dicts as plain dicts, for JSON serialization.

    A YAML date (an unquoted `AWSTemplateFormatVersion: 2010-09-09`) becomes its ISO
    string; a value no template holds (`!!binary`, `!!set`) is an error naming its key, and
    so are an alias that contains itself and more than `MAX_VALUES` values in all.
    """

    def __init__(self, name: str) -> None:
        self.name = name
        self.count = 0
        self.path: set[int] = set()  # ids of the containers being converted (cycles)

    def convert(self, value: Any, where: str) -> Any:
        self.count += 1
        if self.count > MAX_VALUES:
            raise ConfigError(
                f"expands to over {MAX_VALUES:,} values (YAML aliases such as *name repeat "
                "what they name); write the values out",
                self.name,
            )
        if isinstance(value, dict | list):
            if id(value) in self.path:
                raise ConfigError(f"'{where}' contains itself through a YAML alias", self.name)
            self.path.add(id(value))
            try:
                if isinstance(value, dict):
                    return {
                        str(k): self.convert(v, f"{where}.{k}" if where else str(k))
                        for k, v in value.items()
                    }
                return [self.convert(v, f"{where}[{i}]") for i, v in enumerate(value)]
            finally:
                self.path.discard(id(value))
        if isinstance(value, datetime.date):  # datetime.datetime too
            return value.isoformat()
        if value is None or isinstance(value, str | int | float):
            return value
        raise ConfigError(
            f"'{where}' is a {type(value).__name__}, which a template cannot hold; quote it",
            self.name,
        )
