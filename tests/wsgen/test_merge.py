from __future__ import annotations

from pathlib import Path

from wsgen.merge import deep_merge, load_template


def test_the_file_wins_dicts_merge_and_lists_are_replaced() -> None:
    generated = {"A": {"x": 1, "y": [1, 2], "z": {"k": 1}}, "B": 1}
    overlay = {"A": {"x": 2, "y": [3], "z": {"j": 2}}, "C": 3}
    assert deep_merge(generated, overlay) == {
        "A": {"x": 2, "y": [3], "z": {"k": 1, "j": 2}},
        "B": 1,
        "C": 3,
    }
    assert generated["A"] == {"x": 1, "y": [1, 2], "z": {"k": 1}}


def test_yaml_short_forms_load_as_long_forms(tmp_path: Path) -> None:
    path = tmp_path / "r.yaml"
    path.write_text("Outputs:\n  T:\n    Value: !GetAtt Table.Arn\n  U:\n    Value: !Sub '${A}'\n")
    assert load_template(path) == {
        "Outputs": {
            "T": {"Value": {"Fn::GetAtt": ["Table", "Arn"]}},
            "U": {"Value": {"Fn::Sub": "${A}"}},
        }
    }


def test_json_templates_load(tmp_path: Path) -> None:
    path = tmp_path / "r.json"
    path.write_text('{"Resources": {}}')
    assert load_template(path) == {"Resources": {}}
