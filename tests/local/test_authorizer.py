"""The $connect REQUEST authorizer: 401/403/500 refusals, and its context on every event."""

from __future__ import annotations

import io
import re
import sys

import pytest
import websockets
from websockets.exceptions import InvalidStatus

from wsgen.local import EventLog

from .conftest import run, start


@pytest.fixture
def guarded():
    with start("guarded") as emulator:
        events = sys.modules["guarded"].EVENTS
        events.clear()
        yield emulator, events


def test_allowed_context_reaches_every_event(guarded):
    emulator, _ = guarded

    async def body():
        async with websockets.connect(emulator.url + "?token=good") as ws:
            await ws.send("hi")
            assert await ws.recv() == "ok"

    run(body)
    auth, message, disconnect = sys.modules["guarded"].wait_for_count(3)
    assert auth["type"] == "REQUEST"
    assert auth["methodArn"].endswith(":wsgenlocal/local/$connect")
    assert auth["queryStringParameters"] == {"token": "good"}
    assert auth["stageVariables"] == {}
    # API Gateway's own hop-by-hop values, as in the captured input.
    assert (auth["headers"]["Connection"], auth["headers"]["Upgrade"]) == ("upgrade", "websocket")
    assert auth["headers"]["X-Forwarded-Proto"] == "http"
    assert auth["requestContext"]["eventType"] == "CONNECT"
    for event in (message, disconnect):
        context = event["requestContext"]["authorizer"]
        assert context["principalId"] == "alice"
        assert (context["tier"], context["level"], context["admin"]) == ("gold", "3", "false")
        assert isinstance(context["integrationLatency"], int)


def test_the_log_says_why_the_authorizer_refused_or_whom_it_allowed():
    stream = io.StringIO()
    with start("guarded", log=EventLog(stream=stream)) as emulator:

        async def body():
            for query in ("", "?token=bad", "?token=deny"):
                with pytest.raises(InvalidStatus):
                    async with websockets.connect(emulator.url + query):
                        pass
            async with websockets.connect(emulator.url + "?token=good"):
                pass

        run(body)
    outcome = re.compile(r"\(authorizer\) +\S+  (.*)  \(\d+\.\d ms\)$")
    found = [outcome.search(line) for line in stream.getvalue().splitlines()]
    assert [match.group(1) for match in found if match] == [
        "401 refused: identity source route.request.querystring.token is missing or empty",
        "401 refused: the authorizer answered Unauthorized",
        "403 refused: the authorizer's policy does not allow $connect",
        "allowed principal 'alice'",
    ]
