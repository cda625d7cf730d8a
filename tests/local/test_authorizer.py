"""The $connect REQUEST authorizer on the emulator: its input, its context on every event,
and the log. Refusal statuses, shared with the test client, are in tests/test_parity.py."""

from __future__ import annotations

import io
import json
import re
import sys

import pytest
import websockets
from websockets.exceptions import InvalidStatus

from tests.support.local import run, start
from wsgen.local import EventLog


@pytest.fixture
def emulated():
    with start("parityapp") as emulator:
        module = sys.modules["parityapp"]
        module.reset()
        yield emulator, module


def test_allowed_context_reaches_every_event(emulated):
    emulator, parity = emulated

    async def body():
        async with websockets.connect(emulator.url + "?token=allow") as ws:
            await ws.send('{"action": "whoami"}')
            assert json.loads(await ws.recv())["principalId"] == "ada"

    run(body)
    auth, connect, message, disconnect = parity.wait_for_count(4)
    assert auth["type"] == "REQUEST"
    assert auth["methodArn"].endswith(":wsgenlocal/local/$connect")
    assert auth["queryStringParameters"] == {"token": "allow"}
    assert auth["stageVariables"] == {}
    # API Gateway's own hop-by-hop values, as in the captured input.
    assert (auth["headers"]["Connection"], auth["headers"]["Upgrade"]) == ("upgrade", "websocket")
    assert auth["headers"]["X-Forwarded-Proto"] == "http"
    assert auth["requestContext"]["eventType"] == "CONNECT"
    for event in (connect, message, disconnect):
        context = event["requestContext"]["authorizer"]
        assert context["principalId"] == "ada"
        assert (context["tier"], context["level"], context["admin"]) == ("gold", "3", "false")
        assert isinstance(context["integrationLatency"], int)


def test_the_log_says_why_the_authorizer_refused_or_whom_it_allowed():
    stream = io.StringIO()
    with start("parityapp", log=EventLog(stream=stream)) as emulator:

        async def body():
            for query in ("", "?token=bad", "?token=deny"):
                with pytest.raises(InvalidStatus):
                    async with websockets.connect(emulator.url + query):
                        pass
            async with websockets.connect(emulator.url + "?token=allow"):
                pass

        run(body)
    outcome = re.compile(r"\(authorizer\) +\S+  (.*)  \(\d+\.\d ms\)$")
    found = [outcome.search(line) for line in stream.getvalue().splitlines()]
    assert [match.group(1) for match in found if match] == [
        "401 refused: identity source route.request.querystring.token is missing or empty",
        "401 refused: the authorizer answered Unauthorized",
        "403 refused: the authorizer's policy does not allow $connect",
        "allowed principal 'ada'",
    ]
