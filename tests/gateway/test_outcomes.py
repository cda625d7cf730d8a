"""The handshake verdict from `$connect`'s result, reply frames, error frames, message bodies."""

from __future__ import annotations

import json

import pytest

from runtime import ClientError, Response
from runtime.responses import Dropped, Refused, to_proxy_response
from wsgen.gateway import outcomes
from wsgen.gateway.outcomes import (
    Step,
    connect_verdict,
    dropped_note,
    dropped_of,
    error_frame,
    gateway_response,
    is_text,
    message_body,
    refusal_of,
    reply_frame,
)


@pytest.mark.parametrize("result", [None, {}, {"body": "ignored"}, "ok"])
def test_connect_result_without_status_code_accepts(result):
    verdict = connect_verdict(result, None)
    assert verdict.accepted and verdict.status == 200 and verdict.subprotocol is None


@pytest.mark.parametrize("status", [400, 401, 403, 429, 500])
def test_non_2xx_status_rejects_with_that_status_and_no_body(status):
    verdict = connect_verdict(Response(body="why", status_code=status).to_dict(), None)
    assert (verdict.accepted, verdict.status, verdict.body) == (False, status, b"")


def test_exception_is_502_internal_server_error():
    verdict = connect_verdict(None, KeyError("user"))
    assert verdict.status == 502
    assert json.loads(verdict.body) == {"message": "Internal server error"}
    assert "KeyError" in verdict.reason


@pytest.mark.parametrize(
    "status",
    ["abc", None, [200], float("inf"), float("nan"), 10**5000, -5, True, 200.0, 101, 600, "2e2"],
    ids=[
        "abc",
        "None",
        "list",
        "inf",
        "nan",
        "10**5000",
        "-5",
        "True",
        "200.0",
        "101",
        "600",
        "2e2",
    ],
)
def test_a_status_code_that_is_no_http_status_is_502_internal_server_error(status):
    verdict = connect_verdict({"statusCode": status}, None)
    assert (verdict.status, verdict.accepted) == (502, False)
    assert json.loads(verdict.body) == {"message": "Internal server error"}
    assert "malformed Lambda proxy response" in verdict.reason and len(verdict.reason) < 200


@pytest.mark.parametrize(("status", "expected"), [("200", 200), ("403", 403), (599, 599)])
def test_a_status_code_in_digits_or_up_to_599_is_used(status, expected):
    assert connect_verdict({"statusCode": status}, None).status == expected


@pytest.mark.parametrize("protocol", ["chat\r\nX-Injected: 1", "chat\n", "ch\x00at", "chät"])
def test_a_subprotocol_with_cr_lf_or_controls_is_502_not_a_header(protocol):
    result = {"statusCode": 200, "headers": {"Sec-WebSocket-Protocol": protocol}}
    verdict = connect_verdict(result, None)
    assert (verdict.status, verdict.subprotocol) == (502, None)


@pytest.mark.parametrize(
    ("headers", "subprotocol"),
    [
        ({"Sec-WebSocket-Protocol": "chat.v1"}, "chat.v1"),
        ({"sec-websocket-protocol": "chat.v1"}, "chat.v1"),
        ({"Sec-WebSocket-Protocol": ""}, None),
        ({"Sec-WebSocket-Protocol": 1}, None),
        ({"X-Other": "y"}, None),
        (["not", "a", "dict"], None),
    ],
)
def test_only_sec_websocket_protocol_goes_back(headers, subprotocol):
    assert connect_verdict({"statusCode": 200, "headers": headers}, None).subprotocol == subprotocol


def test_no_subprotocol_on_a_rejection():
    result = {"statusCode": 400, "headers": {"Sec-WebSocket-Protocol": "chat.v1"}}
    assert connect_verdict(result, None).subprotocol is None


@pytest.mark.parametrize(
    ("value", "frame"),
    [
        ("hi", "hi"),
        ({"pong": 3}, '{"pong":3}'),
        (b"\xff\x00", b"\xff\x00"),
        (b"utf-8 bytes", b"utf-8 bytes"),  # isBase64Encoded: binary, whatever the content
        (None, None),
    ],
)
def test_reply_frame_from_the_proxy_response(value, frame):
    assert reply_frame(to_proxy_response(value, reply=True)) == frame


@pytest.mark.parametrize("result", [{"statusCode": 200}, {"body": None}, "body", None])
def test_no_body_no_reply(result):
    assert reply_frame(result) is None


def test_error_frame_has_api_gateways_exact_bytes():
    frame = error_frame("Forbidden", "Xq4mT2rLpNcFa8w=", "CbU1zE3aDoEFq2w=")
    assert frame == (
        '{"message": "Forbidden", '
        '"connectionId":"Xq4mT2rLpNcFa8w=", "requestId":"CbU1zE3aDoEFq2w="}'
    )
    assert list(json.loads(frame)) == ["message", "connectionId", "requestId"]


def test_gateway_response_body():
    assert gateway_response("Forbidden") == b'{"message":"Forbidden"}'


def test_message_body_text_as_is_binary_base64():
    assert message_body("héllo".encode(), binary=False) == ("héllo", False)
    assert message_body(b"\x00\xff", binary=True) == ("AP8=", True)


def test_posted_data_is_text_when_utf8():
    assert is_text("héllo".encode())
    assert not is_text(b"\xff\x00")


def test_answer_frame_error_reply_or_nothing():
    from wsgen.gateway.outcomes import answer_frame

    reply = to_proxy_response("pong", reply=True)
    assert answer_frame(reply, None, True, "c", "r") == "pong"
    assert answer_frame(reply, None, False, "c", "r") is None  # one-way route
    failed = answer_frame(None, RuntimeError("x"), False, "c", "r")
    assert failed == error_frame("Internal server error", "c", "r")


def test_a_refusal_of_connect_is_its_status_with_the_client_error_as_no_failure():
    error = ClientError("not today", code="closed", status=403)
    verdict = connect_verdict(Refused({"statusCode": 403}, error), None)
    assert (verdict.accepted, verdict.status, verdict.body) == (False, 403, b"")
    assert verdict.step is Step.CONNECT
    assert verdict.error is error and verdict.error_is_refusal and verdict.failure is None
    assert verdict.reason == "the $connect handler refused: ClientError closed: not today"


def test_a_returned_status_is_no_refusal_error():
    verdict = connect_verdict({"statusCode": 401}, None)
    assert (verdict.status, verdict.error, verdict.reason) == (
        401,
        None,
        "the $connect handler returned 401",
    )


def test_refusal_of_reads_only_the_runtimes_refused_response():
    error = ClientError("no")
    assert refusal_of(Refused({"statusCode": 200}, error)) is error
    assert refusal_of({"statusCode": 200}) is None
    assert refusal_of(None) is None


def test_dropped_of_reads_only_the_runtimes_dropped_response():
    dropped = to_proxy_response("hi", route_key="join")
    assert dropped_of(dropped) is dropped
    assert dropped_of({"statusCode": 200}) is None
    assert dropped_of(to_proxy_response("hi", reply=True, route_key="join")) is None


@pytest.mark.parametrize(
    ("route_key", "fix"),
    [
        ("join", "make it two-way with @app.on_ws_message(route='join', reply=True) to send it"),
        ("$default", "make it two-way with @app.on_ws_message(reply=True) to send it back"),
        ("$disconnect", "$disconnect is always one-way (its client is gone); return None"),
    ],
)
def test_the_dropped_note_names_the_route_what_it_returned_and_the_fix(route_key, fix):
    note = dropped_note(Dropped({"statusCode": 200}, [1], route_key))
    assert note.startswith(
        f"the handler for route {route_key} returned a list, which API Gateway discards: "
    )
    assert fix in note and "\n" not in note


@pytest.mark.parametrize(
    ("offered", "chosen", "connect", "told"),
    [
        (None, None, True, None),
        ("chat.v1", "chat.v1", True, None),
        ("chat.v2, chat.v1", "chat.v1", True, None),
        (
            "chat.v1",
            None,
            True,
            "the client offered subprotocols 'chat.v1' and the $connect handler chose none: "
            "browsers fail such a handshake; return one of them in the Sec-WebSocket-Protocol "
            "header",
        ),
        (
            "chat.v1, chat.v2",
            None,
            False,
            "the client offered subprotocols 'chat.v1', 'chat.v2' and the app has no $connect "
            "route to choose one: browsers fail such a handshake; add @app.on_ws_connect() "
            "returning one of them in the Sec-WebSocket-Protocol header",
        ),
        (
            None,
            "My-Protocol",
            True,
            "the $connect handler chose subprotocol 'My-Protocol', which the client did not "
            "offer (it offered none): browsers fail such a handshake; return one the client "
            "offered in its Sec-WebSocket-Protocol header, and none when it offered none",
        ),
    ],
)
def test_subprotocol_mismatch_says_why_browsers_fail_and_the_fix(offered, chosen, connect, told):
    assert outcomes.subprotocol_mismatch(offered, chosen, connect) == told
