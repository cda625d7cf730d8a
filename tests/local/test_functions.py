"""Event handlers under `wsgen local`: schedules on their clock, `wsgen invoke` on demand.

The handler runs inside the emulator, so what it sends reaches real `websockets` clients.
"""

from __future__ import annotations

import asyncio
import gc
import io
import json
import os
import signal
import subprocess
import sys
import warnings
from pathlib import Path

import pytest
import websockets

from tests.support.builders import new_app
from tests.support.httpstub import Answer, stub_server
from tests.support.local import reaped, run, start
from tests.support.paths import APPS, EVENTS, ROOT
from wsgen.cli import main
from wsgen.commands.local import _print_functions
from wsgen.local import EventLog


def wsgen_invoke(port: int, *argv: str) -> subprocess.CompletedProcess[str]:
    """`wsgen invoke` as a user types it, in its own process."""
    return subprocess.run(
        [sys.executable, "-m", "wsgen.cli", "invoke", *argv, "--port", str(port)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )


async def connection_id(ws: websockets.ClientConnection) -> str:
    await ws.send(json.dumps({"action": "whoami"}))
    return str(await ws.recv())


def test_a_schedule_and_wsgen_invoke_push_to_a_connected_client():
    """`wsgen local` in a subprocess, its schedule 60 times faster: rate(1 minute) each second."""
    process = subprocess.Popen(
        [sys.executable, "-m", "wsgen.cli", "local", "--app-dir", str(APPS),
         "--app", "pusher:app", "--port", "0", "--schedule-speed", "60"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=ROOT,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )  # fmt: skip
    assert process.stdout is not None
    with reaped(process):
        banner = [process.stdout.readline()]
        while not banner[-1].startswith("  Ctrl-C"):  # the banner's last line
            banner.append(process.stdout.readline())
        url = banner[1].split()[2]
        port = int(url.rsplit(":", 1)[1].split("/")[0])

        async def body():
            async with websockets.connect(url) as ws:
                me = await connection_id(ws)
                tick = json.loads(await asyncio.wait_for(ws.recv(), 30))
                job = {"id": "j-1", "n": 21, "connection_id": me}
                invoked = await asyncio.to_thread(
                    wsgen_invoke, port, "jobs", "--body", json.dumps(job)
                )
                while (result := json.loads(await asyncio.wait_for(ws.recv(), 30))).get("tick"):
                    pass  # ticks keep coming meanwhile
                return tick, invoked, result

        tick, invoked, result = asyncio.run(body())
        process.send_signal(signal.SIGINT)
        output, _ = process.communicate(timeout=20)
    assert set(tick) == {"tick"} and tick["tick"].endswith("Z")
    assert (invoked.returncode, invoked.stderr) == (0, "")
    assert json.loads(invoked.stdout) == {"batchItemFailures": []}
    assert result == {"job": "j-1", "result": 42}
    schedule = (
        f"  @app.schedule tick: runs rate(1 minute); fire it now: wsgen invoke tick --port {port}"
    )
    assert schedule + "\n" in banner
    [endpoint] = [line.split()[2] for line in banner if line.startswith("  SQS endpoint:")]
    queue = f"{endpoint}/123456789012/jobs"
    fire = f"wsgen invoke jobs --body 'TEXT' --port {port}"
    assert f"  @app.on_sqs_message jobs: reads {queue}; or {fire}\n" in banner
    lines = output.splitlines()
    assert any("(schedule)   tick  ok" in line for line in lines)
    assert any("(sqs)        jobs  ok, 1 message(s)" in line for line in lines)


@pytest.fixture
def pusher():
    # The emulator's log (a failed handler's traceback) apart from what `wsgen invoke` prints.
    log = EventLog(io.StringIO(), quiet=True)
    with start("pusher", schedules=False, log=log) as emulator:
        yield emulator


def invoke(capsys, emulator, *argv: str) -> tuple[int, str, str]:
    code = main(["invoke", *argv, "--port", str(emulator.port)])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_each_kind_built_from_a_body_reaches_its_handler(pusher, capsys):
    async def body():
        async with websockets.connect(pusher.url) as ws:
            me = await connection_id(ws)
            calls = [
                ("news", "--body", "prices are up"),
                ("poke", "--body", json.dumps({"connection_id": me})),
                ("shipped", "--body", json.dumps({"connection_id": me})),
                ("orders", "--body", json.dumps({"connection_id": me, "status": "placed"})),
            ]
            answers = [await asyncio.to_thread(invoke, capsys, pusher, *c) for c in calls]
            frames = [await asyncio.wait_for(ws.recv(), 10) for _ in calls]
            return me, answers, frames

    me, answers, frames = run(body)
    assert [code for code, _, _ in answers] == [0, 0, 0, 0]
    assert json.loads(answers[1][1]) == {"poked": me, "function": "pusher-poke"}
    # SNS without a subject; EventBridge's source and detail-type from the rule's pattern.
    assert frames == [
        "news: prices are up",
        "poked",
        "Order Shipped from com.example.orders",
        "INSERT Orders",  # the item as a stream INSERT, its first attribute the key
    ]


def test_an_event_file_is_delivered_as_it_is(pusher, capsys, tmp_path: Path):
    async def body():
        async with websockets.connect(pusher.url) as ws:
            me = await connection_id(ws)
            event = json.loads((EVENTS / "sqs.json").read_text())
            for number, record in enumerate(event["Records"]):
                record["body"] = json.dumps({"id": f"j-{number}", "n": number, "connection_id": me})
            (tmp_path / "batch.json").write_text(json.dumps(event))
            answer = await asyncio.to_thread(
                invoke, capsys, pusher, "jobs", "--event", str(tmp_path / "batch.json")
            )
            return answer, [json.loads(await asyncio.wait_for(ws.recv(), 10)) for _ in range(2)]

    (code, _, err), frames = run(body)
    assert (code, err) == (0, "")
    assert frames == [{"job": "j-0", "result": 0}, {"job": "j-1", "result": 2}]


def test_a_failing_sqs_message_is_reported_for_retry(pusher, capsys):
    code, out, err = invoke(capsys, pusher, "jobs", "--body", '{"id": "j-9", "fail": true}')
    assert code == 0  # the function succeeded; the record is SQS's to retry
    assert err == (
        "wsgen invoke: jobs reported 1 of the batch's records as failed (its traceback is in "
        "wsgen local's log); SQS would deliver it again\n"
    )
    [failure] = json.loads(out)["batchItemFailures"]
    assert set(failure) == {"itemIdentifier"}


def test_a_handler_that_raises_is_an_error_line(pusher, capsys):
    code, out, err = invoke(capsys, pusher, "poke", "--body", "{}")
    assert (code, out) == (1, "")
    assert err == "error: @app.lambda_function handler poke raised KeyError: 'connection_id'\n"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["shipped", "--body", "[1]"], "error: the body for @app.on_cw_event handler 'shipped' "
         "must be a JSON object (it is '[1]'), such as --body '{\"key\": \"value\"}'\n"),
        (["poke", "--body", "not json"], "error: the event of lambda_function 'poke' is its "
         "--body as JSON, and 'not json' is not JSON; quote a string: --body '\"text\"'\n"),
    ],
)  # fmt: skip
def test_mistakes_are_one_error_line(pusher, capsys, argv, message):
    assert invoke(capsys, pusher, *argv) == (1, "", message)


def test_an_unknown_handler_names_the_app_and_port_reached(pusher, capsys):
    # The wsgen local on that port may serve another app than the user's: say which, and --port.
    code, out, err = invoke(capsys, pusher, "nope")
    assert (code, out) == (1, "")
    assert err == (
        "error: the app has no event handler named 'nope'; its event handlers: jobs, news, "
        f"orders, poke, shipped, tick (the wsgen local on port {pusher.port} serves "
        f"pusher:app in {APPS.resolve()}); pass --port for another wsgen local\n"
    )


def test_nothing_listening_says_to_start_wsgen_local(capsys):
    code = main(["invoke", "jobs", "--port", "9"])  # discard: nothing answers
    captured = capsys.readouterr()
    assert (code, captured.out) == (1, "")
    assert captured.err.startswith("error: nothing answers on 127.0.0.1:9 (")
    assert "start the app with wsgen local first" in captured.err


def test_an_unreadable_event_file_is_an_error_line(capsys, tmp_path: Path):
    (tmp_path / "bad.json").write_text("{")
    assert main(["invoke", "jobs", "--event", str(tmp_path / "bad.json")]) == 1
    assert capsys.readouterr().err.startswith(f"error: {tmp_path / 'bad.json'}: is not JSON")


def test_the_log_shows_each_invocation_like_a_websocket_event(capsys, tmp_path):
    log = tmp_path / "log.txt"
    with open(log, "w") as stream, start("pusher", schedules=False, log=EventLog(stream)) as emu:
        main(["invoke", "news", "--body", "hi", "--port", str(emu.port)])
        main(["invoke", "poke", "--body", "{}", "--port", str(emu.port)])
    lines = log.read_text().splitlines()
    assert any("(sns)        news  ok  (" in line for line in lines)
    assert any("(function)   poke  error (KeyError: 'connection_id')  (" in line for line in lines)


def test_no_schedules_runs_none(capsys):
    with start("pusher", schedules=False) as emulator:
        assert emulator.functions is not None
        assert emulator.functions.running_schedules == []
    with start("pusher", schedule_speed=60) as emulator:
        assert emulator.functions is not None
        assert emulator.functions.running_schedules == ["tick"]


@pytest.mark.parametrize("status", [200, 404])
def test_a_server_that_is_not_wsgen_local_is_one_error_line(capsys, status):
    html = Answer(status, {"Content-Type": "text/html"}, b"<html><body>Not here</body></html>")
    gc.collect()  # earlier tests' garbage, not this one's
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ResourceWarning)
        with stub_server(lambda request: html) as server:
            assert main(["invoke", "jobs", "--port", str(server.server_port)]) == 1
        gc.collect()  # a response left open (the 404's HTTPError) warns of its socket here
    assert [str(w.message) for w in caught if w.category is ResourceWarning] == []
    out, err = capsys.readouterr()
    assert out == ""
    assert err == (
        f"error: 127.0.0.1:{server.server_port} does not answer as wsgen local does; start "
        "the app with wsgen local, or pass the --port it serves on\n"
    )


def test_a_hand_made_event_the_handler_cannot_read_is_one_error_line(pusher, capsys, tmp_path):
    (tmp_path / "bad.json").write_text("[1, 2]")
    code, out, err = invoke(capsys, pusher, "shipped", "--event", str(tmp_path / "bad.json"))
    assert (code, out) == (1, "")
    assert err == (
        "error: the event for @app.on_cw_event handler 'shipped' (--event) must be a JSON "
        "object, not a list; pass the whole event as AWS sends it, or only its body with "
        'wsgen invoke shipped --body \'{"key": "value"}\'\n'
    )


def test_an_sqs_handler_needs_a_body_and_the_listing_shows_it(pusher, capsys):
    code, out, err = invoke(capsys, pusher, "jobs")
    assert (code, out) == (1, "")
    assert err == (
        "error: @app.on_sqs_message handler 'jobs' needs the message to deliver: "
        "wsgen invoke jobs --body 'TEXT'\n"
    )


def test_the_banner_fires_a_task_with_its_arguments_as_the_body(capsys):
    app = new_app()

    @app.task()
    def crunch(numbers, scale):
        pass

    _print_functions(app.spec(), True, 8001)
    assert capsys.readouterr().out == (
        "  @app.task crunch: fire it: wsgen invoke crunch --body '[...]' --port 8001\n"
    )
