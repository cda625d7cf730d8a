"""One tiny iteration of every benchmark, so the harness cannot rot (no timings checked)."""

from __future__ import annotations

import subprocess

import pytest

from bench.__main__ import BENCHMARKS
from tests.support.paths import ROOT

pytestmark = pytest.mark.external  # the benchmarks, from .venv-bench

PYTHON = ROOT / ".venv-bench" / "bin" / "python"


@pytest.mark.skipif(
    not PYTHON.exists(), reason="no .venv-bench: make bench (or make test) makes it"
)
def test_every_benchmark_runs_once_and_reports_a_row() -> None:
    done = subprocess.run(
        [str(PYTHON), "-m", "bench", "--smoke"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    rows = [line for line in done.stdout.splitlines() if line.startswith("| ")][2:]
    for name in BENCHMARKS:
        assert f"bench: {name} done" in done.stderr
    assert len(rows) >= len(BENCHMARKS)
