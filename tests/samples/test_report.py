"""The report sample: a task streaming progress, in memory and under wsgen local."""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Callable
from types import ModuleType
from typing import Any

import pytest
import websockets

from tests.support.paths import SAMPLES
from wsgen.local import EventLog, running
from wsgen.testing import Client

EXPECTED = [
    {"started": "sales"},
    *({"progress": step, "of": 10} for step in range(1, 11)),
    {"result": "sales: 10 sections"},
]


def test_the_reply_comes_first_then_every_step_then_the_result(
    load_sample: Callable[[str], ModuleType], monkeypatch: pytest.MonkeyPatch
) -> None:
    sample = load_sample("report")
    monkeypatch.setattr(sample, "STEP_SECONDS", 0)
    with Client(sample.app) as client, client.connect() as ws:
        ws.send_json({"action": "report", "topic": "sales"})
        assert [json.loads(ws.receive_text()) for _ in EXPECTED] == EXPECTED
        assert [name for name, _ in client.invocations] == ["build_report"]


@pytest.mark.slow  # the emulator, real sockets
def test_under_wsgen_local_it_streams_past_the_integration_timeout(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("REPORT_STEP_SECONDS", "0.05")  # 0.5 s in all, against 0.2 s
    monkeypatch.delitem(sys.modules, "app", raising=False)  # imported anew, reading it

    async def ask(url: str) -> list[Any]:
        async with websockets.connect(url) as ws:
            await ws.send(json.dumps({"action": "report", "topic": "sales"}))
            return [json.loads(await asyncio.wait_for(ws.recv(), 20)) for _ in EXPECTED]

    with running(
        SAMPLES / "report", "app:app", log=EventLog(quiet=True), integration_timeout=0.2
    ) as emulator:
        assert asyncio.run(ask(emulator.url)) == EXPECTED
