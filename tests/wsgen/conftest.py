"""Fixtures for the wsgen tool's tests: running `wsgen` in-process, making app directories."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from itertools import count
from pathlib import Path

import pytest

from tests.support.golden import BYTECODE_NOTE
from tests.support.templates import Result
from wsgen.cli import main

TODAY = date(2026, 12, 1)
"""The day `wsgen template` counts runtime deprecations from in these tests."""


@pytest.fixture(autouse=True)
def fixed_today(monkeypatch: pytest.MonkeyPatch) -> date:
    """Whether the default runtime is near its deprecation must not depend on the test's day."""
    monkeypatch.setattr("wsgen.settings.today", lambda: TODAY)
    return TODAY


@pytest.fixture
def wsgen(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> Callable[..., Result]:
    """`wsgen(*argv, cwd=DIR)`: run the CLI; returns the exit code, stdout and stderr."""

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
