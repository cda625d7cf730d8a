"""The sequences API Gateway runs for a connection, driven with a fake invoke."""

from __future__ import annotations

import json

from runtime import AuthResponse, ClientError, UnauthorizedError
from runtime.responses import Dropped, Refused
from runtime.spec import AppSpec, AuthorizerSpec, RouteSpec
from wsgen.gateway.events import Api, Peer, UpgradeRequest
from wsgen.gateway.outcomes import BINARY_REFUSED, CONNECT_FAILED, Outcome, Step
from wsgen.gateway.routing import Router
from wsgen.gateway.session import Answer, Session, run

API = Api("k3x9v2pq7d", "eu-west-1", "dev")
TOKEN = "route.request.querystring.token"


def _session(*keys, authorizer=False, accept_binary_frames=False):
    routes = tuple(RouteSpec(key, key, reply=key == "ping") for key in keys)
    guard = AuthorizerSpec("authorize", (TOKEN,)) if authorizer else None
    spec = AppSpec("t", routes, "$request.body.action", guard)
    return Session(API, Router(spec), accept_binary_frames)


def _peer():
    return Peer("Xq4mT2rLpNcFa8w=", 1732451731204, "203.0.113.42", API.domain_name)


def _request(*query):
    return UpgradeRequest([("Host", API.domain_name)], list(query))


class FakeInvoke:
    """Answers each event from `answers` in turn (a result, or an exception to report)."""

    def __init__(self, *answers):
        self.answers = list(answers)
        self.events = []

    def __call__(self, event):
        self.events.append(event)
        answer = self.answers.pop(0) if self.answers else None
        if isinstance(answer, BaseException):
            return Outcome(error=answer)
        return Outcome(answer)

    @property
    def kinds(self):
        return [e.get("type") or e["requestContext"]["routeKey"] for e in self.events]


# open: the authorizer, then $connect


def test_open_without_connect_route_accepts_without_invoking():
    invoke = FakeInvoke()
    verdict = run(_session("$default").open(_peer(), _request()), invoke)
    assert (verdict.status, verdict.step) == (200, Step.NO_CONNECT_ROUTE)
    assert invoke.events == []


def test_open_runs_connect_and_passes_its_subprotocol():
    invoke = FakeInvoke({"statusCode": 200, "headers": {"Sec-WebSocket-Protocol": "chat"}})
    verdict = run(_session("$connect").open(_peer(), _request()), invoke)
    assert verdict.accepted and verdict.subprotocol == "chat"
    assert verdict.step is Step.CONNECT and invoke.kinds == ["$connect"]


def test_a_raising_connect_is_a_502_carrying_the_error():
    error = RuntimeError("boom")
    verdict = run(_session("$connect").open(_peer(), _request()), FakeInvoke(error))
    assert verdict.status == CONNECT_FAILED and verdict.error is error
    assert verdict.step is Step.CONNECT and verdict.failure is error


def test_an_allowing_authorizer_runs_before_connect_and_marks_the_peer():
    peer, seen = _peer(), []
    allow = AuthResponse.allow("ada", {"level": 3}).to_policy(API.connect_arn)
    invoke = FakeInvoke(allow, {"statusCode": 200})
    session = _session("$connect", authorizer=True)
    verdict = run(session.open(peer, _request(("token", "t")), seen.append), invoke)
    assert verdict.accepted
    assert invoke.kinds == ["REQUEST", "$connect"]
    assert [(v.step, v.reason) for v in seen] == [(Step.AUTHORIZER, "allowed")]
    assert verdict.step is Step.CONNECT
    assert peer.authorizer is not None and peer.authorizer["principalId"] == "ada"
    assert invoke.events[1]["requestContext"]["authorizer"]["level"] == "3"


def test_a_refusing_authorizer_ends_the_sequence_before_connect():
    peer, seen = _peer(), []
    error = UnauthorizedError()
    session = _session("$connect", authorizer=True)
    invoke = FakeInvoke(error)
    verdict = run(session.open(peer, _request(("token", "t")), seen.append), invoke)
    assert verdict.status == 401 and verdict.error is error
    assert verdict.step is Step.AUTHORIZER and verdict.step.before_connect
    assert verdict.error_is_refusal and verdict.failure is None  # its answer, not a bug
    assert seen == [verdict] and invoke.kinds == ["REQUEST"]
    assert peer.authorizer is None


def test_a_missing_identity_source_refuses_without_invoking():
    invoke, seen = FakeInvoke(), []
    verdict = run(
        _session("$connect", authorizer=True).open(_peer(), _request(), seen.append), invoke
    )
    assert verdict.status == 401 and TOKEN in verdict.reason
    assert verdict.step is Step.IDENTITY_SOURCE and verdict.step.before_connect
    assert seen == [verdict] and invoke.events == []


def test_a_crashing_authorizer_is_a_failure_not_a_refusal():
    error = RuntimeError("authorizer bug")
    session = _session("$connect", authorizer=True)
    verdict = run(session.open(_peer(), _request(("token", "t"))), FakeInvoke(error))
    assert (verdict.status, verdict.step) == (500, Step.AUTHORIZER)
    assert not verdict.error_is_refusal and verdict.failure is error


# message: binary refusal, route selection, Forbidden, the event, the answer frame


def test_a_binary_frame_is_refused_with_1003_without_invoking():
    invoke = FakeInvoke()
    answer = run(_session("$default").message(_peer(), b"\x00", True, 1), invoke)
    assert answer == Answer(close=BINARY_REFUSED)
    assert invoke.events == []


def test_an_accepted_binary_frame_goes_to_default_base64_encoded():
    invoke = FakeInvoke()
    session = _session("$default", accept_binary_frames=True)
    answer = run(session.message(_peer(), b"\x00\xff", True, 1), invoke)
    assert answer == Answer("$default")
    assert invoke.events[0]["body"] == "AP8=" and invoke.events[0]["isBase64Encoded"]


def test_no_route_answers_with_the_forbidden_frame():
    invoke = FakeInvoke()
    answer = run(_session("join").message(_peer(), b"hello", False, 1), invoke)
    assert answer.route_key is None and answer.close is None and invoke.events == []
    assert isinstance(answer.frame, str)
    frame = json.loads(answer.frame)
    assert frame["message"] == "Forbidden" and frame["connectionId"] == "Xq4mT2rLpNcFa8w="


def test_a_message_event_carries_its_receipt_time_and_route():
    invoke = FakeInvoke({"body": "ignored: one-way"})
    answer = run(_session("join").message(_peer(), b'{"action": "join"}', False, 42), invoke)
    assert answer == Answer("join")
    context = invoke.events[0]["requestContext"]
    assert (context["routeKey"], context["requestTimeEpoch"]) == ("join", 42)


def test_a_two_way_route_answers_with_its_body():
    invoke = FakeInvoke({"body": "pong"})
    answer = run(_session("ping").message(_peer(), b'{"action": "ping"}', False, 1), invoke)
    assert answer == Answer("ping", "pong")


def test_a_failed_integration_answers_with_the_internal_server_error_frame():
    error = ValueError("bad")
    invoke = FakeInvoke(error)
    answer = run(_session("$default").message(_peer(), b"x", False, 1), invoke)
    assert answer.route_key == "$default" and answer.error is error
    assert isinstance(answer.frame, str)
    request_id = invoke.events[0]["requestContext"]["requestId"]
    assert json.loads(answer.frame) == {
        "message": "Internal server error",
        "connectionId": "Xq4mT2rLpNcFa8w=",
        "requestId": request_id,
    }


def test_a_refused_message_is_answered_and_says_what_refused_it():
    error = ClientError("room is full", code="room_full")
    reply = Refused({"statusCode": 200, "body": '{"error": {}}'}, error)
    answer = run(
        _session("ping").message(_peer(), b'{"action": "ping"}', False, 1), FakeInvoke(reply)
    )
    assert answer == Answer("ping", '{"error": {}}', refusal=error)
    assert answer.error is None and answer.failure is None


def test_a_one_way_routes_dropped_value_sends_nothing_and_says_so():
    dropped = Dropped({"statusCode": 200}, "hi", "join")
    message = _session("join").message(_peer(), b'{"action": "join"}', False, 1)
    answer = run(message, FakeInvoke(dropped))
    assert answer == Answer("join", None, dropped=dropped) and answer.dropped is dropped


# close: $disconnect


def test_close_without_disconnect_route_invokes_nothing():
    invoke = FakeInvoke()
    assert run(_session("$default").close(_peer(), 1000, ""), invoke) == Answer()
    assert invoke.events == []


def test_close_runs_disconnect_with_the_code_and_reason():
    error = RuntimeError("late")
    invoke = FakeInvoke(error)
    answer = run(_session("$disconnect").close(_peer(), 1001, "Going away"), invoke)
    assert answer == Answer("$disconnect", error=error)
    context = invoke.events[0]["requestContext"]
    assert (context["disconnectStatusCode"], context["disconnectReason"]) == (1001, "Going away")


def test_a_disconnect_that_returned_a_value_says_so():
    dropped = Dropped({"statusCode": 200}, "bye", "$disconnect")
    answer = run(_session("$disconnect").close(_peer(), 1000, ""), FakeInvoke(dropped))
    assert answer == Answer("$disconnect", dropped=dropped)


def test_a_refusing_disconnect_is_no_failure():
    error = ClientError("no")
    invoke = FakeInvoke(Refused({"statusCode": 200}, error))
    answer = run(_session("$disconnect").close(_peer(), 1000, ""), invoke)
    assert answer == Answer("$disconnect", refusal=error)
