"""Per-event dispatch: µs per event through the entry point, wsgen vs Chalice vs bare call."""

from __future__ import annotations

import importlib.util
import json
import os
import timeit
from types import ModuleType
from typing import Any

from .harness import APPS, EVENTS, Row, alternate, us


def _load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"bench_{name}", APPS / name / "app.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _event(name: str) -> dict[str, Any]:
    return json.loads((EVENTS / name).read_text())


def _per_call(call: Any, number: int) -> float:
    return timeit.timeit(call, number=number) / number


def run(rounds: int, number: int = 20_000) -> list[Row]:
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")  # Chalice resolves its endpoint
    wsgen, chalice = _load("wsgen_noop"), _load("chalice_noop")

    def bare(event: Any) -> None:
        return None

    rows = []
    for label, fixture, chalice_handler in (
        ("MESSAGE", "message_default.json", chalice.message),
        ("CONNECT", "connect.json", chalice.connect),
    ):
        event = _event(fixture)
        medians = alternate(
            {
                "bare": lambda e=event: _per_call(lambda: bare(e), number),
                "wsgen": lambda e=event: _per_call(lambda: wsgen.app(e, None), number),
                "chalice": lambda e=event, h=chalice_handler: _per_call(lambda: h(e, None), number),
            },
            rounds,
        )
        ratio = medians["wsgen"] / medians["chalice"]
        rows.append(
            Row(
                f"dispatch of one {label} event",
                f"wsgen {us(medians['wsgen'])}, Chalice {us(medians['chalice'])} "
                f"(ratio {ratio:.2f}); bare function call {us(medians['bare'])}",
                "≤ 0.5 of Chalice's",
                ratio <= 0.5,
            )
        )
    return rows
