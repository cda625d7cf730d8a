"""`@app.task()` and `task.delay()`: the payload, the task's function, the front ends."""

from __future__ import annotations

import asyncio
import json
import sys
from typing import Any

import pytest
import websockets

from runtime import App, InvalidEventError, TaskArgumentsError
from runtime.background import Background
from runtime.contract import TASK_KEY
from tests.support.paths import LONGTASK_APPS as APPS
from wsgen.gateway.timeouts import INTEGRATION_TIMEOUT_S
from wsgen.local import EventLog, running
from wsgen.testing import Client


class Recording(Background):
    def __init__(self) -> None:
        self.tasks: list[tuple[str, dict[str, Any]]] = []

    def task(self, name: str, payload: dict[str, Any]) -> None:
        self.tasks.append((name, payload))


def task_app() -> tuple[App, list[Any]]:
    app = App("tasks")
    app.experimental_feature_flags.add("WEBSOCKETS")
    ran: list[Any] = []

    @app.on_ws_message(route="go", reply=True)
    def go(event: Any) -> str:
        work.delay(event.connection_id, n=event.json_body["n"])
        return "started"

    @app.task(name="work")
    def work(connection_id: str, n: int) -> None:
        ran.append((connection_id, n))
        for i in range(n):
            app.websocket_api.send(connection_id, f"step {i + 1}")
        app.websocket_api.send(connection_id, "done")

    return app, ran


def test_delay_hands_the_task_its_name_and_json_arguments_and_returns() -> None:
    app, ran = task_app()
    app.use_background(recording := Recording())
    work = app.function_handler("work")
    task = next(f for f in app.spec().functions if f.name == "work")
    assert task.kind == "task"
    payload = {TASK_KEY: "work", "args": ["abc="], "kwargs": {"n": 2}}
    from runtime.tasks import Task

    started = Task(app, "work", lambda *a, **k: None)
    started.delay("abc=", n=2)
    assert recording.tasks == [("work", payload)]
    assert ran == []
    with pytest.raises(TaskArgumentsError, match="JSON-serialisable"):
        started.delay(object())
    assert len(recording.tasks) == 1
    # The task's function runs the payload.
    app.websocket_api.use_client(None)
    with pytest.raises(InvalidEventError):
        work({"wsgen.task": "other"}, None)


def test_the_task_function_calls_it_with_the_arguments() -> None:
    app, ran = task_app()
    sent: list[tuple[str, str]] = []
    app.websocket_api.send = lambda cid, message: sent.append((cid, message))  # type: ignore[method-assign]
    app.function_handler("work")({TASK_KEY: "work", "args": ["c1"], "kwargs": {"n": 1}}, None)
    assert ran == [("c1", 1)]
    assert sent == [("c1", "step 1"), ("c1", "done")]


def test_a_task_is_still_a_function_to_call_directly() -> None:
    app = App("direct")

    @app.task()
    def add(a: int, b: int) -> int:
        return a + b

    assert add(2, 3) == 5 and add.__name__ == "add" and add.name == "add"


def test_the_test_client_runs_the_task_after_the_handler_returned() -> None:
    app, ran = task_app()
    with Client(app) as client:
        conn = client.connect()
        conn.send_json({"action": "go", "n": 3})
        # The reply first (the handler returned), then what the task sent.
        assert [conn.receive() for _ in range(5)] == [
            "started",
            "step 1",
            "step 2",
            "step 3",
            "done",
        ]
        assert ran == [(conn.connection_id, 3)]
        assert [name for name, _ in client.invocations] == ["work"]


def test_the_test_client_raises_what_a_task_raised() -> None:
    app = App("failing")
    app.experimental_feature_flags.add("WEBSOCKETS")

    @app.on_ws_message(route="go")
    def go(event: Any) -> None:
        boom.delay()

    @app.task()
    def boom() -> None:
        raise RuntimeError("task failed")

    with Client(app) as client:
        conn = client.connect()
        with pytest.raises(RuntimeError, match="task failed"):
            conn.send_json({"action": "go"})
    with Client(app, raise_errors=False) as client:
        client.connect().send_json({"action": "go"})
        assert [str(e) for e in client.errors] == ["task failed"]


@pytest.mark.slow  # the emulator, real sockets
def test_under_wsgen_local_a_task_outlives_the_integration_timeout_and_streams() -> None:
    """API Gateway's 29 s, shortened to 0.5 s: the task runs 4 x 0.4 s and streams."""
    integration = 0.5
    assert integration < INTEGRATION_TIMEOUT_S

    async def ask(url: str) -> list[Any]:
        async with websockets.connect(url) as ws:
            await ws.send(json.dumps({"action": "report", "topic": "sales"}))
            return [json.loads(await asyncio.wait_for(ws.recv(), 20)) for _ in range(6)]

    log = EventLog(quiet=True)
    with running(APPS / "longtask", "app:app", log=log, integration_timeout=integration) as emu:
        frames = asyncio.run(ask(emu.url))
    sys.modules.pop("app", None)
    assert frames == [
        {"started": "sales"},
        {"progress": 1, "of": 4},
        {"progress": 2, "of": 4},
        {"progress": 3, "of": 4},
        {"progress": 4, "of": 4},
        {"result": "report on sales"},
    ]


@pytest.mark.slow  # the emulator, real sockets
def test_under_wsgen_local_a_task_is_held_to_its_own_timeout(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from wsgen.cli import main

    with running(APPS / "longtask", "app:app", log=EventLog(quiet=True)) as emu:
        code = main(["invoke", "stuck", "--body", '["c1"]', "--port", str(emu.port)])
        captured = capsys.readouterr()
        bad = main(["invoke", "stuck", "--body", '"c1"', "--port", str(emu.port)])
        refused = capsys.readouterr()
    sys.modules.pop("app", None)
    # [functions.stuck] timeout = 1: Lambda's own words, well before the task's 30 s.
    assert (code, captured.out) == (1, "")
    assert "Task timed out after 1.00 seconds" in captured.err
    assert bad == 1 and "a list of positional ones" in refused.err
