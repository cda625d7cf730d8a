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


def _refused(path: Path, match: str) -> None:
    import pytest

    from wsgen.exceptions import ConfigError

    with pytest.raises(ConfigError, match=match):
        load_template(path)


def test_a_fifo_or_a_device_is_refused_without_reading_it(tmp_path: Path) -> None:
    import os

    fifo = tmp_path / "r.yaml"
    os.mkfifo(fifo)  # opening it to read would wait for a writer forever
    _refused(fifo, "not a regular file")
    _refused(Path("/dev/zero"), "not a regular file")  # reading it would never end


def test_a_link_to_a_regular_file_is_read(tmp_path: Path) -> None:
    (tmp_path / "real.json").write_text('{"Resources": {}}')
    (tmp_path / "r.json").symlink_to(tmp_path / "real.json")
    assert load_template(tmp_path / "r.json") == {"Resources": {}}


def test_a_file_over_cloudformations_template_size_is_refused(tmp_path: Path) -> None:
    from wsgen.merge import MAX_TEMPLATE_BYTES

    path = tmp_path / "r.yaml"
    path.write_text("Description: " + "a" * MAX_TEMPLATE_BYTES + "\n")
    _refused(path, "over 1024 KiB")


def test_yaml_alias_bombs_and_self_containing_aliases_are_refused(tmp_path: Path) -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 9)]
    path = tmp_path / "bomb.yaml"
    path.write_text("\n".join(lines) + "\n")  # 10**9 values once expanded
    _refused(path, "expands to over 1,000,000 values")
    path.write_text("Outputs: &loop\n  Again: *loop\n")
    _refused(path, "recursive node")  # the YAML loader's own refusal
    path.write_text("Outputs:\n  List: &loop [a, *loop]\n")
    _refused(path, r"'Outputs.List\[1\]' contains itself")


def test_aliases_within_the_limit_expand(tmp_path: Path) -> None:
    path = tmp_path / "r.yaml"
    path.write_text("Mappings:\n  A: &tags {team: chat}\n  B: *tags\n")
    assert load_template(path) == {"Mappings": {"A": {"team": "chat"}, "B": {"team": "chat"}}}
