"""Middleware with Chalice's semantics: `(event, get_response)`, registration order, filters."""

from __future__ import annotations

import pytest

from runtime import App, InvalidMiddlewareError, RegistrationError, Response, WebsocketEvent


def make_app() -> App:
    app = App(app_name="mw")
    app.experimental_feature_flags.update(["WEBSOCKETS"])
    return app


def test_middleware_runs_in_registration_order_around_the_handler(load_event):
    app = make_app()
    calls = []

    @app.middleware("all")
    def outer(event, get_response):
        calls.append(("outer", type(event).__name__))
        response = get_response(event)
        calls.append(("outer saw", response))
        return response

    def inner(event, get_response):
        calls.append(("inner", event.route_key))
        return get_response(event)

    app.register_middleware(inner, "websocket")

    @app.on_ws_message(route="join", reply=True)
    def join(event):
        calls.append(("handler", event.json_body["room"]))
        return {"joined": event.json_body["room"]}

    result = app(load_event("message_custom_route.json"), None)
    assert result == {"statusCode": 200, "body": '{"joined":"lobby"}'}
    assert calls == [
        ("outer", "WebsocketEvent"),
        ("inner", "join"),
        ("handler", "lobby"),
        ("outer saw", {"joined": "lobby"}),
    ]


def test_middleware_registered_after_a_handler_wraps_it_too(load_event):
    app = make_app()
    seen = []
    app.on_ws_connect()(lambda e: seen.append("handler"))
    app(load_event("connect.json"), None)

    @app.middleware("websocket")
    def late(event, get_response):
        seen.append("late")
        return get_response(event)

    app(load_event("connect.json"), None)
    assert seen == ["handler", "late", "handler"]


def test_middleware_can_short_circuit_and_answer_itself(load_event):
    app = make_app()
    app.on_ws_connect()(lambda e: pytest.fail("the middleware answered"))

    @app.middleware("websocket")
    def gate(event, get_response):
        if "token" not in event.query_params:
            return Response(status_code=403)
        return get_response(event)

    result = app(load_event("connect.json"), None)
    assert result["statusCode"] == 403


def test_middleware_sees_the_handlers_exception_and_may_turn_it_into_a_response(load_event):
    app = make_app()

    @app.on_ws_message(reply=True)
    def boom(event):
        raise KeyError("room")

    @app.middleware()
    def rescue(event, get_response):
        try:
            return get_response(event)
        except KeyError as exc:
            return {"missing": exc.args[0]}

    assert app(load_event("message_default.json"), None)["body"] == '{"missing":"room"}'


def test_middleware_may_hand_the_handler_another_event(load_event):
    app = make_app()
    got = []
    app.on_ws_message()(lambda e: got.append(e.body))

    @app.middleware("websocket")
    def rewrite(event, get_response):
        raw = dict(event.to_dict(), body=event.body.upper())
        return get_response(WebsocketEvent(raw, event.context))

    app(load_event("message_default.json"), None)
    assert got == ["HELLO THERE"]


def test_other_event_types_do_not_wrap_websocket_handlers(load_event):
    app = make_app()
    app.register_middleware(lambda e, g: pytest.fail("http middleware ran"), "http")
    app.register_middleware(lambda e, g: pytest.fail("sqs middleware ran"), "sqs")
    app.on_ws_message()(lambda e: "ok")
    assert app(load_event("message_default.json"), None) == {"statusCode": 200}
    assert [m.__name__ for m in app.middleware_for("sqs")] == ["<lambda>"]
    assert app.middleware_for("websocket") == ()


def test_the_authorizer_and_routes_without_handlers_have_no_middleware(load_event):
    app = make_app()
    app.register_middleware(lambda e, g: pytest.fail("middleware ran"), "all")
    app.ws_authorizer(["route.request.header.Authorization"])(
        lambda e: {"principalId": "u", "policyDocument": {}}
    )
    assert app(load_event("authorizer_request.json"), None)["principalId"] == "u"
    assert app(load_event("disconnect_1001.json"), None) == {"statusCode": 200}


def test_an_unknown_event_type_is_refused_with_the_known_ones():
    app = make_app()
    with pytest.raises(InvalidMiddlewareError) as caught:
        app.middleware("websockets")
    assert isinstance(caught.value, RegistrationError)
    assert "'websockets' is not one of all, websocket, http" in str(caught.value)


def test_without_middleware_the_entry_point_calls_the_handler_itself():
    app = make_app()

    def handler(event):
        return None

    app.add_route("join", handler)
    assert app.route_table["join"].call is handler
