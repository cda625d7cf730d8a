"""The attributes `Fn::GetAtt` may read of each resource type, from cfn-lint's schemas.

`getatts.json` (beside this module) holds them, one line per type, as cfn-lint 1.58 derives
them from the CloudFormation resource schemas it bundles (their `readOnlyProperties`, and
every property for the older types whose properties CloudFormation returns too); a name may
be a regular expression, as in cfn-lint (`Outputs\\..*` of a nested stack). The file is
shipped so that `wsgen template` checks attributes without cfn-lint installed;
`make getatts` rewrites it from the cfn-lint of `.venv`, and a test checks it is current.
"""

from __future__ import annotations

import functools
import json
import re
from pathlib import Path

TABLE = Path(__file__).with_name("getatts.json")
REGION = "us-east-1"
"""cfn-lint's primary region: the attributes of a type do not differ between regions."""


@functools.cache
def _table() -> dict[str, list[str]]:
    table: dict[str, list[str]] = json.loads(TABLE.read_text(encoding="utf-8"))
    return table


def attributes(resource_type: str) -> list[str] | None:
    """The attribute names of `resource_type` (none for a type such as an API stage), or None
    for a type the table does not know (`Custom::...`, a third-party or newer type)."""
    return _table().get(resource_type)


def has_attribute(names: list[str], attribute: str) -> bool:
    """Whether `attribute` is one of `names`, some of which are patterns (cfn-lint's rule)."""
    return attribute in names or any(
        re.fullmatch(name, attribute) for name in names if not name.isidentifier()
    )


def from_cfn_lint() -> dict[str, list[str]]:
    """The table, as the installed cfn-lint gives it (for `make getatts` and its test)."""
    from cfnlint.schema import PROVIDER_SCHEMA_MANAGER

    schemas = PROVIDER_SCHEMA_MANAGER
    table = {}
    for resource_type in sorted(schemas.get_resource_types(REGION)):
        table[resource_type] = sorted(schemas.get_type_getatts(resource_type, REGION))
    return table


def render(table: dict[str, list[str]]) -> str:
    """`getatts.json`'s text: one type a line, so that a cfn-lint upgrade diffs readably."""
    lines = [f"  {json.dumps(k)}: {json.dumps(v)}" for k, v in sorted(table.items())]
    return "{\n" + ",\n".join(lines) + "\n}\n"


if __name__ == "__main__":  # make getatts
    TABLE.write_text(render(from_cfn_lint()), encoding="utf-8")
