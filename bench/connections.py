"""Tracked connections (`connections=True`): what tracking adds per event, in memory and
against a local DynamoDB server, and `groups.send()` against a plain `broadcast()`.

- In memory: the entry point's µs per MESSAGE, and per `$connect` + `$disconnect` pair, of
  wsgen_noop's handlers with and without tracking (the in-memory store `wsgen local` and
  the test client use by default).
- Against DynamoDB: the same pair on moto's server (its own process, over loopback, the
  runtime signing its requests as in Lambda), with the requests a pair makes, counted.
- `groups.send()` to 1,000 members of `wsgen local` (20 ms per `@connections` call, as in
  the broadcast row) against `broadcast()` of the same ids, which the app kept itself.
"""

from __future__ import annotations

import os
from typing import Any

from .broadcast import DELAY_MS
from .clients import deliveries
from .dispatch import _event, _load, _per_call
from .harness import APPS, Row, alternate, ms, us
from .servers import raise_fd_limit, server

MEMBERS = 1000
PAIRS = 50
"""`$connect` + `$disconnect` pairs per DynamoDB sample (each is 4 round trips to moto)."""


def _pair(app: Any, connect: dict[str, Any], disconnect: dict[str, Any]) -> None:
    app(connect, None)
    app(disconnect, None)


def _in_memory(rounds: int, number: int) -> list[Row]:
    from runtime.store import MemoryStore

    plain, tracked = _load("wsgen_noop"), _load("wsgen_tracked")
    tracked.app.connections.use_store(MemoryStore())
    message, connect, disconnect = (
        _event(name) for name in ("message_default.json", "connect.json", "disconnect_1001.json")
    )
    medians = alternate(
        {
            "message": lambda: _per_call(lambda: plain.app(message, None), number),
            "tracked message": lambda: _per_call(lambda: tracked.app(message, None), number),
            "pair": lambda: _per_call(lambda: _pair(plain.app, connect, disconnect), number),
            "tracked pair": lambda: _per_call(
                lambda: _pair(tracked.app, connect, disconnect), number
            ),
        },
        rounds,
    )
    added_message = medians["tracked message"] - medians["message"]
    added_pair = medians["tracked pair"] - medians["pair"]
    return [
        Row(
            "what tracking (`connections=True`) adds per event, in memory",
            f"MESSAGE {us(medians['tracked message'])} vs {us(medians['message'])} untracked "
            f"(+{us(added_message)}); `$connect` + `$disconnect` {us(medians['tracked pair'])} "
            f"vs {us(medians['pair'])} (+{us(added_pair)}: the record stored and deleted)",
            "informational",
            None,
        )
    ]


def _against_dynamodb(rounds: int, pairs: int) -> list[Row]:
    from runtime.dynamodb import DynamoDBStore, default_call
    from wsgen.connections import LOCAL_REGION, dynamodb_client, ensure_table

    with server("dynamodb") as (endpoint, _):
        for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
            os.environ.setdefault(name, "wsgen-bench")  # the runtime signs, as in Lambda
        ensure_table(dynamodb_client(endpoint, LOCAL_REGION), "bench-connections")
        call = default_call(endpoint, LOCAL_REGION)
        requests: list[str] = []

        def counted(operation: str, payload: dict[str, Any]) -> dict[str, Any]:
            requests.append(operation)
            return call(operation, payload)

        tracked = _load("wsgen_tracked")
        tracked.app.connections.use_store(DynamoDBStore("bench-connections", counted))
        connect, disconnect = _event("connect.json"), _event("disconnect_1001.json")
        _pair(tracked.app, connect, disconnect)  # untimed: the first opens the connection
        per_pair = len(requests)
        medians = alternate(
            {"pair": lambda: _per_call(lambda: _pair(tracked.app, connect, disconnect), pairs)},
            rounds,
        )
    return [
        Row(
            "`$connect` + `$disconnect` of a tracked app against moto's DynamoDB server "
            "(loopback, its own process)",
            f"{ms(medians['pair'])} a pair: {per_pair} requests "
            f"({', '.join(requests[:per_pair])}), {ms(medians['pair'] / per_pair)} each",
            "informational",
            None,
        )
    ]


def _groups_send(rounds: int, members: int) -> list[Row]:
    raise_fd_limit()
    rounds = min(rounds, 5)
    with server("emulator", str(APPS / "wsgen_groups"), str(DELAY_MS)) as (url, _):
        medians, once = deliveries(
            url,
            f"{url}?join=all",
            members,
            # Untimed: the first broadcast opens the management connections, starts the pool.
            warm=[("broadcast", members), ("groupsend", members)],
            timed={"groups.send": ("groupsend", members), "broadcast": ("broadcast", members)},
            rounds=rounds,
        )
    ratio = medians["groups.send"] / medians["broadcast"]
    return [
        Row(
            f"`groups.send()` to {members:,} members of `wsgen local`, {DELAY_MS} ms per call",
            f"`groups.send()` {ms(medians['groups.send'])}, `broadcast()` of the same ids "
            f"{ms(medians['broadcast'])} (ratio {ratio:.2f}); every message delivered exactly "
            f"once: {'yes' if once else '**no**'}",
            "informational; each message exactly once",
            None if once else False,
        )
    ]


def run(rounds: int, smoke: bool = False) -> list[Row]:
    number, pairs, members = (10, 2, 20) if smoke else (20_000, PAIRS, MEMBERS)
    rows = _in_memory(rounds, number)
    rows += _against_dynamodb(min(rounds, 5), pairs)
    rows += _groups_send(rounds, members)
    return rows
