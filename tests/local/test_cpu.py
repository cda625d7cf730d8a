"""`run_on_one_cpu`: every thread of the process, those it starts later too, on one CPU."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.support.paths import ROOT

CHILD = """
import json, os, sys, threading
from wsgen.local.cpu import run_on_one_cpu
if sys.argv[1] == "one":
    os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
before = os.sched_getaffinity(0)
started = threading.Event()
def idle():
    started.set()
    threading.Event().wait(5)
earlier = threading.Thread(target=idle, daemon=True)
earlier.start()
started.wait()
cpu = run_on_one_cpu()
later = []
thread = threading.Thread(target=lambda: later.append(sorted(os.sched_getaffinity(0))))
thread.start()
thread.join()
print(json.dumps({
    "cpu": cpu,
    "before": sorted(before),
    "main": sorted(os.sched_getaffinity(0)),
    "earlier": sorted(os.sched_getaffinity(earlier.native_id)),
    "later": later[0],
}))
"""


def _child(mode: str) -> dict[str, object]:
    done = subprocess.run(
        [sys.executable, "-c", CHILD, mode], capture_output=True, text=True, check=True, cwd=ROOT
    )
    return json.loads(done.stdout)  # type: ignore[no-any-return]


@pytest.mark.slow  # a subprocess: the affinity is the process's, not the test run's to change
def test_every_thread_runs_on_the_cpu_it_chose_those_started_before_and_after():
    got = _child("all")
    if len(got["before"]) == 1:  # type: ignore[arg-type]
        assert got["cpu"] is None  # one CPU already: nothing to choose
        return
    cpu = got["cpu"]
    assert cpu in got["before"]  # type: ignore[operator]
    assert got["main"] == got["earlier"] == got["later"] == [cpu]


@pytest.mark.slow
def test_a_process_on_one_cpu_already_is_left_as_it_is():
    got = _child("one")
    assert got["cpu"] is None
    assert got["main"] == got["earlier"] == got["later"] == got["before"]
    assert len(got["before"]) == 1  # type: ignore[arg-type]
