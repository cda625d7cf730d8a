"""A `ClientError` from a handler: the client gets a JSON error frame, Lambda a normal return."""

from __future__ import annotations

import json
import logging

import pytest

from runtime import App, BadRequestError, ClientError, WebsocketError
from runtime.responses import Refused


class GoneError(Exception):
    pass


def refuse(event):
    raise ClientError("no")


class Recorder:
    """The management client's three calls, recorded; `gone` ids answer 410."""

    class exceptions:  # noqa: N801 (boto3's spelling)
        GoneException = GoneError

    def __init__(self, gone: tuple[str, ...] = ()) -> None:
        self.posted: list[tuple[str, str | bytes]] = []
        self.gone = gone

    def post_to_connection(self, ConnectionId: str, Data: str | bytes) -> None:  # noqa: N803
        if ConnectionId in self.gone:
            raise GoneError()
        self.posted.append((ConnectionId, Data))


@pytest.fixture
def app():
    app = App(app_name="errors")
    app.experimental_feature_flags.update(["WEBSOCKETS"])
    yield app


@pytest.fixture
def recorder(app):
    recorder = Recorder()
    app.websocket_api.use_client(recorder)
    return recorder


def frame_for(event, code, message, route):
    request_id = event["requestContext"]["requestId"]
    return {"error": {"code": code, "message": message, "route": route, "requestId": request_id}}


def test_on_a_two_way_route_the_error_frame_is_the_reply(app, recorder, load_event):
    @app.on_ws_message(route="join", reply=True)
    def join(event):
        raise ClientError("room must be a non-empty string", code="bad_room")

    event = load_event("message_custom_route.json")
    result = app(event, None)
    assert result["statusCode"] == 200
    assert json.loads(result["body"]) == frame_for(
        event, "bad_room", "room must be a non-empty string", "join"
    )
    assert recorder.posted == []


def test_on_a_one_way_route_the_error_frame_is_sent_to_the_caller(app, recorder, load_event):
    @app.on_ws_message(route="join")
    def join(event):
        raise ClientError("room is full", code="room_full")

    event = load_event("message_custom_route.json")
    assert app(event, None) == {"statusCode": 200}
    [(connection_id, data)] = recorder.posted
    assert connection_id == event["requestContext"]["connectionId"]
    assert json.loads(data) == frame_for(event, "room_full", "room is full", "join")


def test_a_client_gone_meanwhile_needs_no_frame(app, load_event):
    event = load_event("message_default.json")
    app.websocket_api.use_client(Recorder(gone=(event["requestContext"]["connectionId"],)))
    app.on_ws_message()(refuse)
    assert app(event, None) == {"statusCode": 200}


def test_it_is_logged_once_at_info_not_as_a_failure(app, recorder, load_event, caplog):
    @app.on_ws_message(route="join", reply=True)
    def join(event):
        raise ClientError("room must be a non-empty string", code="bad_room")

    with caplog.at_level(logging.INFO, logger="runtime"):
        app(load_event("message_custom_route.json"), None)
    [record] = caplog.records
    assert record.levelno == logging.INFO
    assert record.getMessage() == (
        "handler for route join refused on connection Xq4mT2rLpNcFa8w=: "
        "bad_room: room must be a non-empty string"
    )


@pytest.mark.parametrize(
    ("error", "status"), [(ClientError("no"), 400), (ClientError("no", status=403), 403)]
)
def test_in_connect_it_refuses_the_handshake_with_its_status(
    app, recorder, load_event, error, status
):
    def connect(event):
        raise error

    app.on_ws_connect()(connect)
    assert app(load_event("connect.json"), None) == {"statusCode": status}
    assert recorder.posted == []  # send() during $connect would get 410 on AWS


def test_in_disconnect_there_is_no_one_to_tell(app, recorder, load_event):
    app.on_ws_disconnect()(refuse)
    assert app(load_event("disconnect_1001.json"), None) == {"statusCode": 200}
    assert recorder.posted == []


def test_invalid_json_reaches_the_client_as_a_bad_request(app, recorder, load_event):
    @app.on_ws_message(reply=True)
    def echo(event):
        return event.json_body

    event = load_event("message_default.json")  # body: "hello there"
    error = json.loads(app(event, None)["body"])["error"]
    assert error["code"] == "bad_request"
    assert error["message"].startswith("Error Parsing JSON")


def test_a_bad_request_raised_by_the_handler_shows_the_users_message(app, recorder, load_event):
    @app.on_ws_message(route="join", reply=True)
    def join(event):
        raise BadRequestError("room must be valid")

    error = json.loads(app(load_event("message_custom_route.json"), None)["body"])["error"]
    assert (error["code"], error["message"]) == ("bad_request", "room must be valid")


def test_client_errors_are_websocket_errors_and_bad_requests_value_errors():
    assert isinstance(ClientError("x"), WebsocketError)
    assert isinstance(BadRequestError("x"), ClientError)
    assert isinstance(BadRequestError("x"), ValueError)
    assert BadRequestError("x", code="mine").code == "mine"
    assert (ClientError("x").code, ClientError("x").status) == ("client_error", 400)


@pytest.mark.parametrize(
    ("route", "event_file", "response"),
    [
        ("connect", "connect.json", {"statusCode": 403}),
        ("message", "message_default.json", {"statusCode": 200}),
        ("disconnect", "disconnect_1001.json", {"statusCode": 200}),
    ],
)
def test_the_response_carries_the_refusal_and_serializes_as_lambda_returns_it(
    app, recorder, load_event, route, event_file, response
):
    error = ClientError("no", code="nope", status=403)

    def handler(event):
        raise error

    getattr(app, f"on_ws_{route}")()(handler)
    result = app(load_event(event_file), None)
    assert isinstance(result, Refused) and result.error is error
    # What Lambda sends API Gateway: its Python runtime's encoder is configured so.
    lambda_encoder = json.JSONEncoder(ensure_ascii=False, allow_nan=True)
    assert json.loads(lambda_encoder.encode(result)) == response


def test_a_refusal_whose_client_had_left_says_its_frame_was_not_delivered(app, load_event):
    event = load_event("message_default.json")
    gone = Recorder(gone=(event["requestContext"]["connectionId"],))
    app.websocket_api.use_client(gone)
    app.on_ws_message()(refuse)
    result = app(event, None)
    assert isinstance(result, Refused) and not result.delivered
    assert result == {"statusCode": 200}
    app.websocket_api.use_client(Recorder())
    assert app(event, None).delivered


def test_an_accepted_or_failed_invocation_carries_no_refusal(app, recorder, load_event):
    app.on_ws_message()(lambda event: None)
    assert not isinstance(app(load_event("message_default.json"), None), Refused)

    @app.on_ws_message(route="join")
    def fail(event):
        raise RuntimeError("broken")

    with pytest.raises(RuntimeError, match="broken"):  # Lambda's function error, no response
        app(load_event("message_custom_route.json"), None)
