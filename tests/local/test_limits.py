"""The open-file limit: raised at start, and running out of it logged once while serving on;
the collector's threshold: raised while serving, put back at stop."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import json
import os
import resource
import socket
import subprocess
import sys

import pytest
import websockets
from websockets.exceptions import InvalidHandshake, InvalidStatus

from tests.support.local import reaped, run, start
from tests.support.paths import APPS, ROOT
from wsgen.local import EventLog, running
from wsgen.local.limits import GC_YOUNG_THRESHOLD, raise_gc_threshold, raise_open_file_limit


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
    with reaped(process):
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
    assert 0 < held < 80
    assert echoed == "back"
    assert output.count("out of file descriptors") == 1, output[-2000:]
    assert "Traceback" not in output and "socket.accept() out of system resource" not in output


THROTTLED_TOML = """
throttling_burst_limit = 2
throttling_rate_limit = 0.01

[routes."free"]
throttling_burst_limit = 1000
"""

THROTTLED_APP = """
from runtime import App

app = App(app_name="throttled")
app.experimental_feature_flags.update(["WEBSOCKETS"])


@app.on_ws_message("free", reply=True)
def free(event):
    return "free"


@app.on_ws_message(reply=True)
def default(event):
    return "ok"
"""


def test_wsgen_toml_throttling_is_enforced_per_route(tmp_path):
    (tmp_path / "app.py").write_text(THROTTLED_APP)
    (tmp_path / "wsgen.toml").write_text(THROTTLED_TOML)
    with running(tmp_path, "app:app", log=EventLog(quiet=True)) as emulator:

        async def body():
            async with websockets.connect(emulator.url) as ws:
                replies = []
                for _ in range(4):  # $default: a burst of 2, then next to no refill
                    await ws.send("x")
                    replies.append(await ws.recv())
                for _ in range(4):  # `free` has its own burst of 1,000
                    await ws.send('{"action": "free"}')
                    replies.append(await ws.recv())
                return replies

        replies = run(body)
    assert replies[:2] == ["ok", "ok"]
    for frame in replies[2:4]:
        assert frame.startswith('{"message": "Too Many Requests", "connectionId":"')
    assert replies[4:] == ["free"] * 4


def test_new_connections_over_the_rate_get_429():
    with start(connection_rate=3) as emulator:

        async def body():
            statuses = []
            for _ in range(5):
                try:
                    async with websockets.connect(emulator.url):
                        statuses.append(101)
                except InvalidStatus as refused:
                    statuses.append(refused.response.status_code)
                    assert json.loads(refused.response.body) == {"message": "Too Many Requests"}
            return statuses

        statuses = run(body)
    assert statuses[:3] == [101] * 3 and 429 in statuses[3:]


def test_a_two_way_reply_over_128_kb_gets_internal_server_error_not_a_1009_close(tmp_path):
    (tmp_path / "app.py").write_text(BIG_REPLY)
    with running(tmp_path, "app:app", log=EventLog(quiet=True)) as emulator:

        async def body():
            async with websockets.connect(emulator.url, max_size=None) as ws:
                await ws.send("big")
                frame = await ws.recv()
                await ws.send("small")
                return json.loads(frame)["message"], await ws.recv()

        assert run(body) == ("Internal server error", "s" * 10)


BIG_REPLY = """
from runtime import App

app = App(app_name="big")
app.experimental_feature_flags.update(["WEBSOCKETS"])


@app.on_ws_message(reply=True)
def reply(event):
    return "x" * (128 * 1024 + 1) if event.body == "big" else "s" * 10
"""


def test_a_url_over_4096_characters_is_414(emulator):
    async def body():
        with pytest.raises(InvalidStatus) as refused:
            await websockets.connect(emulator.url + "?q=" + "a" * 4100)
        async with websockets.connect(emulator.url + "?q=" + "a" * 3000) as ws:
            await ws.send("x")  # under the limit: served
        return refused.value.response.status_code

    assert run(body) == 414


def test_the_collectors_threshold_is_raised_and_put_back_but_never_lowered_or_enabled():
    before = gc.get_threshold()
    try:
        gc.set_threshold(700, 10, 10)
        restore = raise_gc_threshold()
        assert gc.get_threshold() == (GC_YOUNG_THRESHOLD, 10, 10)
        restore()
        assert gc.get_threshold() == (700, 10, 10)
        gc.set_threshold(GC_YOUNG_THRESHOLD * 2, 10, 10)  # already higher: left alone
        raise_gc_threshold()()
        assert gc.get_threshold() == (GC_YOUNG_THRESHOLD * 2, 10, 10)
        gc.set_threshold(0, 10, 10)  # automatic collection off: stays off
        restore = raise_gc_threshold()
        assert gc.get_threshold()[0] == 0
        restore()
        assert gc.get_threshold()[0] == 0
    finally:
        gc.set_threshold(*before)


def test_the_collectors_threshold_is_put_back_when_the_last_raiser_restores():
    before = gc.get_threshold()
    try:
        gc.set_threshold(700, 10, 10)
        first, second = raise_gc_threshold(), raise_gc_threshold()
        first()
        first()  # counted once
        assert gc.get_threshold() == (GC_YOUNG_THRESHOLD, 10, 10)  # the second still holds it
        second()
        assert gc.get_threshold() == (700, 10, 10)
    finally:
        gc.set_threshold(*before)


@pytest.mark.slow
def test_the_emulator_raises_the_collectors_threshold_while_it_serves():
    before = gc.get_threshold()
    try:
        gc.set_threshold(700, 10, 10)
        with start():
            serving = gc.get_threshold()[0]
        assert serving == GC_YOUNG_THRESHOLD
        assert gc.get_threshold() == (700, 10, 10)
    finally:
        gc.set_threshold(*before)


class _StopError(Exception):
    pass


def _fail() -> None:
    raise _StopError()


@pytest.mark.slow
def test_two_emulators_in_one_process_keep_the_threshold_until_the_last_stops():
    before = gc.get_threshold()
    try:
        gc.set_threshold(700, 10, 10)
        first, second = start(), start()
        first.__enter__()
        try:
            second.__enter__()
        finally:
            first.__exit__(None, None, None)  # the first to start stops first
        try:
            assert gc.get_threshold()[0] == GC_YOUNG_THRESHOLD  # the second still serves
        finally:
            second.__exit__(None, None, None)
        assert gc.get_threshold() == (700, 10, 10)
    finally:
        gc.set_threshold(*before)


@pytest.mark.slow
def test_a_stop_that_fails_still_puts_the_threshold_back_and_stops_listening():
    before = gc.get_threshold()
    try:
        gc.set_threshold(700, 10, 10)
        with pytest.raises(_StopError), start() as emulator:
            assert emulator.functions is not None and emulator.sqs is not None
            emulator.functions.stop = _fail
            sqs_port = int(emulator.sqs.endpoint.rsplit(":", 1)[1])
        assert gc.get_threshold() == (700, 10, 10)
        for port in (emulator.port, sqs_port):  # both listening sockets are closed
            with pytest.raises(ConnectionRefusedError):
                socket.create_connection(("127.0.0.1", port), timeout=5).close()
    finally:
        gc.set_threshold(*before)
