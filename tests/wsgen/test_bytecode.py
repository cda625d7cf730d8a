"""The staged layer's bytecode: compiled by an interpreter of the runtime's version, and used.

The proof that Lambda would use it: the layer copied and made read-only, its sources' times
changed as a zip would, then imported by that interpreter with every source compilation
counted. None may happen; with the bytecode removed, every module compiles (the counter
works).
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.builders import ECHO
from wsgen import bytecode
from wsgen.layer import CACHE_DIR, LAYER_DIR, stage_runtime_layer, staged_bytecode

RUNNING = f"python{sys.version_info.major}.{sys.version_info.minor}"
OTHERS = [f"python3.{minor}" for minor in (11, 12, 13) if f"python3.{minor}" != RUNNING]
AVAILABLE = [RUNNING] + [r for r in OTHERS if bytecode.find_interpreter(r)]

COUNT = """
import importlib._bootstrap_external as external, json, pkgutil, sys
compiled = []
original = external.SourceLoader.source_to_code
def counting(self, data, path, *args, **kwargs):
    compiled.append(path)
    return original(self, data, path, *args, **kwargs)
external.SourceLoader.source_to_code = counting
sys.path[:0] = [sys.argv[1]]
import runtime
names = [m.name for m in pkgutil.iter_modules(runtime.__path__)]
for name in names:
    try:
        __import__("runtime." + name)
    except ImportError:  # runtime.entry imports the app, not here: it was loaded all the same
        pass
print(json.dumps({"compiled": compiled, "modules": len(names) + 1,
                  "code_file": sys.modules["runtime.aws"].request.__code__.co_filename}))
"""


def read_only_copy(layer: Path, into: Path, *, with_bytecode: bool = True) -> Path:
    """The layer's python/ as a read-only tree with sources dated as a zip would date them."""
    copy = into / "opt-python"
    shutil.copytree(layer / "python", copy)
    if not with_bytecode:
        shutil.rmtree(copy / "runtime" / CACHE_DIR)
    for path in sorted(copy.rglob("*"), reverse=True):
        if path.suffix == ".py":
            os.utime(path, (315532800, 315532800))  # 1980-01-01, a zip's earliest date
        path.chmod(stat.S_IREAD | (stat.S_IEXEC if path.is_dir() else 0))
    copy.chmod(stat.S_IREAD | stat.S_IEXEC)
    return copy


def imports(python: Path, copy: Path) -> dict[str, object]:
    done = subprocess.run(
        [str(python), "-I", "-S", "-B", "-c", COUNT, str(copy)],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    return json.loads(done.stdout)  # type: ignore[no-any-return]


def writable(tree: Path) -> None:
    for path in [tree, *tree.rglob("*")]:
        path.chmod(stat.S_IRWXU)


@pytest.mark.parametrize("runtime", AVAILABLE)
@pytest.mark.slow  # compiled by an interpreter in a subprocess
def test_shipped_bytecode_is_used_from_a_read_only_copy(runtime, tmp_path):
    python = bytecode.find_interpreter(runtime)
    assert python is not None
    layer = stage_runtime_layer(tmp_path / "app", runtime)
    tag = f"cpython-{runtime.removeprefix('python').replace('.', '')}"
    assert staged_bytecode(tmp_path / "app") == f"{tag} by {python}"
    cache = layer / "python" / "runtime" / CACHE_DIR
    pycs = sorted(cache.iterdir())
    modules = sorted((layer / "python" / "runtime").glob("*.py"))
    assert [p.name for p in pycs] == [f"{m.stem}.{tag}.pyc" for m in modules]
    for pyc in pycs:  # PEP 552: flags 0b01, hash-based and not checked against the source
        assert int.from_bytes(pyc.read_bytes()[4:8], "little") == 0b01
        assert str(tmp_path).encode() not in pyc.read_bytes()  # no build machine path
    copy = read_only_copy(layer, tmp_path / "ro")
    try:
        used = imports(python, copy)
        bare = read_only_copy(layer, tmp_path / "ro-source", with_bytecode=False)
        without = imports(python, bare)
    finally:
        writable(tmp_path)
    assert used["compiled"] == []
    # the import fixes the code's file name up to where it runs (what tracebacks show)
    assert used["code_file"] == str(copy / "runtime" / "aws.py")
    assert len(without["compiled"]) == used["modules"] == len(modules)


@pytest.mark.slow  # compiled by an interpreter in a subprocess
def test_staging_again_is_a_check_that_keeps_the_bytecode(tmp_path):
    layer = stage_runtime_layer(tmp_path, RUNNING)
    cache = layer / "python" / "runtime" / CACHE_DIR
    before = {p.name: p.stat().st_mtime_ns for p in cache.iterdir()}
    stage_runtime_layer(tmp_path, RUNNING)
    assert {p.name: p.stat().st_mtime_ns for p in cache.iterdir()} == before
    (cache / next(iter(before))).unlink()  # a staged file gone: staged again
    stage_runtime_layer(tmp_path, RUNNING)
    assert sorted(p.name for p in cache.iterdir()) == sorted(before)


@pytest.mark.slow  # compiled by an interpreter in a subprocess
def test_another_runtime_replaces_the_bytecode_and_none_removes_it(tmp_path, monkeypatch):
    stage_runtime_layer(tmp_path, RUNNING)
    monkeypatch.setattr(bytecode, "find_interpreter", lambda runtime: None)
    stage_runtime_layer(tmp_path, "python3.99")
    assert not (tmp_path / LAYER_DIR / "python" / "runtime" / CACHE_DIR).exists()
    assert staged_bytecode(tmp_path) == "none: no python3.99 interpreter found"


@pytest.mark.slow  # compiled by an interpreter in a subprocess
def test_an_interpreter_of_the_wrong_version_gives_source_and_says_why(tmp_path, monkeypatch):
    other = "python3.12" if RUNNING != "python3.12" else "python3.13"
    monkeypatch.setattr(bytecode, "find_interpreter", lambda runtime: Path(sys.executable))
    stage_runtime_layer(tmp_path, other)
    assert not (tmp_path / LAYER_DIR / "python" / "runtime" / CACHE_DIR).exists()
    said = staged_bytecode(tmp_path)
    assert said.startswith("none: ") and f"not {other.removeprefix('python')}" in said


def test_pyenv_interpreters_are_found_newest_patch_first(tmp_path, monkeypatch):
    for release in ("3.99.1", "3.99.10", "3.99.2", "3.98.0"):
        binary = tmp_path / "versions" / release / "bin" / "python3.99"
        binary.parent.mkdir(parents=True)
        binary.write_text("#!/bin/sh\n")
        binary.chmod(0o755)
    monkeypatch.setenv("PYENV_ROOT", str(tmp_path))
    found = bytecode.find_interpreter("python3.99")
    assert found == tmp_path / "versions" / "3.99.10" / "bin" / "python3.99"
    assert bytecode.find_interpreter("python3.97") is None


def test_template_says_which_on_stderr(wsgen_compiling, app_dir, monkeypatch):
    wsgen = wsgen_compiling
    directory = app_dir(ECHO)
    shipped = wsgen("template", "--app-dir", str(directory), "--runtime", RUNNING)
    assert shipped.code == 0
    assert shipped.notes == (
        f"note: the runtime layer ships cpython-{RUNNING[6:].replace('.', '')} bytecode "
        f"(compiled by {sys.executable})\n"
    )
    monkeypatch.setattr(bytecode, "find_interpreter", lambda runtime: None)
    other = "python3.13" if RUNNING != "python3.13" else "python3.12"
    source = wsgen("template", "--app-dir", str(directory), "--runtime", other)
    assert source.code == 0
    assert source.notes.startswith(
        f"note: the runtime layer ships source only (no {other} interpreter found); "
    )
    assert source.notes.count("\n") == 1
