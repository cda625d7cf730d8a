"""Serializes a template: YAML with the short intrinsic forms (`!Ref`, `!Sub`), or JSON.

The bytes depend only on the template: keys sorted, no timestamps, one trailing newline.
"""

from __future__ import annotations

import json
from typing import Any

FORMATS = ("yaml", "json")


def render(template: dict[str, Any], fmt: str = "yaml") -> str:
    text = json.dumps(template, indent=2, sort_keys=True, ensure_ascii=False)
    if fmt == "json":
        return text + "\n"
    from cfn_flip import to_yaml

    # cfn_flip keeps the (sorted) key order and writes `!Ref X` for `{"Ref": "X"}`;
    # clean_up=False keeps our Fn::Join and Fn::Sub as written.
    yaml: str = to_yaml(text, clean_up=False, long_form=False)
    return yaml.rstrip("\n") + "\n"
