"""The open-file limit: raised at start, and running out of it logged once while serving on."""

from __future__ import annotations

import asyncio
import contextlib
import os
import resource
import subprocess
import sys

import websockets
from websockets.exceptions import InvalidHandshake

from wsgen.local import EventLog
from wsgen.local.limits import raise_open_file_limit

from ..conftest import ROOT
from .conftest import APPS, run, start


def test_the_soft_open_file_limit_is_raised_to_the_hard_one():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    lowered = min(256, hard)
    resource.setrlimit(resource.RLIMIT_NOFILE, (lowered, hard))
    try:
        import io

        stream = io.StringIO()
        with start(log=EventLog(stream=stream)):
            now = resource.getrlimit(resource.RLIMIT_NOFILE)
        expected_hard = hard if hard != resource.RLIM_INFINITY else 1 << 20
        if lowered < expected_hard:
            assert now[0] == expected_hard
            assert (
                f"raised the open-file limit from {lowered} to {expected_hard}" in stream.getvalue()
            )
        assert raise_open_file_limit() is None  # nothing left to raise
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


SERVE = """
import resource, sys
resource.setrlimit(resource.RLIMIT_NOFILE, (64, 64))
from wsgen.cli import main
sys.exit(main(["local", "--app-dir", sys.argv[1], "--app", "recorder:app", "--port", "0"]))
"""


def test_out_of_file_descriptors_is_logged_once_and_serving_goes_on():
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(
        [sys.executable, "-c", SERVE, str(APPS)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=ROOT, env=env,
    )  # fmt: skip
    try:
        assert process.stdout is not None
        lines = [process.stdout.readline() for _ in range(4)]
        url = lines[1].split()[2]

        async def body():
            held = []
            for _ in range(80):  # more than 64 descriptors: the last ones must wait
                with contextlib.suppress(TimeoutError, OSError, InvalidHandshake):
                    held.append(await websockets.connect(url, open_timeout=1))
            await asyncio.sleep(2.5)  # asyncio retries accept() every second meanwhile
            for ws in held:
                await ws.close()
            await asyncio.sleep(1.5)
            async with websockets.connect(url, open_timeout=10) as ws:  # served again
                await ws.send("back")
                return len(held), await ws.recv()

        held, echoed = run(body, timeout=60)
        process.send_signal(2)
        output, _ = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert 0 < held < 80
    assert echoed == "back"
    assert output.count("out of file descriptors") == 1, output[-2000:]
    assert "Traceback" not in output and "socket.accept() out of system resource" not in output
