"""`Ref`s and `Fn::GetAtt`s in wsgen.toml's values must name something the template has.

CloudFormation refuses a template whose `Ref` names no resource, parameter or pseudo
parameter (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/intrinsic-function-reference-ref.html);
`wsgen template` says so first, naming the wsgen.toml key. SAM makes resources of its own
from each `AWS::Serverless::*` resource, named after it (`{Function}Role`,
`{Function}.Alias`): a name starting with such a resource's logical id is let through.
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
    for where, function, name in _references(settings):
        if name in resources or name.startswith(tuple(serverless)):
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


def has_references(settings: Settings) -> bool:
    """Whether wsgen.toml's values hold a `Ref` or `Fn::GetAtt` that `check_references` checks
    (`wsgen local` builds the template to check them only then)."""
    return next(_references(settings), None) is not None


def _references(settings: Settings) -> Iterator[tuple[str, str, str]]:
    """(wsgen.toml key, `Ref` or `Fn::GetAtt`, the name it refers to) of each value."""
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


def _walk(where: str, value: Any) -> Iterator[tuple[str, str, str]]:
    if isinstance(value, dict):
        if list(value) == ["Ref"] and isinstance(value["Ref"], str):
            yield where, "Ref", value["Ref"]
            return
        if list(value) == ["Fn::GetAtt"]:
            target = value["Fn::GetAtt"]
            name = target[0] if isinstance(target, list) and target else target
            if isinstance(name, str):
                yield where, "Fn::GetAtt", name.split(".", 1)[0] if name is target else name
            return
        for key, item in value.items():
            yield from _walk(f"{where}.{key}", item)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _walk(f"{where}[{index}]", item)
