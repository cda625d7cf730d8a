"""Message routing, error frames, two-way replies and the $connect handshake."""

from __future__ import annotations

import asyncio
import base64
import io
import json

import pytest
import websockets
from websockets.exceptions import InvalidHandshake, InvalidStatus

from tests.support.events import ID
from tests.support.local import recorder_module, run, start
from wsgen.local import EventLog, running


def test_custom_route_by_selection_expression_and_default_otherwise(emulator, rec):
    async def body():
        async with websockets.connect(emulator.url) as ws:
            await ws.send('{"action": "echo"}')
            assert await ws.recv() == '{"action": "echo"}'  # two-way: the reply frame
            for text in ("not json", '{"action": "nope"}', '{"action": "$connect"}', "[1]"):
                await ws.send(text)
                assert await ws.recv() == text  # $default echoes through send()

    run(body)
    routes = [e["requestContext"]["routeKey"] for e in rec.of_type("MESSAGE")]
    assert routes == ["echo", "$default", "$default", "$default", "$default"]


def test_without_connect_route_connections_are_accepted_and_ids_look_like_aws():
    with start("bare") as emulator:

        async def body():
            # No $connect route: the connection is accepted.
            async with websockets.connect(emulator.url) as ws:
                await ws.send('{"action": "only"}')
                assert await ws.recv() == "only"
                await ws.send("anything else")
                raw = await ws.recv()
                assert raw.startswith('{"message": "Forbidden", "connectionId":"')  # AWS's bytes
                frame = json.loads(raw)
                await ws.send('{"action": "only"}')
                assert await ws.recv() == "only"  # still open
                return frame

        frame = run(body)
    assert list(frame) == ["message", "connectionId", "requestId"]
    assert frame["message"] == "Forbidden"
    assert ID.match(frame["connectionId"]) and ID.match(frame["requestId"])


def test_handler_calling_sys_exit_is_an_internal_server_error_not_the_end(emulator, rec):
    async def body():
        async with websockets.connect(emulator.url) as ws:
            await ws.send('{"action": "exit"}')
            frame = json.loads(await asyncio.wait_for(ws.recv(), 5))
            await ws.send("still here?")
            return frame, await asyncio.wait_for(ws.recv(), 5)

    frame, after = run(body, timeout=15)
    assert frame["message"] == "Internal server error"
    assert after == "still here?"


def test_accepted_binary_frame_is_delivered_base64_encoded():
    with start(accept_binary_frames=True) as emulator:
        rec = recorder_module()
        rec.reset()

        async def body():
            async with websockets.connect(emulator.url) as ws:
                await ws.send(b"\x00\x01\xffbin")
                await ws.recv()

        run(body)
        event = rec.of_type("MESSAGE")[0]
    assert event["isBase64Encoded"] is True
    assert base64.b64decode(event["body"]) == b"\x00\x01\xffbin"
    assert event["requestContext"]["routeKey"] == "$default"


def test_send_of_non_utf8_bytes_is_a_binary_frame_and_text_a_text_frame(emulator):
    async def body():
        async with websockets.connect(emulator.url) as ws:
            await ws.send('{"action": "binary"}')
            assert await ws.recv() == b"\xff\x00\xfe"
            await ws.send("text")
            assert await ws.recv() == "text"

    run(body)


def test_connect_exception_rejects_handshake_with_502(emulator, rec):
    async def body():
        with pytest.raises(InvalidStatus) as caught:
            async with websockets.connect(f"{emulator.url}?fail=1"):
                pass
        return caught.value.response

    response = run(body)
    assert response.status_code == 502
    assert json.loads(response.body) == {"message": "Internal server error"}


def test_subprotocol_only_when_connect_returns_it(emulator):
    async def body():
        url = emulator.url
        async with websockets.connect(url, subprotocols=["chat.v2", "chat.v1"]) as ws:
            none = ws.subprotocol  # no automatic echo
        async with websockets.connect(
            f"{url}?protocol=chat.v1", subprotocols=["chat.v2", "chat.v1"]
        ) as ws:
            chosen = ws.subprotocol
        return none, chosen

    assert run(body) == (None, "chat.v1")


def test_subprotocol_the_client_did_not_offer_fails_the_client_handshake(emulator):
    async def body():
        with pytest.raises(InvalidHandshake):
            async with websockets.connect(f"{emulator.url}?protocol=other", subprotocols=["a"]):
                pass

    run(body)


@pytest.mark.slow
def test_a_subprotocol_mismatch_is_logged_once_with_its_fix():
    stream = io.StringIO()
    with start("recorder", log=EventLog(stream=stream)) as emulator:

        async def body():
            url = emulator.url
            async with websockets.connect(url, subprotocols=["chat.v1"]):
                pass  # Python's client accepts no answer; a browser fails
            with pytest.raises(InvalidHandshake):
                async with websockets.connect(f"{url}?protocol=My-Protocol", subprotocols=["a"]):
                    pass
            async with websockets.connect(f"{url}?protocol=a", subprotocols=["a"]):
                pass  # a match: nothing to say

        run(body)
    lines = [line for line in stream.getvalue().splitlines() if " $connect " in line]
    assert len(lines) == 3
    assert (
        "200 accepted, but the client offered subprotocols 'chat.v1' and the $connect "
        in (lines[0])
    )
    assert "return one of them in the Sec-WebSocket-Protocol header" in lines[0]
    assert (
        "200 accepted, but the $connect handler chose subprotocol 'My-Protocol', which the "
        in (lines[1])
    )
    assert "(it offered 'a')" in lines[1]
    assert "but" not in lines[2] and "200 accepted" in lines[2]
    assert stream.getvalue().count("browsers fail") == 2  # once per connection


def test_send_during_connect_is_gone(emulator, rec):
    async def body():
        async with websockets.connect(f"{emulator.url}?send=1") as ws:
            await ws.send("after connect")
            assert await ws.recv() == "after connect"  # the early message never arrived

    run(body)
    assert rec.NOTES == ["gone during $connect"]


def test_root_path_is_accepted_and_other_paths_are_403(emulator):
    async def body():
        root = emulator.url.rsplit("/", 1)[0] + "/"
        async with websockets.connect(root) as ws:
            await ws.send("hi")
            assert await ws.recv() == "hi"
        with pytest.raises(InvalidStatus) as caught:
            async with websockets.connect(root + "otherstage"):
                pass
        return caught.value.response.status_code

    assert run(body) == 403


UNSERIALISABLE = """
from runtime import App

app = App(app_name="odd")
app.experimental_feature_flags.update(["WEBSOCKETS"])


@app.on_ws_message(reply=True)
def odd(event):
    return object() if event.body == "odd" else "fine"
"""


def test_unserialisable_reply_is_logged_and_answered_internal_server_error(tmp_path):
    (tmp_path / "app.py").write_text(UNSERIALISABLE)
    stream = io.StringIO()
    with running(tmp_path, "app:app", port=0, log=EventLog(stream=stream)) as emulator:

        async def body():
            async with websockets.connect(emulator.url) as ws:
                await ws.send("odd")
                frame = json.loads(await ws.recv())
                await ws.send("again")
                return frame, await ws.recv()

        frame, after = run(body)
    assert frame["message"] == "Internal server error"
    assert after == "fine"  # the connection stays open
    assert "InvalidReplyError" in stream.getvalue()


INDEXED = """
from runtime import App

app = App(app_name="indexed")
app.experimental_feature_flags.update(["WEBSOCKETS"])
app.route_selection_expression = "${request.body.items[0].type}-${request.body.sub}"


@app.on_ws_message("join-", reply=True)
def join(event):
    return "join-"


@app.on_ws_message("join-lobby", reply=True)
def lobby(event):
    return "join-lobby"


@app.on_ws_message(reply=True)
def default(event):
    return "default"
"""


def test_jsonpath_indexes_and_missing_paths_route_as_on_aws(tmp_path):
    (tmp_path / "app.py").write_text(INDEXED)
    with running(tmp_path, "app:app", port=0, log=EventLog(quiet=True)) as emulator:

        async def body():
            async with websockets.connect(emulator.url) as ws:
                replies = []
                for message in (
                    {"items": [{"type": "join"}]},  # missing `sub` resolves to "": join-
                    {"items": [{"type": "join"}], "sub": "lobby"},
                    {"items": []},  # "-" matches nothing
                ):
                    await ws.send(json.dumps(message))
                    replies.append(await ws.recv())
                return replies

        assert run(body) == ["join-", "join-lobby", "default"]


BAD_CONNECT = """
from runtime import App

app = App(app_name="bad")
app.experimental_feature_flags.update(["WEBSOCKETS"])
RESULTS = {
    "inf": {"statusCode": float("inf")},
    "huge": {"statusCode": 10**5000},
    "negative": {"statusCode": -5},
    "true": {"statusCode": True},
    "crlf": {"statusCode": 200, "headers": {"Sec-WebSocket-Protocol": "chat\\r\\nX-Evil: 1"}},
}
DISCONNECTS = []


@app.on_ws_connect()
def connect(event):
    return RESULTS.get(event.query_params.get("r"))


@app.on_ws_disconnect()
def disconnect(event):
    DISCONNECTS.append(event.connection_id)
"""


def test_a_malformed_connect_result_is_502_a_log_line_and_no_disconnect(tmp_path):
    import sys

    (tmp_path / "app.py").write_text(BAD_CONNECT)
    stream = io.StringIO()
    with running(tmp_path, "app:app", log=EventLog(stream=stream)) as emulator:

        async def body():
            responses = []
            for case in ("inf", "huge", "negative", "true", "crlf"):
                with pytest.raises(InvalidStatus) as rejected:
                    await websockets.connect(f"{emulator.url}?r={case}", subprotocols=["chat"])
                responses.append(rejected.value.response)
            async with websockets.connect(emulator.url) as ws:  # still serving
                await ws.send("x")
            return responses

        responses = run(body)
    assert [r.status_code for r in responses] == [502] * 5
    assert {bytes(r.body) for r in responses} == {b'{"message":"Internal server error"}'}
    assert all(b"X-Evil" not in r.body and "X-Evil" not in r.headers for r in responses)
    log = stream.getvalue()
    assert log.count("malformed Lambda proxy response") == 5
    assert "Traceback" not in log
    assert len(sys.modules["app"].DISCONNECTS) == 1  # the one accepted connection, once


JOIN_ONLY = """
from runtime import App

app = App(app_name="joinonly")
app.experimental_feature_flags.update(["WEBSOCKETS"])


@app.on_ws_message(route="join", reply=True)
def join(event):
    return "joined"
"""


@pytest.mark.slow
def test_a_message_matching_no_route_is_logged_with_why_the_routes_and_the_fix(tmp_path):
    (tmp_path / "app.py").write_text(JOIN_ONLY)
    stream = io.StringIO()
    with running(tmp_path, "app:app", port=0, log=EventLog(stream=stream)) as emulator:

        async def body():
            async with websockets.connect(emulator.url) as ws:
                frames = []
                for text in ('{"action": "Join"}', "join", '{"action": "join"}'):
                    await ws.send(text)
                    frames.append(await ws.recv())
                return frames

        frames = run(body)
    assert [json.loads(f)["message"] for f in frames[:2]] == ["Forbidden"] * 2  # as AWS
    assert frames[2] == "joined"
    lines = [line for line in stream.getvalue().splitlines() if "(no route)" in line]
    fix = (
        "the app's routes: 'join'; add @app.on_ws_message() to take $default,"
        " or send a route key in $request.body.action"
    )
    assert len(lines) == 2
    assert "Forbidden frame: $request.body.action gave 'Join', which is no route's key" in lines[0]
    assert "did you mean 'join'?" in lines[0] and fix in lines[0]
    assert (
        "Forbidden frame: the body is not JSON, so $request.body.action selects nothing"
        in (lines[1])
    )
    assert fix in lines[1]


ONE_WAY_RESULTS = """
from runtime import App

app = App(app_name="oneway")
app.experimental_feature_flags.update(["WEBSOCKETS"])


@app.on_ws_message(route="join")
def join(event):
    return {"joined": True}


@app.on_ws_message(route="ping", reply=True)
def ping(event):
    return "pong"


@app.on_ws_disconnect()
def disconnect(event):
    return "bye"
"""


@pytest.mark.slow
def test_a_value_returned_on_a_one_way_route_is_dropped_and_logged_once_per_route(tmp_path):
    (tmp_path / "app.py").write_text(ONE_WAY_RESULTS)
    stream = io.StringIO()

    async def logged(text, count):  # handlers run concurrently: wait for their lines
        while stream.getvalue().count(text) < count:
            await asyncio.sleep(0.01)

    with running(tmp_path, "app:app", port=0, log=EventLog(stream=stream)) as emulator:

        async def body():
            async with websockets.connect(emulator.url) as ws:
                await ws.send('{"action": "join"}')
                await ws.send('{"action": "join"}')
                await logged("result dropped (one-way route)", 2)
                # Anything join sent was written before its line: the first frame is ping's.
                await ws.send('{"action": "ping"}')
                return await ws.recv()

        assert run(body) == "pong"
        run(lambda: logged(" $disconnect ", 1))
    log = stream.getvalue()
    joins = [line for line in log.splitlines() if "  join " in line]
    assert len(joins) == 2 and all("ok, result dropped (one-way route)" in j for j in joins)
    note = (
        "wsgen local: the handler for route join returned a dict, which API Gateway discards: "
        "the route is one-way, so nothing goes back to the client; make it two-way with "
        "@app.on_ws_message(route='join', reply=True) to send it back, or return None"
    )
    assert log.splitlines().count(note) == 1  # once for the route, not per message
    assert log.count("for route $disconnect returned a str") == 1
    assert "$disconnect is always one-way (its client is gone); return None" in log
