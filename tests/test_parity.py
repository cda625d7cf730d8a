"""What the emulator and the test client must do alike, written once and run against both.

Each test takes `frontend`: `wsgen local` through websockets' client over loopback, then
`wsgen.testing.Client` in memory, on the same app (tests/support/apps/parityapp.py).
Refusal statuses, error frames, close codes and authorizer outcomes are decided in
`wsgen.gateway`; these tests keep the two front ends from drifting in how they act on it.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Iterator
from types import ModuleType

import pytest

from runtime.contract import MAX_FRAME_BYTES
from tests.support.frontends import Frontend, Link, MemoryFrontend, Refused, SocketFrontend
from tests.support.paths import APPS
from wsgen.gateway.outcomes import BINARY_REFUSED, DELETE_CLOSE, MESSAGE_TOO_BIG
from wsgen.loader import load_app
from wsgen.local import Emulator, EventLog, running

APP = "parityapp:app"


@pytest.fixture(scope="module")
def emulator() -> Iterator[tuple[Emulator, dict[str, str]]]:
    """One emulator for the module, and the AWS_* variables it set for its handlers.

    Every test gets its environment back afterwards (tests/conftest.py), so each test that
    uses this emulator sets them again (`frontend`); the module's end restores them too.
    """
    saved = dict(os.environ)
    try:
        with running(APPS, APP, log=EventLog(quiet=True)) as emu:
            added = {k: v for k, v in os.environ.items() if saved.get(k) != v}
            yield emu, added
    finally:
        os.environ.clear()
        os.environ.update(saved)


@pytest.fixture
def parity() -> ModuleType:
    load_app(APPS, APP)  # the emulator's import, when it ran first: the same module
    module = sys.modules["parityapp"]
    module.reset()
    return module


@pytest.fixture(params=[pytest.param("emulator", marks=pytest.mark.slow), "test client"])
def frontend(request: pytest.FixtureRequest, parity: ModuleType) -> Iterator[Frontend]:
    front: Frontend
    if request.param == "emulator":
        emulator, environment = request.getfixturevalue("emulator")
        os.environ.update(environment)
        front = SocketFrontend(emulator)
    else:
        front = MemoryFrontend(parity.app)
    yield front
    front.close()


# Authorizer outcomes and $connect: the handshake's status


AUTHORIZER = ["authorizer"]
BOTH = ["authorizer", "$connect"]


@pytest.mark.parametrize(
    ("query", "status", "ran"),
    [
        ({}, 401, []),  # the identity source is missing: the authorizer does not run
        ({"other": "1"}, 401, []),
        ({"token": ""}, 401, []),  # empty counts as missing
        ({"token": "bad"}, 401, AUTHORIZER),  # UnauthorizedError
        ({"token": "deny"}, 403, AUTHORIZER),
        ({"token": "crash"}, 500, AUTHORIZER),
        ({"token": "vague"}, 500, AUTHORIZER),  # output that is no policy
        ({"token": "nested"}, 500, AUTHORIZER),  # a context value that is an object
        ({"token": "allow", "status": "400"}, 400, BOTH),  # $connect's own status
        ({"token": "allow", "status": "429"}, 429, BOTH),
        ({"token": "allow", "fail": "1"}, 502, BOTH),  # $connect raised
    ],
)
def test_a_refused_handshake_answers_the_same_status(frontend, parity, query, status, ran):
    with pytest.raises(Refused) as refused:
        frontend.connect(**query)
    assert refused.value.status == status
    assert parity.calls() == ran  # and never $disconnect: it never connected


def test_an_allowing_authorizer_passes_its_context_on_as_strings(frontend):
    link = frontend.connect(token="allow")
    link.send_text(json.dumps({"action": "whoami"}))
    context = json.loads(link.receive())
    assert context["principalId"] == "ada"
    assert (context["tier"], context["level"], context["admin"]) == ("gold", "3", "false")
    assert isinstance(context["integrationLatency"], int)


# Error frames


def _assert_error_frame(frame: object, message: str) -> None:
    assert isinstance(frame, str)
    assert frame.startswith(f'{{"message": "{message}", "connectionId":"')  # AWS's spacing
    assert set(json.loads(frame)) == {"message", "connectionId", "requestId"}


def _still_open(link: Link) -> bool:
    link.send_text(json.dumps({"action": "whoami"}))
    return json.loads(link.receive())["principalId"] == "ada"


# The test client warns why a message got the Forbidden frame (tests/testing/test_client.py).
UNROUTED_WARNS = "ignore::wsgen.testing.UnroutedMessageWarning"


@pytest.mark.filterwarnings(UNROUTED_WARNS)
def test_a_message_no_route_takes_gets_the_forbidden_frame(frontend, parity):
    link = frontend.connect(token="allow")
    link.send_text("not json, and there is no $default")
    _assert_error_frame(link.receive(), "Forbidden")
    assert parity.calls() == BOTH  # no handler ran for it
    assert _still_open(link)


def test_a_failing_handler_gets_the_internal_server_error_frame(frontend, parity):
    link = frontend.connect(token="allow")
    link.send_text(json.dumps({"action": "boom"}))
    frame = link.receive()
    _assert_error_frame(frame, "Internal server error")
    assert json.loads(frame)["requestId"] == parity.request_ids()[0]  # the failed event's
    assert _still_open(link)


# Errors the app raises for its client (runtime.ClientError)


@pytest.mark.parametrize("action", ["refuse", "refuse_reply"])
def test_a_client_error_reaches_the_client_as_its_frame(frontend, parity, action):
    link = frontend.connect(token="allow")
    link.send_text(json.dumps({"action": action, "room": ""}))
    frame = link.receive()  # through send() on a one-way route, as the reply on a two-way one
    assert isinstance(frame, str)
    assert json.loads(frame) == {
        "error": {
            "code": "bad_room",
            "message": "room must be a non-empty string",
            "route": action,
            "requestId": parity.request_ids()[0],
        }
    }
    assert _still_open(link)


def test_a_client_error_in_connect_refuses_with_its_status(frontend, parity):
    with pytest.raises(Refused) as refused:
        frontend.connect(token="allow", refuse="403")
    assert refused.value.status == 403
    assert parity.calls() == BOTH


def test_a_send_inside_connect_is_a_410_naming_on_ws_connected(frontend, parity):
    link = frontend.connect(token="allow", send="1")
    # The authorizer's input and $connect's event name the same connection.
    connection_id = parity.EVENTS[-1]["requestContext"]["connectionId"]
    expected = (
        f"connection {connection_id} cannot be sent to before $connect returns; "
        "send from @app.on_ws_connected() instead"
    )
    raised = parity.SEND_ERRORS
    assert raised == [expected]
    assert _still_open(link)  # the handshake went on: only the send was refused


def test_sent_bytes_are_text_when_valid_utf8_and_binary_otherwise(frontend, parity):
    link = frontend.connect(token="allow")
    link.send_text(json.dumps({"action": "post"}))
    assert [link.receive() for _ in range(3)] == ["text", "utf8", b"\x80\x81"]


# Close codes: what the client's close frame says, and what $disconnect gets


def _binary(link: Link) -> None:
    link.send_bytes(b"\x00\x01")


def _oversized_frame(link: Link) -> None:
    link.send_text("x" * MAX_FRAME_BYTES)  # exactly the limit: routed (and Forbidden)
    _assert_error_frame(link.receive(), "Forbidden")
    link.send_text("x" * (MAX_FRAME_BYTES + 1))


def _kicked(link: Link) -> None:
    link.send_text(json.dumps({"action": "kick"}))  # app.websocket_api.close(own id)


@pytest.mark.parametrize(
    ("send", "close"),
    [(_binary, BINARY_REFUSED), (_oversized_frame, MESSAGE_TOO_BIG), (_kicked, DELETE_CLOSE)],
    ids=["binary-1003", "frame-over-32KB-1009", "deleted-1000"],
)
@pytest.mark.filterwarnings(UNROUTED_WARNS)
def test_the_server_closes_with_the_same_code_and_disconnect_gets_it(
    frontend, parity, send: Callable[[Link], None], close: tuple[int, str]
):
    link = frontend.connect(token="allow")
    send(link)
    assert link.close_code() == close[0]
    assert parity.wait_for_disconnect() == close
    handled = ["kick"] if send is _kicked else []  # the refused frames reach no handler
    assert parity.calls() == [*BOTH, *handled, "$disconnect"]
