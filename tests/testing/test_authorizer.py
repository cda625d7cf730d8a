"""Authorizer outcomes through the test client, as API Gateway decides them."""

from __future__ import annotations

import pytest

from runtime import AuthResponse, UnauthorizedError
from tests.support.builders import new_app
from wsgen.testing import Client, ConnectionRejected


@pytest.fixture
def guarded():
    """Token in the query string: good → allow with context, deny → deny, bad → raise."""
    app = new_app("guarded")
    app.calls = []
    app.seen = []

    @app.ws_authorizer(identity_sources=["route.request.querystring.token"])
    def authorize(event):
        app.calls.append(event)
        token = event.query_params["token"]
        if token == "good":
            return AuthResponse.allow("ada", {"role": "admin", "level": 3, "beta": True})
        if token == "deny":
            return AuthResponse.deny()
        if token == "nope":
            raise UnauthorizedError()
        if token == "junk":
            return "yes please"
        if token == "nested":
            return {"principalId": "x", "policyDocument": {}, "context": {"a": {"b": 1}}}
        raise RuntimeError("authorizer bug")

    @app.on_ws_message()
    def message(event):
        app.seen.append(event)

    @app.on_ws_disconnect()
    def disconnect(event):
        app.seen.append(event)

    return app


def test_unauthorized_is_an_outcome_not_an_error(guarded):
    with Client(guarded) as client:
        with pytest.raises(ConnectionRejected):
            client.connect(query={"token": "nope"})
        assert client.errors == []


def test_authorizer_exception_is_the_cause_and_recorded(guarded):
    with Client(guarded) as client:
        with pytest.raises(ConnectionRejected) as rejected:
            client.connect(query={"token": "crash"})
        assert isinstance(rejected.value.__cause__, RuntimeError)
        assert client.errors == [rejected.value.__cause__]


def test_allow_puts_principal_and_stringified_context_on_every_event(guarded):
    with Client(guarded) as client:
        with client.connect(query={"token": "good"}) as ws:
            ws.send_text("hi")
        expected = {"principalId": "ada", "role": "admin", "level": "3", "beta": "true"}
        assert [e["requestContext"]["eventType"] for e in client.events] == [
            "CONNECT",  # the authorizer's input
            "CONNECT",
            "MESSAGE",
            "DISCONNECT",
        ]
        for event in client.events[1:]:
            authorizer = event["requestContext"]["authorizer"]
            assert isinstance(authorizer.pop("integrationLatency"), int)
            assert authorizer == expected
        assert guarded.seen[0].authorizer["role"] == "admin"
        assert ws.authorizer is not None and ws.authorizer["principalId"] == "ada"


def test_authorizer_input_has_method_arn_and_handshake(guarded):
    with Client(guarded, stage="dev") as client:
        client.connect(query={"token": "good"}, headers={"Authorization": "t"}).close()
        event = guarded.calls[0]
        assert event.type == "REQUEST"
        assert event.method_arn.endswith(f"{client.api.api_id}/dev/$connect")
        assert event.headers["Upgrade"] == "websocket"
        assert event.headers["Authorization"] == "t"


def test_header_stage_variable_and_context_sources():
    app = new_app()
    seen = []

    @app.ws_authorizer(
        identity_sources=[
            "route.request.header.Authorization",
            "stageVariables.env",
            "context.identity.sourceIp",
        ]
    )
    def authorize(event):
        seen.append(event.headers["authorization"])
        return AuthResponse.allow("u")

    with Client(app, stage_variables={"env": "test"}) as client:
        with pytest.raises(ConnectionRejected) as rejected:
            client.connect()
        assert rejected.value.status_code == 401
        assert "route.request.header.Authorization" in str(rejected.value)
        client.connect(headers={"authorization": "x"}).close()  # header names: any case
    assert seen == ["x"]
    with Client(app) as client, pytest.raises(ConnectionRejected, match=r"stageVariables\.env"):
        client.connect(headers={"Authorization": "x"})


def test_policy_built_by_hand_is_evaluated():
    app = new_app()

    @app.ws_authorizer(identity_sources=["route.request.querystring.t"])
    def authorize(event):
        effect = event.query_params["t"]
        statements = [{"Action": "execute-api:*", "Effect": "Allow", "Resource": "arn:aws:*"}]
        if effect == "deny":
            statements.append(
                {"Action": "execute-api:Invoke", "Effect": "Deny", "Resource": event.method_arn}
            )
        if effect == "other":
            statements = [{"Action": "execute-api:Invoke", "Effect": "Allow", "Resource": "x"}]
        return {"principalId": "p", "policyDocument": {"Statement": statements}}

    with Client(app) as client:
        client.connect(query={"t": "allow"}).close()
        for t in ("deny", "other"):
            with pytest.raises(ConnectionRejected) as rejected:
                client.connect(query={"t": t})
            assert rejected.value.status_code == 403


def test_authorizer_without_connect_handler_accepts():
    app = new_app()

    @app.ws_authorizer(identity_sources=["route.request.querystring.t"])
    def authorize(event):
        return AuthResponse.allow("p")

    with Client(app) as client, client.connect(query={"t": "1"}) as ws:
        assert not ws.closed
