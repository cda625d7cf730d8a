"""Fan-out through the emulator's in-process queue, to real WebSocket clients."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import pytest
import websockets

from tests.support.local import run, start
from wsgen.local import EventLog, running

CLIENTS = 2000
"""Connections of the big fan-out: a few thousand, on one event loop."""


@pytest.fixture
def announcer(monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("WSGEN_FAN_OUT_THRESHOLD", "100")
    # The handshakes are not what this tests: at API Gateway's 500 new connections a second
    # the later waves get 429 on a machine that opens them faster.
    with start("announcer", workers=16, connection_rate=CLIENTS) as emulator:
        yield emulator


async def ask(ws: Any, action: str, **fields: Any) -> Any:
    await ws.send(json.dumps({"action": action, **fields}))
    return json.loads(await ws.recv())


def test_a_fan_out_to_thousands_delivers_each_message_once_and_prunes_the_gone(announcer):
    async def body() -> None:
        sockets = []
        try:  # from the first wave: a failed one leaves none of the earlier open
            for _ in range(0, CLIENTS, 200):  # handshakes in waves, not all at once
                sockets += await asyncio.gather(
                    *(websockets.connect(announcer.url, max_queue=None) for _n in range(200))
                )
            await asyncio.gather(*(ask(ws, "follow") for ws in sockets))
            publisher = sockets[0]
            stale = [f"c3RhbGUtaWQtMDAw{i}=" for i in range(5)]
            assert await ask(publisher, "stale", ids=stale) == {"members": CLIENTS + 5}
            reply = await ask(publisher, "publish", text="breaking")
            assert (reply["sent"], reply["enqueued"]) == (0, CLIENTS - 1 + 5)

            async def first_and_nothing_more(ws: Any) -> str:
                message = await ws.recv()
                with pytest.raises(TimeoutError):
                    await asyncio.wait_for(ws.recv(), 0.5)
                return str(message)

            got = await asyncio.gather(*(first_and_nothing_more(ws) for ws in sockets[1:]))
            assert got == ["breaking"] * (CLIENTS - 1)
            status = await ask(publisher, "status", id=reply["id"])
            while status["delivered"] + status["gone"] + status["failed"] < status["enqueued"]:
                await asyncio.sleep(0.05)
                status = await ask(publisher, "status", id=reply["id"])
            assert status == {
                "enqueued": CLIENTS + 4,
                "delivered": CLIENTS - 1,
                "gone": 5,
                "failed": 0,
            }
            # the gone ids are forgotten, record and membership
            assert await ask(publisher, "stale", ids=[]) == {"members": CLIENTS}
        finally:
            await asyncio.gather(*(ws.close() for ws in sockets))

    run(body, timeout=240)


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_failed_shard_is_delivered_again_after_the_visibility_delay() -> None:
    from wsgen.gateway.fanout import LOCAL_VISIBILITY_S, ShardQueue
    from wsgen.sources.events import Where

    clock = Clock()
    queue = ShardQueue(Where("eu-west-1", "123456789012", "news"), clock)
    queue.put(["shard"])
    batch = queue.take()
    assert batch is not None
    queue.settle(batch, {"batchItemFailures": [{"itemIdentifier": "x"}]}, RuntimeError("boom"))
    assert queue.take() is None  # invisible, as SQS keeps it for the visibility timeout
    clock.now += LOCAL_VISIBILITY_S
    again = queue.take()
    assert again is not None
    assert again["Records"][0]["attributes"]["ApproximateReceiveCount"] == "2"


def test_the_consumer_runs_at_most_maximum_concurrency_batches_at_once() -> None:
    from wsgen.gateway.fanout import ShardQueue
    from wsgen.local.fanout import ShardConsumer
    from wsgen.sources.events import Where

    class Invocation:
        def __init__(self) -> None:
            self.result: Any = {"batchItemFailures": []}
            self.error = None

    class Functions:
        """The fan-out function, held until released: how many run at once."""

        def __init__(self) -> None:
            self.running = 0
            self.most = 0
            self.release = asyncio.Event()

        async def invoke(self, name: str, batch: Any) -> Invocation:
            self.running += 1
            self.most = max(self.most, self.running)
            await self.release.wait()
            self.running -= 1
            return Invocation()

    async def scenario() -> tuple[int, int, int]:
        functions = Functions()
        queue = ShardQueue(Where("eu-west-1", "123456789012", "news"))
        consumer = ShardConsumer(queue, lambda: functions)  # type: ignore[arg-type,return-value]
        consumer.maximum_concurrency = 2
        queue.put([f"shard{i}" for i in range(50)])  # 5 batches of 10
        for _ in range(50):
            await asyncio.sleep(0)
        held = functions.running
        functions.release.set()
        while queue.pending:
            await asyncio.sleep(0)
        await consumer.stop()
        return held, functions.most, queue.sent

    assert asyncio.run(scenario()) == (2, 2, 50)


FAN_OUT_APP = """\
from runtime import App

app = App(app_name="fanning"{options})
app.experimental_feature_flags.update(["WEBSOCKETS"])


@app.on_ws_message(reply=True)
def default(event):
    return "ok"
"""


def test_a_reload_turning_fan_out_on_queues_in_the_apis_region(monkeypatch, tmp_path):
    monkeypatch.setenv("AWS_REGION", "eu-west-1")
    source = tmp_path / "fanapp.py"
    source.write_text(FAN_OUT_APP.format(options=""))
    options: dict[str, Any] = {"reload": True, "reload_interval": 0.05}
    with running(tmp_path, "fanapp:app", log=EventLog(quiet=True), **options) as emulator:
        source.write_text(FAN_OUT_APP.format(options=", fan_out=True"))
        for _ in range(200):  # the watcher polls
            if emulator.fan_out_queue is not None:
                break
            time.sleep(0.05)
        queue = emulator.fan_out_queue
        assert queue is not None, "the reload never served the fan_out=True app"
        queue.put(["{}"], delay_s=900)  # not due: the emulator's consumer leaves it
        batch = queue.take(ignore_delays=True)

        async def body() -> None:
            async with websockets.connect(emulator.url) as ws:
                await ws.send("?")
                assert await ws.recv() == "ok"

        run(body)
    assert batch is not None
    (record,) = batch["Records"]
    assert record["awsRegion"] == "eu-west-1"
    assert record["eventSourceARN"].startswith("arn:aws:sqs:eu-west-1:")
