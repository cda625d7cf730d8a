"""Time limits: API Gateway's integration timeout and each function's own, as AWS answers them
(docs/aws-facts.md#quotas), and handlers that overrun them never holding up anyone else."""

from __future__ import annotations

import asyncio
import io
import json
import sys

import pytest
import websockets
from websockets.exceptions import InvalidStatus

from tests.support.events import ID
from tests.support.local import run, start
from tests.support.paths import APPS
from wsgen.local import EventLog, running

STALL = '{"action": "stall"}'


@pytest.fixture
def stalling():
    yield None
    module = sys.modules.get("stalling")
    if module is not None:
        module.RELEASE.set()  # let the stalled threads end


def _timed_out(**options):
    """The frame a stalled message gets, and that the connection then still serves."""
    with start("stalling", **options) as emulator:
        sys.modules["stalling"].reset()

        async def body():
            async with websockets.connect(emulator.url) as ws:
                await ws.send(STALL)
                frame = await ws.recv()
                await ws.send("next")
                after, running_now = await ws.recv(), emulator.running_handlers
                sys.modules["stalling"].RELEASE.set()
                await ws.send("again")  # the stalled handler's late result never comes
                assert await ws.recv() == "again"
                return frame, after, running_now

        return run(body)


def test_past_the_integration_timeout_a_message_gets_endpoint_request_timed_out(stalling):
    frame, after, running_now = _timed_out(integration_timeout=0.3, function_timeout=60)
    assert frame.startswith('{"message": "Endpoint request timed out", "connectionId":"')
    parsed = json.loads(frame)
    assert list(parsed) == ["message", "connectionId", "requestId"]
    assert ID.match(parsed["connectionId"]) and ID.match(parsed["requestId"])
    assert after == "next"  # the connection stays open and is served
    assert running_now == 1  # the stalled handler runs on, as Lambda's would


def test_past_the_functions_own_timeout_a_message_gets_internal_server_error(stalling):
    frame, after, _ = _timed_out(integration_timeout=29, function_timeout=0.3)
    assert json.loads(frame)["message"] == "Internal server error"  # a Lambda function error
    assert after == "next"


@pytest.mark.parametrize(
    ("action", "late"),
    [("stall_send", "late send"), ("start_task", "late task send")],
    ids=["route", "task"],
)
def test_a_handler_past_its_functions_timeout_sends_nothing_afterwards(stalling, action, late):
    """Lambda stops the function at its timeout: the send() its handler makes once it is
    released never reaches the client, and the log says where it stopped."""
    stream = io.StringIO()
    with start("stalling", function_timeout=0.3, log=EventLog(stream)) as emulator:
        sys.modules["stalling"].reset()

        async def body():
            async with websockets.connect(emulator.url) as ws:
                await ws.send(json.dumps({"action": action}))
                # The task's start is answered; the stalled route gets Lambda's error.
                first = await ws.recv()
                assert first == "started" or "Internal server error" in first
                while "Task timed out" not in stream.getvalue():
                    await asyncio.sleep(0.02)
                sys.modules["stalling"].RELEASE.set()
                while emulator.running_handlers:  # the released handler ends
                    await asyncio.sleep(0.02)
                await ws.send("next")
                return await ws.recv()  # a late send would have come before this echo

        assert run(body) == "next"
    assert "was stopped at its timeout, in stalling.py:" in stream.getvalue()


@pytest.mark.parametrize(
    ("options", "status", "body"),
    [
        ({"integration_timeout": 0.3, "function_timeout": 60}, 504, b"Endpoint request timed out"),
        ({"function_timeout": 0.3}, 502, b"Internal server error"),
    ],
    ids=["integration-timeout", "function-timeout"],
)
def test_a_connect_handler_past_its_timeout_rejects_the_handshake(stalling, options, status, body):
    with start("stalling", **options) as emulator:
        sys.modules["stalling"].reset()

        async def body_():
            with pytest.raises(InvalidStatus) as rejected:
                await websockets.connect(emulator.url + "?stall=1")
            async with websockets.connect(emulator.url) as ws:  # the next one is served
                await ws.send("hi")
                return rejected.value.response, await ws.recv()

        response, echoed = run(body_)
    assert response.status_code == status
    assert json.loads(response.body) == {"message": body.decode()}
    assert echoed == "hi"


TOML = """
timeout = 60

[functions.slow]
routes = ["stall"]
timeout = 1
"""


def test_each_functions_timeout_comes_from_wsgen_toml(stalling, tmp_path):
    (tmp_path / "app.py").write_text((APPS / "stalling.py").read_text())
    (tmp_path / "wsgen.toml").write_text(TOML)
    with running(tmp_path, "app:app", log=EventLog(quiet=True), integration_timeout=29) as emu:

        async def body():
            async with websockets.connect(emu.url) as ws:
                await ws.send(STALL)
                return json.loads(await ws.recv())["message"]

        # 1 s for `slow` (a Lambda timeout), not the default function's 60 s nor API
        # Gateway's 29 s: the run bound of 30 s would fail either.
        assert run(body, timeout=20) == "Internal server error"
    sys.modules["app"].RELEASE.set()
