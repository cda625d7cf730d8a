"""Limits, timeouts, abrupt drops and shutdown: each accepted connection gets one $disconnect."""

from __future__ import annotations

import asyncio
import os
import socket
import sys
import threading
import time
from collections.abc import Callable, Coroutine, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import websockets

from runtime.contract import DYNAMODB_ENDPOINT_ENV, ENDPOINT_ENV, SQS_ENDPOINT_ENV
from tests.support.local import open_sockets_on, recorder_module, run, start
from tests.support.rawclient import RawClient
from wsgen.exceptions import AppLoadError, ConfigError, PortInUseError, WsgenError
from wsgen.local import Emulator, EventLog


def disconnect_statuses(rec) -> list[tuple[int, str]]:
    return [
        (e["requestContext"]["disconnectStatusCode"], e["requestContext"]["disconnectReason"])
        for e in rec.of_type("DISCONNECT")
    ]


def test_message_over_128_kb_in_small_frames_closes_with_1009(emulator, rec):
    chunk = "y" * (32 * 1024)

    async def body():
        async with websockets.connect(emulator.url, max_size=None) as ws:
            await ws.send([chunk] * 4)  # 128 KB in four frames: fine
            assert len(await ws.recv()) == 128 * 1024
            await ws.send([chunk] * 4 + ["y"])
            await ws.wait_closed()
            return ws.close_code

    assert run(body) == 1009
    rec.wait_for(lambda _: rec.of_type("DISCONNECT"))
    assert [code for code, _ in disconnect_statuses(rec)] == [1009]


def test_idle_timeout_closes_with_1001():
    with start(idle_timeout=0.3) as emulator:
        rec = recorder_module()
        rec.reset()

        async def body():
            async with websockets.connect(emulator.url) as ws:
                await ws.ping()  # pings do not count as activity
                await ws.wait_closed()
                return ws.close_code

        assert run(body, timeout=10) == 1001
        rec.wait_for(lambda _: rec.of_type("DISCONNECT"))
        assert disconnect_statuses(rec) == [(1001, "Going away")]


def test_max_duration_closes_an_active_connection_with_1001():
    # The idle timeout is far off: only the maximum duration can close a busy connection.
    with start(idle_timeout=3600, max_duration=0.6) as emulator:
        rec = recorder_module()
        rec.reset()

        async def body():
            async with websockets.connect(emulator.url) as ws:
                echoed = 0
                while True:  # busy until closed (run()'s bound fails a close that never comes)
                    try:
                        await ws.send("keep busy")
                        await ws.recv()
                    except websockets.ConnectionClosed:
                        break
                    echoed += 1
                    await asyncio.sleep(0.05)
                await ws.wait_closed()
                return ws.close_code, echoed

        code, echoed = run(body, timeout=30)
        assert code == 1001
        assert echoed > 0  # it served messages first: activity does not keep it open
        rec.wait_for(lambda _: rec.of_type("DISCONNECT"))
        assert disconnect_statuses(rec) == [(1001, "Going away")]


def test_abrupt_drop_runs_disconnect_with_1006(emulator, rec):
    async def body():
        client = await RawClient.connect(emulator)
        assert client.status == 101
        client.drop()

    run(body)
    rec.wait_for(lambda _: rec.of_type("DISCONNECT"))
    assert disconnect_statuses(rec) == [(1006, "Connection closed abnormally")]


def test_messages_received_before_close_are_all_handled_then_disconnect(emulator, rec):
    async def body():
        async with websockets.connect(emulator.url) as ws:
            for n in range(20):
                await ws.send(f'{{"action": "boom", "n": {n}}}')

    run(body)
    events = rec.wait_for(lambda _: rec.of_type("DISCONNECT"))
    types = [e["requestContext"]["eventType"] for e in events]
    assert types == ["CONNECT"] + ["MESSAGE"] * 20 + ["DISCONNECT"]


def test_stop_closes_every_connection_with_1001_and_runs_each_disconnect():
    codes = []
    with start() as emulator:
        rec = recorder_module()
        rec.reset()

        async def connect_all():
            sockets = [await websockets.connect(emulator.url) for _ in range(5)]
            for ws in sockets:
                await ws.send("hi")
                await ws.recv()
            return sockets

        loop = asyncio.new_event_loop()
        sockets = loop.run_until_complete(connect_all())
    # The block's end stopped the emulator, as Ctrl-C does.
    for ws in sockets:
        loop.run_until_complete(asyncio.wait_for(ws.wait_closed(), 10))
        codes.append(ws.close_code)
    loop.close()
    assert codes == [1001] * 5
    assert disconnect_statuses(rec) == [(1001, "Going away")] * 5


def test_stop_with_a_stuck_handler_drops_queued_messages_and_runs_each_disconnect_once(
    monkeypatch,
):
    """With --serial-messages, a message queues behind the stuck one, and is dropped."""
    from wsgen.local import server

    monkeypatch.setattr(server, "HANDLER_GRACE_S", 0.5)
    ready, result = threading.Event(), {}

    async def clients(url):
        stuck = await websockets.connect(url)
        idle = await websockets.connect(url)
        await stuck.send('{"action": "stuck"}')
        await stuck.send("queued behind the stuck handler")
        ready.set()
        for ws in (stuck, idle):
            await asyncio.wait_for(ws.wait_closed(), 10)
        result["codes"] = [stuck.close_code, idle.close_code]

    rec = _stopped_with_a_stuck_handler(clients, ready, serial_messages=True, probe=True)
    assert result["codes"] == [1001, 1001]
    disconnects = rec.of_type("DISCONNECT")
    assert len({e["requestContext"]["connectionId"] for e in disconnects}) == len(disconnects) == 2
    assert [e["body"] for e in rec.of_type("MESSAGE")] == ['{"action": "stuck"}']
    # The management API still answered the $disconnect handlers (410: closed).
    assert rec.DISCONNECT_PROBES == ["gone", "gone"]


def test_stop_with_every_worker_stuck_in_a_message_still_runs_its_disconnect(monkeypatch):
    """The abandoned handler stops counting against `workers`: `$disconnect` gets its place."""
    from wsgen.local import server

    monkeypatch.setattr(server, "HANDLER_GRACE_S", 0.5)
    ready, result = threading.Event(), {}

    async def client(url):
        ws = await websockets.connect(url)
        await ws.send('{"action": "stuck"}')
        ready.set()
        await asyncio.wait_for(ws.wait_closed(), 10)
        result["code"] = ws.close_code

    rec = _stopped_with_a_stuck_handler(client, ready, workers=1)
    assert result["code"] == 1001
    assert disconnect_statuses(rec) == [(1001, "Going away")]


def test_upgrade_during_stop_is_refused_with_503(monkeypatch):
    from wsgen.local import server

    monkeypatch.setattr(server, "HANDLER_GRACE_S", 1.0)
    statuses = []
    try:
        with start() as emulator:
            rec = recorder_module()
            rec.reset()

            async def stuck():
                ws = await websockets.connect(emulator.url)
                await ws.send('{"action": "stuck"}')
                return ws

            loop = asyncio.new_event_loop()
            ws = loop.run_until_complete(stuck())
            rec.wait_for(lambda _: rec.of_type("MESSAGE"))
            host, port = "127.0.0.1", emulator.port
            raw = socket.create_connection((host, port), timeout=5)  # connected before the stop

            def upgrade_while_stopping():
                time.sleep(0.3)
                raw.sendall(
                    b"GET /local HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
                    b"Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                    b"Sec-WebSocket-Version: 13\r\n\r\n"
                )
                statuses.append(raw.recv(4096).split(b" ")[1])

            probe = threading.Thread(target=upgrade_while_stopping)
            probe.start()
        probe.join(5)
        raw.close()
        loop.run_until_complete(ws.close())
        loop.close()
    finally:
        _release_stuck_handlers()
    assert statuses == [b"503"]


def _stopped_with_a_stuck_handler(
    clients: Callable[[str], Coroutine[Any, Any, None]],
    ready: threading.Event,
    *,
    probe: bool = False,
    **options: Any,
) -> ModuleType:
    """Run `clients(url)` on a thread of its own against an emulator started with `options`
    (`probe`: its `$disconnect` handlers call the management API), and stop the emulator, as
    Ctrl-C does, once `ready` is set and a message is in: the recorder.

    The stop must end after its grace with the `stuck` handler still held (it waits 60 s for
    RELEASE, set only afterwards) and every `$disconnect` already run. Neither time limit
    ends the stuck invocation first: only the grace can let the stop go on without it."""
    options.update(integration_timeout=3600, function_timeout=3600)
    try:
        with start(**options) as emulator:
            rec = recorder_module()
            rec.reset()
            rec.PROBE_ON_DISCONNECT = probe
            thread = threading.Thread(target=asyncio.run, args=(clients(emulator.url),))
            thread.start()
            assert ready.wait(10)
            rec.wait_for(lambda _: rec.of_type("MESSAGE"))
        assert rec.STUCK_RETURNED == []  # stopped without waiting for the stuck handler
        assert rec.of_type("DISCONNECT")  # and ran $disconnect while it was held
        thread.join(10)
    finally:
        _release_stuck_handlers()
    return rec


def _release_stuck_handlers() -> None:
    rec = sys.modules.get("recorder")
    if rec is not None:
        rec.RELEASE.set()


def test_running_handlers_counts_a_handler_until_it_returns(emulator, rec):
    """What `wsgen local` reads at exit to know whether a stuck handler's thread is left."""

    async def body():
        async with websockets.connect(emulator.url) as ws:
            await ws.send('{"action": "stuck"}')
            await asyncio.get_running_loop().run_in_executor(
                None, rec.wait_for, lambda events: rec.of_type("MESSAGE")
            )
            during = emulator.running_handlers
            rec.RELEASE.set()
            # A connection's messages run concurrently, so wait for the count itself.
            for _ in range(500):
                if not emulator.running_handlers:
                    break
                await asyncio.sleep(0.01)
            return during, emulator.running_handlers

    assert run(body) == (1, 0)


def test_a_stopped_emulator_leaves_no_socket_open_on_its_port():
    """Neither its side of a WebSocket or management connection nor the handlers' pooled
    keep-alive connections to it (runtime.aws's, for send()), which would stay open, their
    server gone, until the process ends (a ResourceWarning then)."""
    with start() as emulator:
        port = emulator.port

        async def body() -> None:
            async with websockets.connect(emulator.url) as ws:
                for n in range(3):
                    await ws.send(f"m{n}")  # $default sends it back through send()
                    assert await ws.recv() == f"m{n}"

        run(body)
        assert open_sockets_on(port)  # the listener at least: the check sees this port
    assert open_sockets_on(port) == []


# What start changed in the process, stop puts back: an emulator started and stopped in a
# user's test process (or twice in one) leaves its environment and event loop as they were.

STOPENV_APP = """
import os
from runtime import App

app = App(app_name="stopenv")
app.experimental_feature_flags.update(["WEBSOCKETS"])


@app.on_ws_message(reply=True)
def show(event):
    return os.environ.get(event.body, "(unset)")


@app.on_sqs_message(queue="jobs")
def job(event):
    pass
"""
STOPENV_TOML = """
[environment]
GREETING = "hello"
SHELL_WINS = "from wsgen.toml"
JOBS_QUEUE_URL = { Ref = "JobQueue" }
"""


def _stopenv_app(tmp_path: Path, source: str = STOPENV_APP, toml: str = STOPENV_TOML) -> Path:
    (tmp_path / "stopenvapp.py").write_text(source)
    (tmp_path / "wsgen.toml").write_text(toml)
    return tmp_path


@pytest.fixture
def stopenv_environment(monkeypatch, tmp_path) -> Iterator[None]:
    """An environment with no credentials of the user's, a region only in AWS_DEFAULT_REGION,
    and values of their own for names the emulator overwrites (the management endpoint, the
    secret key) or leaves alone (one wsgen.toml sets)."""
    for name in ("AWS_ACCESS_KEY_ID", "AWS_PROFILE", "AWS_REGION", *STOPENV_NAMES):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none" / "credentials"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none" / "config"))
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "the user's own")
    monkeypatch.setenv(ENDPOINT_ENV, "http://elsewhere.example/prod")
    monkeypatch.setenv("SHELL_WINS", "from the shell")
    try:
        yield
    finally:
        sys.modules.pop("stopenvapp", None)


STOPENV_NAMES = ("GREETING", "JOBS_QUEUE_URL", DYNAMODB_ENDPOINT_ENV, SQS_ENDPOINT_ENV)


def _theirs(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
    """An exception handler of the user's own, installed before the emulator starts."""
    loop.default_exception_handler(context)


@pytest.mark.parametrize("handler", [None, _theirs], ids=["default handler", "own handler"])
def test_stop_puts_back_the_environment_and_the_loops_exception_handler(
    tmp_path, stopenv_environment, handler
):
    app_dir = _stopenv_app(tmp_path)
    before = dict(os.environ)

    async def body() -> list[tuple[dict[str, str], Emulator]]:
        loop = asyncio.get_running_loop()
        loop.set_exception_handler(handler)
        served = []
        for _ in range(2):  # twice in one process: the second serves queues of its own
            emulator = Emulator(app_dir, "stopenvapp:app", port=0, log=EventLog(quiet=True))
            await emulator.start()
            try:
                assert loop.get_exception_handler() not in (None, _theirs)
                served.append((dict(os.environ), emulator))
            finally:
                await emulator.stop()
            assert dict(os.environ) == before
            assert loop.get_exception_handler() is handler
        return served

    for environment, emulator in run(body):
        assert emulator.sqs is not None
        assert environment[ENDPOINT_ENV] == emulator.endpoint
        assert environment[SQS_ENDPOINT_ENV] == emulator.sqs.endpoint
        assert environment["JOBS_QUEUE_URL"] == emulator.sqs.queues["jobs"].url
        assert environment["AWS_ACCESS_KEY_ID"] == environment["AWS_SECRET_ACCESS_KEY"]
        assert environment["AWS_ACCESS_KEY_ID"] == "wsgen-local"
        assert (environment["AWS_REGION"], environment["AWS_DEFAULT_REGION"]) == ("eu-west-1",) * 2
        assert (environment["GREETING"], environment["SHELL_WINS"]) == ("hello", "from the shell")


@pytest.mark.parametrize("order", ["start order", "reverse order"])
def test_two_emulators_stopped_in_either_order_put_back_the_environment(
    tmp_path, stopenv_environment, order
):
    """While one still runs it keeps what it set (its endpoint, the region it shares with the
    other); once both stopped, the environment is as before the first started."""
    app_dir = _stopenv_app(tmp_path)
    before = dict(os.environ)

    async def body() -> None:
        first, second = (
            Emulator(app_dir, "stopenvapp:app", port=0, log=EventLog(quiet=True)) for _ in range(2)
        )
        await first.start()
        await second.start()
        try:
            assert os.environ[ENDPOINT_ENV] == second.endpoint
            stopped, running = (first, second) if order == "start order" else (second, first)
            await stopped.stop()
            assert os.environ[ENDPOINT_ENV] == running.endpoint
            assert running.sqs is not None
            assert os.environ[SQS_ENDPOINT_ENV] == running.sqs.endpoint
            assert os.environ["AWS_REGION"] == "eu-west-1"
            assert os.environ["AWS_ACCESS_KEY_ID"] == "wsgen-local"
            assert os.environ["GREETING"] == "hello"  # wsgen.toml's, the same for both
        finally:
            await first.stop()
            await second.stop()

    run(body)
    assert dict(os.environ) == before


def test_what_changed_since_start_keeps_its_new_value_at_stop(tmp_path, stopenv_environment):
    app_dir = _stopenv_app(tmp_path)
    before = dict(os.environ)

    async def body() -> None:
        loop = asyncio.get_running_loop()
        emulator = Emulator(app_dir, "stopenvapp:app", port=0, log=EventLog(quiet=True))
        await emulator.start()
        try:  # the user's own changes while it serves: the emulator's values, changed
            os.environ["GREETING"] = "changed by the test"
            os.environ[ENDPOINT_ENV] = "http://changed.example/dev"
            del os.environ["AWS_ACCESS_KEY_ID"]
            loop.set_exception_handler(_theirs)
        finally:
            await emulator.stop()
        assert loop.get_exception_handler() is _theirs

    run(body)
    changed = dict(os.environ)
    assert changed.pop("GREETING") == "changed by the test"
    assert changed == {**before, ENDPOINT_ENV: "http://changed.example/dev"}


@pytest.mark.parametrize(
    "failure",
    ["the app does not import", "wsgen.toml names a route the app lacks", "the port is taken"],
)
def test_a_start_that_fails_leaves_nothing_behind(tmp_path, stopenv_environment, failure):
    source, toml = STOPENV_APP, STOPENV_TOML
    if failure == "the app does not import":
        source += "raise RuntimeError('broken at import')\n"
    elif failure == "wsgen.toml names a route the app lacks":
        toml = '[routes."jion"]\nthrottling_rate_limit = 1\n' + toml
    app_dir = _stopenv_app(tmp_path, source, toml)
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    port = taken.getsockname()[1] if failure == "the port is taken" else 0
    before = dict(os.environ)

    async def body() -> WsgenError:
        loop = asyncio.get_running_loop()
        loop.set_exception_handler(_theirs)
        emulator = Emulator(app_dir, "stopenvapp:app", port=port, log=EventLog(quiet=True))
        with pytest.raises(WsgenError) as failed:
            await emulator.start()
        assert loop.get_exception_handler() is _theirs
        return failed.value

    try:
        error = run(body)
    finally:
        taken.close()
    assert isinstance(error, {
        "the app does not import": AppLoadError,
        "wsgen.toml names a route the app lacks": ConfigError,
        "the port is taken": PortInUseError,
    }[failure])  # fmt: skip
    assert dict(os.environ) == before
