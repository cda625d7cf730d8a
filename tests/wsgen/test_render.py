"""render's own YAML emitter writes exactly what cfn_flip would, or hands over to it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cfn_flip import to_json, to_yaml

from tests.support.paths import GOLDEN
from wsgen.render import _Emitter, _UnsupportedError, render

TRICKY = [
    "true",
    "Off",
    "null",
    "~",
    "",
    "0123",
    "123",
    "1.5",
    "2010-09-09",
    "-x",
    "- x",
    "x: y",
    "a #b",
    "::",
    "'q'",
    '"q"',
    "*",
    "&a",
    "!x",
    "%",
    "@",
    "`",
    "[a]",
    "{a}",
    "a,b",
    "? x",
    "$request.body.action",
    "arn:${AWS::Partition}:x",
    "x" * 250,
    "it's",
    " lead",
    "trail ",
]


def cfn_flip_yaml(data: object) -> str:
    text = to_yaml(json.dumps(data, sort_keys=True), clean_up=False, long_form=False)
    return text.rstrip("\n") + "\n"


@pytest.mark.parametrize("golden", sorted(GOLDEN.glob("*.yaml")), ids=lambda p: p.stem)
def test_goldens_take_the_fast_path_and_match_cfn_flip(golden: Path) -> None:
    data = json.loads(to_json(golden.read_text()))
    assert _Emitter().document(json.loads(json.dumps(data, sort_keys=True))) == cfn_flip_yaml(data)


@pytest.mark.parametrize("value", TRICKY)
def test_strings_are_quoted_as_cfn_flip_quotes_them(value: str) -> None:
    data = {
        "Plain": value,
        "Ref": {"Ref": value},
        "List": [value, {"Fn::Join": ["", [value, {"Fn::GetAtt": ["A", "Arn"]}]]}],
        "Map": [{"Key": value, "Other": [[value]]}],
    }
    assert render(data) == cfn_flip_yaml(data)


def test_what_the_emitter_cannot_write_goes_to_cfn_flip() -> None:
    data = {"Lines": "one\ntwo", "Empty": {}, "Float": 1.5, "Long": "word " * 60}
    with pytest.raises(_UnsupportedError):
        _Emitter().document(data)
    assert render(data) == cfn_flip_yaml(data)


def test_a_getatt_whose_attribute_is_a_ref_is_written_in_its_long_form() -> None:
    """CloudFormation takes `Fn::GetAtt: [X, !Ref Y]`; the short form holds only names."""
    data = {"V": {"Fn::GetAtt": ["Queue", {"Ref": "Attribute"}]}, "W": {"Fn::GetAtt": ["Q", "Arn"]}}
    text = render(data)
    assert text == "V:\n  Fn::GetAtt:\n    - Queue\n    - !Ref 'Attribute'\nW: !GetAtt 'Q.Arn'\n"
    assert json.loads(to_json(text)) == data
