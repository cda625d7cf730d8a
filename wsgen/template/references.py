"""`Ref`s and `Fn::GetAtt`s in wsgen.toml's values must name something the template has.

CloudFormation refuses a template whose `Ref` names no resource, parameter or pseudo
parameter (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/intrinsic-function-reference-ref.html);
`wsgen template` says so first, naming the wsgen.toml key. SAM makes resources of its own
from each `AWS::Serverless::*` resource, named after it (`{Function}Role`,
`{Function}.Alias`): a name starting with such a resource's logical id is let through.
An `Fn::GetAtt`'s attribute must be one the resource's type has (`attributes.py`: every type
cfn-lint knows, merged resources included), or CloudFormation refuses it at deploy; cfn-lint
misses one inside a SAM policy template such as `SQSSendMessagePolicy`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from ..exceptions import ConfigError
from ..settings import FILENAME, Settings

PSEUDO_PARAMETERS = frozenset(
    {
        "AWS::AccountId",
        "AWS::NotificationARNs",
        "AWS::NoValue",
        "AWS::Partition",
        "AWS::Region",
        "AWS::StackId",
        "AWS::StackName",
        "AWS::URLSuffix",
    }
)
"""https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/pseudo-parameter-reference.html"""

MAX_LISTED = 20
"""Attributes an error lists (an RDS instance has over a hundred)."""


def check_references(template: Mapping[str, Any], settings: Settings) -> None:
    """Refuse a `Ref` or `Fn::GetAtt` in wsgen.toml's values naming nothing in `template`.

    Raises:
        ConfigError: one does; the message names the key, the name and the closest id.
    """
    resources = template.get("Resources") or {}
    parameters = template.get("Parameters") or {}
    serverless = [
        logical_id
        for logical_id, resource in resources.items()
        if isinstance(resource, dict)
        and str(resource.get("Type", "")).startswith("AWS::Serverless::")
    ]
    for where, function, name, attribute in _references(settings):
        if name in resources:
            if attribute is not None:
                _check_attribute(where, name, attribute, resources[name])
            continue
        if name.startswith(tuple(serverless)):
            continue
        if function == "Ref" and (name in parameters or name in PSEUDO_PARAMETERS):
            continue
        what = "resource or parameter" if function == "Ref" else "resource"
        known = list(resources) + (list(parameters) if function == "Ref" else [])
        import difflib  # for this error only

        close = difflib.get_close_matches(name, known, n=1)
        fix = f"did you mean '{close[0]}'?" if close else "define it in merge_template"
        raise ConfigError(
            f"'{where}' uses {function} '{name}', which is no {what} of the template; {fix}",
            FILENAME,
        )


def _check_attribute(where: str, name: str, attribute: str, resource: Any) -> None:
    """Refuse `Fn::GetAtt` `name.attribute` when the resource's type has no such attribute."""
    from .attributes import attributes, has_attribute

    kind = resource.get("Type") if isinstance(resource, dict) else None
    names = attributes(kind) if isinstance(kind, str) else None
    if names is None or has_attribute(names, attribute):
        return
    import difflib  # for this error only

    close = difflib.get_close_matches(attribute, names, n=1)
    listed = ", ".join(names[:MAX_LISTED]) + (
        f" and {len(names) - MAX_LISTED} more" if len(names) > MAX_LISTED else ""
    )
    has = f"it has {listed}" if names else "it has none: use Ref"
    fix = f"; did you mean '{close[0]}'?" if close else ""
    raise ConfigError(
        f"'{where}' uses Fn::GetAtt '{name}.{attribute}', but {name} ({kind}) has no attribute "
        f"'{attribute}' ({has}){fix}",
        FILENAME,
    )


def has_references(settings: Settings) -> bool:
    """Whether wsgen.toml's values hold a `Ref` or `Fn::GetAtt` that `check_references` checks
    (`wsgen local` builds the template to check them only then)."""
    return next(_references(settings), None) is not None


def _references(settings: Settings) -> Iterator[tuple[str, str, str, str | None]]:
    """(wsgen.toml key, `Ref` or `Fn::GetAtt`, the name it refers to, the attribute when it
    is a string) of each value."""
    values: list[tuple[str, Any]] = [
        ("environment", settings.environment),
        ("policies", settings.policies),
        ("tags", settings.tags),
    ]
    for name, function in sorted(settings.functions.items()):
        values += [
            (f"functions.{name}.environment", function.environment),
            (f"functions.{name}.policies", function.policies),
        ]
    if settings.domain is not None:
        values += [
            ("domain.certificate_arn", settings.domain.certificate_arn),
            ("domain.hosted_zone_id", settings.domain.hosted_zone_id),
        ]
    for where, value in values:
        yield from _walk(where, value)


def _walk(where: str, value: Any) -> Iterator[tuple[str, str, str, str | None]]:
    if isinstance(value, dict):
        if list(value) == ["Ref"] and isinstance(value["Ref"], str):
            yield where, "Ref", value["Ref"], None
            return
        if list(value) == ["Fn::GetAtt"]:
            target = value["Fn::GetAtt"]
            if isinstance(target, str):  # "Name.Attribute"
                name, dot, attribute = target.partition(".")
                yield where, "Fn::GetAtt", name, attribute if dot else None
            elif isinstance(target, list) and target and isinstance(target[0], str):
                given = target[1] if len(target) == 2 else None
                known = isinstance(given, str)  # not { Ref = ... }, known only at deploy
                yield where, "Fn::GetAtt", target[0], given if known else None
            return
        for key, item in value.items():
            yield from _walk(f"{where}.{key}", item)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _walk(f"{where}[{index}]", item)
