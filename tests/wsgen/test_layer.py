from __future__ import annotations

from pathlib import Path

import pytest

import runtime
from wsgen.compact import compact_source
from wsgen.layer import LAYER_DIR, stage_runtime_layer

pytestmark = pytest.mark.usefixtures("compaction_once")


def snapshot(directory: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(directory)): p.read_bytes() for p in directory.rglob("*") if p.is_file()
    }


def test_layer_holds_the_compacted_runtime_only_and_is_identical_each_run(tmp_path: Path) -> None:
    layer = stage_runtime_layer(tmp_path)
    assert layer == tmp_path / LAYER_DIR
    first = snapshot(layer)
    package = Path(runtime.__file__).parent
    assert {Path(name).name for name in first} == {p.name for p in package.glob("*.py")}
    assert all(name.startswith("python/runtime/") for name in first)
    source = (package / "app.py").read_text()
    assert first["python/runtime/app.py"] == compact_source(source).encode()
    assert sum(map(len, first.values())) < 0.7 * sum(
        len(p.read_bytes()) for p in package.glob("*.py")
    )
    stage_runtime_layer(tmp_path)
    assert snapshot(layer) == first


def test_files_runtime_no_longer_has_are_removed(tmp_path: Path) -> None:
    layer = stage_runtime_layer(tmp_path)
    stale = layer / "python/runtime/old.py"
    stale.write_text("")
    stage_runtime_layer(tmp_path)
    assert not stale.exists()


def test_the_staged_folder_ignores_itself_in_git(tmp_path: Path) -> None:
    stage_runtime_layer(tmp_path)
    assert (tmp_path / ".wsgen/.gitignore").read_text().splitlines()[-1] == "*"


def test_a_staged_file_changed_by_hand_is_restored(tmp_path: Path) -> None:
    layer = stage_runtime_layer(tmp_path)
    first = snapshot(layer)
    (layer / "python/runtime/app.py").write_text("broken = True\n")
    stage_runtime_layer(tmp_path)
    assert snapshot(layer) == first
