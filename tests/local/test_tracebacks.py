"""A handler that raises under `wsgen local`: its traceback in the log, as Lambda's log has it.

Lambda writes an unhandled exception's traceback to CloudWatch; the emulator's log plays
that log, for every kind of invocation, starting at the app's own code.
"""

from __future__ import annotations

import asyncio
import io
import json
import logging
import re
from pathlib import Path

import pytest
import websockets

from tests.support.local import run, start
from wsgen.cli import main
from wsgen.local import EventLog, running

APP = """\
from runtime import App, AuthResponse

app = App("boom", debug=True)
app.experimental_feature_flags.update(["WEBSOCKETS"])


@app.ws_authorizer(identity_sources=["route.request.querystring.token"])
def authorize(event):
    if event.query_params["token"] == "auth":
        return {}["in_authorizer"]
    return AuthResponse.allow("someone", {"token": event.query_params["token"]})


@app.on_ws_connect()
def connect(event):
    if event.query_params["token"] == "connect":
        return {}["in_connect"]


@app.on_ws_connected()
def connected(event):
    return {}["in_connected"]


@app.on_ws_message(route="go")
def go(event):
    work.delay()
    return {}["in_message"]


@app.task()
def work():
    return {}["in_task"]


@app.schedule("rate(1 hour)")
def tick(event):
    return {}["in_schedule"]
"""

CASES = {
    "in_authorizer": "authorize",
    "in_connect": "connect",
    "in_connected": "connected",
    "in_message": "go",
    "in_task": "work",
    "in_schedule": "tick",
}


def test_every_kind_of_failed_invocation_logs_its_traceback(tmp_path: Path):
    (tmp_path / "app.py").write_text(APP)
    log = tmp_path / "log.txt"
    with (
        open(log, "w") as stream,
        running(tmp_path, "app:app", log=EventLog(stream), schedules=False) as emulator,
    ):
        url = emulator.url

        async def body() -> None:
            for token in ("auth", "connect"):
                with pytest.raises(websockets.InvalidStatus):
                    async with websockets.connect(f"{url}?token={token}"):
                        pass
            async with websockets.connect(f"{url}?token=ok") as ws:
                await ws.send(json.dumps({"action": "go"}))
                assert "Internal server error" in str(await ws.recv())
                # The task and on_ws_connected run on after the reply: wait for their lines.
                while not all(key in log.read_text() for key in ("in_task", "in_connected")):
                    await asyncio.sleep(0.05)

        run(body)
        assert main(["invoke", "tick", "--port", str(emulator.port)]) == 1
    text = log.read_text()
    for key, function in CASES.items():
        # The traceback starts in the app's code: no frame of wsgen's emulator or runtime.
        pattern = (
            r"Traceback \(most recent call last\):\n"
            rf'  File "{re.escape(str(tmp_path / "app.py"))}", line \d+, in {function}\n'
            rf".*\n(?:.*\n)*?KeyError: '{key}'"
        )
        assert re.search(pattern, text), f"no traceback for {function} in:\n{text}"


def test_an_authorizer_refusing_logs_no_traceback(tmp_path: Path):
    refusing = APP.replace('return {}["in_authorizer"]', 'raise Exception("Unauthorized")')
    (tmp_path / "app.py").write_text(refusing)
    log = tmp_path / "log.txt"
    with open(log, "w") as stream, running(tmp_path, "app:app", log=EventLog(stream)) as emulator:

        async def body() -> None:
            with pytest.raises(websockets.InvalidStatus):
                async with websockets.connect(f"{emulator.url}?token=auth"):
                    pass

        run(body)
    assert "401 refused" in log.read_text()
    assert "Traceback" not in log.read_text()


def test_a_handler_refusing_is_logged_as_api_gateway_answered_it_without_traceback():
    stream = io.StringIO()
    with start("parityapp", log=EventLog(stream=stream)) as emulator:

        async def body() -> None:
            for query in ("&refuse=403", "&status=401"):
                with pytest.raises(websockets.InvalidStatus) as refused:
                    async with websockets.connect(f"{emulator.url}?token=allow{query}"):
                        pass
                assert refused.value.response.status_code == int(query[-3:])
            async with websockets.connect(f"{emulator.url}?token=allow") as ws:
                await ws.send(json.dumps({"action": "refuse_reply"}))
                assert json.loads(await ws.recv())["error"]["code"] == "bad_room"
                await ws.send(json.dumps({"action": "refuse"}))
                assert json.loads(await ws.recv())["error"]["code"] == "bad_room"

        run(body)
    outcome = re.compile(r"^\S+  (\S+) +\S+  (.*)  \(\d+\.\d ms\)$")
    lines = [m.groups() for m in map(outcome.match, stream.getvalue().splitlines()) if m]
    refusal = "refused (ClientError bad_room: room must be a non-empty string)"
    assert [line for line in lines if line[0] != "(authorizer)"][:4] == [
        ("$connect", "403 refused: the $connect handler refused: ClientError closed: not today"),
        ("$connect", "401 refused: the $connect handler returned 401"),
        ("$connect", "200 accepted"),
        ("refuse_reply", f"{refusal}: the client got the error frame"),
    ]
    assert ("refuse", f"{refusal}: the client got the error frame") in lines
    assert "Traceback" not in stream.getvalue()


def test_a_refusal_whose_client_had_gone_is_logged_so():
    """The handler closed its own connection before refusing: no error frame reached it."""
    stream = io.StringIO()
    with start("parityapp", log=EventLog(stream=stream)) as emulator:

        async def body() -> None:
            async with websockets.connect(f"{emulator.url}?token=allow") as ws:
                await ws.send(json.dumps({"action": "kick_refuse"}))
                with pytest.raises(websockets.ConnectionClosed):
                    await ws.recv()

            for _ in range(200):  # its line comes once the handler has returned
                if " kick_refuse " in stream.getvalue():
                    break
                await asyncio.sleep(0.05)

        run(body)
    lines = [line for line in stream.getvalue().splitlines() if " kick_refuse " in line]
    assert len(lines) == 1
    assert "refused (ClientError gone: you were gone): the client had gone: no frame" in lines[0]


WRONG_RESULTS = """\
from runtime import App, AuthResponse

app = App("wrong")
app.experimental_feature_flags.update(["WEBSOCKETS"])


@app.ws_authorizer(identity_sources=["route.request.querystring.token"])
def authorize(event):
    token = event.query_params["token"]
    if token == "none":
        return None
    if token == "dict":
        return {"principal": "ada"}
    return AuthResponse.allow("ada")


@app.on_ws_message(route="bad", reply=True)
def bad(event):
    return {1, 2}


@app.on_ws_message(route="boom")
def boom(event):
    return {}["in_message"]


@app.on_sqs_message(queue="jobs")
def jobs(event):
    for record in event:
        {}["in_sqs"]
"""


def test_a_handler_returning_the_wrong_thing_is_one_line_naming_it_and_the_fix(tmp_path, caplog):
    app_py = tmp_path / "app.py"
    app_py.write_text(WRONG_RESULTS)
    stream = io.StringIO()
    with running(tmp_path, "app:app", port=0, log=EventLog(stream=stream)) as emulator:

        async def body() -> None:
            for token in ("none", "dict"):
                with pytest.raises(websockets.InvalidStatus):
                    async with websockets.connect(f"{emulator.url}?token={token}"):
                        pass
            async with websockets.connect(f"{emulator.url}?token=ok") as ws:
                await ws.send(json.dumps({"action": "bad"}))
                assert "Internal server error" in str(await ws.recv())

        run(body)
    text = stream.getvalue()
    assert "Traceback" not in text
    lines = text.splitlines()
    for returned, handler, fix in (
        ("authorizer returned a NoneType", "authorize at", "or raise UnauthorizedError"),
        ("authorizer returned a dict", "authorize at", "or raise UnauthorizedError"),
        ("reply of route 'bad' is a set", "bad at", "return one of those"),
    ):
        [line] = [line for line in lines if returned in line]
        where = rf"{fix} \(handler {handler} {re.escape(str(app_py))}:\d+\)"
        assert re.search(where, line), line
    # The runtime's own line for the same failure is not repeated beside the emulator's.
    assert not [r for r in caplog.records if r.name == "runtime" and "failed" in r.getMessage()]


def test_a_failing_sqs_handlers_logged_traceback_starts_in_the_app(tmp_path, caplog):
    """The runtime's record of the batch's failure is in the emulator's log (an error: even a
    quiet log has it), as the other failures are, not on stderr; it still reaches the root
    logger's handlers (here pytest's)."""
    (tmp_path / "app.py").write_text(WRONG_RESULTS)
    stream = io.StringIO()
    with running(tmp_path, "app:app", port=0, log=EventLog(stream, quiet=True)) as emulator:
        assert main(["invoke", "jobs", "--body", "x", "--port", str(emulator.port)]) == 0
    [record] = [r for r in caplog.records if r.name == "runtime"]
    assert "1 of 1 messages will be retried" in record.getMessage()
    assert record.exc_text is not None
    assert record.exc_text.startswith(
        f'Traceback (most recent call last):\n  File "{tmp_path / "app.py"}", line '
    )
    assert record.exc_text.endswith("KeyError: 'in_sqs'")
    assert stream.getvalue() == f"ERROR runtime: {record.getMessage()}\n{record.exc_text}\n"


def test_a_runtime_record_that_cannot_be_written_is_no_error_of_its_caller(capsys, monkeypatch):
    """As with logging's own handlers: the record is reported on stderr, the call returns.
    (Not propagated: pytest's capture handler would raise for it.)"""
    monkeypatch.setattr(logging.getLogger("runtime"), "propagate", False)
    with start(log=EventLog(io.StringIO())):
        logging.getLogger("runtime").error("%d messages", "not a number")
    assert "--- Logging error ---" in capsys.readouterr().err
