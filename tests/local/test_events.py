"""The events the emulator sends have the shapes of API Gateway's real captures."""

from __future__ import annotations

import websockets

from tests.support.events import CLF, ID
from tests.support.local import run

# Key sets of the real captures (tests/events/README.md), per event type.
COMMON_CONTEXT = {
    "routeKey", "eventType", "extendedRequestId", "requestTime", "messageDirection", "stage",
    "connectedAt", "requestTimeEpoch", "identity", "requestId", "domainName", "connectionId",
    "apiId",
}  # fmt: skip


def check_context(context, emulator, event_type, route_key):
    assert context["eventType"] == event_type
    assert context["routeKey"] == route_key
    assert ID.match(context["connectionId"])
    assert ID.match(context["requestId"])
    assert context["extendedRequestId"] == context["requestId"]
    assert CLF.match(context["requestTime"])
    assert context["messageDirection"] == "IN"
    assert context["stage"] == "local"
    assert context["domainName"] == f"127.0.0.1:{emulator.port}"
    assert context["apiId"] == "wsgenlocal"
    assert len(str(context["connectedAt"])) == 13
    assert len(str(context["requestTimeEpoch"])) == 13
    assert context["requestTimeEpoch"] >= context["connectedAt"]
    assert context["identity"]["sourceIp"] == "127.0.0.1"


def test_connect_event_has_headers_query_and_user_agent(emulator, rec):
    async def body():
        url = emulator.url + "?room=lobby&tag=a&tag=b"
        headers = {"Authorization": "Bearer t", "User-Agent": "test-agent/1"}
        async with websockets.connect(url, additional_headers=headers, user_agent_header=None):
            pass

    run(body)
    event = rec.wait_for(lambda events: len(events) >= 2)[0]
    assert set(event) == {
        "headers", "multiValueHeaders", "queryStringParameters",
        "multiValueQueryStringParameters", "requestContext", "isBase64Encoded",
    }  # fmt: skip
    assert event["isBase64Encoded"] is False
    check_context(event["requestContext"], emulator, "CONNECT", "$connect")
    assert set(event["requestContext"]) == COMMON_CONTEXT
    assert event["requestContext"]["identity"] == {
        "userAgent": "test-agent/1",
        "sourceIp": "127.0.0.1",
    }
    headers = event["headers"]
    assert headers["Host"] == f"127.0.0.1:{emulator.port}"
    assert headers["Authorization"] == "Bearer t"
    assert headers["X-Forwarded-For"] == "127.0.0.1"
    assert headers["X-Forwarded-Port"] == str(emulator.port)
    assert headers["X-Amzn-Trace-Id"].startswith("Root=1-")
    assert "Sec-WebSocket-Key" in headers and "Sec-WebSocket-Version" in headers
    assert not {"Connection", "Upgrade"} & set(headers)
    assert event["multiValueHeaders"]["Host"] == [headers["Host"]]
    assert event["queryStringParameters"] == {"room": "lobby", "tag": "b"}
    assert event["multiValueQueryStringParameters"] == {"room": ["lobby"], "tag": ["a", "b"]}


def test_connect_event_without_query_or_user_agent(emulator, rec):
    async def body():
        async with websockets.connect(emulator.url, user_agent_header=None):
            pass

    run(body)
    event = rec.wait_for(lambda events: len(events) >= 2)[0]
    assert "queryStringParameters" not in event
    assert "multiValueQueryStringParameters" not in event
    assert event["requestContext"]["identity"] == {"sourceIp": "127.0.0.1"}
    assert "messageId" not in event["requestContext"]


def test_message_event_shape(emulator, rec):
    async def body():
        async with websockets.connect(emulator.url) as ws:
            await ws.send('{"action": "echo", "n": 1}')
            assert await ws.recv() == '{"action": "echo", "n": 1}'

    run(body)
    events = rec.wait_for(lambda events: len(events) >= 3)
    connect, message = events[0], events[1]
    assert set(message) == {"requestContext", "body", "isBase64Encoded"}
    assert message["body"] == '{"action": "echo", "n": 1}'
    assert message["isBase64Encoded"] is False
    context = message["requestContext"]
    check_context(context, emulator, "MESSAGE", "echo")
    assert set(context) == COMMON_CONTEXT | {"messageId"}
    assert ID.match(context["messageId"])
    assert "userAgent" in context["identity"]  # the websockets client sends one by default
    assert context["connectionId"] == connect["requestContext"]["connectionId"]
    assert context["connectedAt"] == connect["requestContext"]["connectedAt"]
    assert context["requestId"] != connect["requestContext"]["requestId"]


def test_disconnect_event_shape_with_close_code(emulator, rec):
    async def body():
        async with websockets.connect(emulator.url) as ws:
            await ws.close(4000, "bye now")

    run(body)
    event = rec.wait_for(lambda events: len(rec.of_type("DISCONNECT")) == 1)[-1]
    assert set(event) == {"headers", "multiValueHeaders", "requestContext", "isBase64Encoded"}
    host = f"127.0.0.1:{emulator.port}"
    assert event["headers"] == {
        "Host": host,
        "x-api-key": "",
        "X-Forwarded-For": "",
        "x-restapi": "",
    }
    assert event["multiValueHeaders"]["x-restapi"] == [""]
    context = event["requestContext"]
    check_context(context, emulator, "DISCONNECT", "$disconnect")
    assert set(context) == COMMON_CONTEXT | {"disconnectStatusCode", "disconnectReason"}
    assert (context["disconnectStatusCode"], context["disconnectReason"]) == (4000, "bye now")


def test_disconnect_without_close_code_is_1005(emulator, rec):
    run(_empty_close(emulator))
    rec.wait_for(lambda events: len(rec.of_type("DISCONNECT")) == 1)
    context = rec.of_type("DISCONNECT")[0]["requestContext"]
    assert context["disconnectStatusCode"] == 1005
    assert context["disconnectReason"] == "Client-side close frame status not set"


def _empty_close(emulator):
    async def body():
        from tests.support.rawclient import RawClient

        client = await RawClient.connect(emulator)
        await client.send_frame(0x8, b"")
        assert (await client.read_frame())[0] == 0x8  # the echoed close
        await client.wait_eof()

    return body
