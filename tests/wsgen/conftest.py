"""Fixtures for the wsgen tool's tests: running `wsgen` in-process, making app directories."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from itertools import count
from pathlib import Path

import pytest

from tests.support.golden import BYTECODE_NOTE
from tests.support.staging import SharedLayer, compacted
from tests.support.templates import Result
from wsgen.cli import main
from wsgen.layer import stage_runtime_layer

TODAY = date(2026, 12, 1)
"""The day `wsgen template` counts runtime deprecations from in these tests."""


@pytest.fixture(autouse=True)
def fixed_today(monkeypatch: pytest.MonkeyPatch) -> date:
    """Whether the default runtime is near its deprecation must not depend on the test's day."""
    monkeypatch.setattr("wsgen.settings.today", lambda: TODAY)
    return TODAY


@pytest.fixture(scope="session")
def shared_layer(tmp_path_factory: pytest.TempPathFactory) -> SharedLayer:
    with pytest.MonkeyPatch.context() as m:
        m.setattr("wsgen.compact.compact_source", compacted)
        return SharedLayer(tmp_path_factory.mktemp("shared-layer"))


@pytest.fixture
def compaction_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """Staging compacts each of runtime's modules once a session (tests/support/staging.py)."""
    monkeypatch.setattr("wsgen.compact.compact_source", compacted)


@pytest.fixture(autouse=True)
def source_only_staging(monkeypatch: pytest.MonkeyPatch, shared_layer: SharedLayer) -> None:
    """`wsgen template` run in-process here (the `wsgen` fixture, `render_sample`) stages the
    session's source-only layer (tests/support/staging.py): no compaction and no interpreter
    run per test. test_layer and test_bytecode call the real staging by name."""
    monkeypatch.setattr("wsgen.layer.stage_runtime_layer", shared_layer.stage)


@pytest.fixture
def wsgen(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> Callable[..., Result]:
    """`wsgen(*argv, cwd=DIR)`: run the CLI; returns the exit code, stdout and stderr.

    It stages the runtime layer as `source_only_staging` does; `wsgen_compiling` stages it as
    users get it.
    """
    return _runner(capsys, monkeypatch)


@pytest.fixture
def wsgen_compiling(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> Callable[..., Result]:
    """`wsgen` staging the layer for real: compacted, and compiled by an interpreter of the
    runtime when there is one (a subprocess, so the test is marked slow)."""
    monkeypatch.setattr("wsgen.layer.stage_runtime_layer", stage_runtime_layer)
    return _runner(capsys, monkeypatch)


def _runner(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> Callable[..., Result]:
    def run(*argv: str, cwd: Path | None = None) -> Result:
        capsys.readouterr()
        with monkeypatch.context() as m:
            if cwd is not None:
                m.chdir(cwd)
            code = main(list(argv))
        captured = capsys.readouterr()
        lines = captured.err.splitlines(keepends=True)
        notes = "".join(line for line in lines if line.startswith(BYTECODE_NOTE))
        err = "".join(line for line in lines if not line.startswith(BYTECODE_NOTE))
        return Result(code, captured.out, err, notes)

    return run


@pytest.fixture
def app_dir(tmp_path: Path) -> Callable[..., Path]:
    """`app_dir(source, {name: text})`: a fresh directory with `source` as app.py, and files."""
    numbers = count()

    def make(source: str, files: dict[str, str] | None = None) -> Path:
        directory = tmp_path / f"app{next(numbers)}"
        directory.mkdir()
        (directory / "app.py").write_text(source)
        for name, text in (files or {}).items():
            (directory / name).write_text(text)
        return directory

    return make
