"""Fan-out at scale, simulated in memory: 100,000 connections, shards vs one `broadcast()`.

Both paths run the runtime's real code (`broadcast()`'s pool, `fan_out()`'s sharding, the
fan-out function's `consume`) against a modelled `@connections`: every post costs a fixed
CPU time (busy, holding the GIL, as signing and HTTP do) and then 20 ms of latency. The
shards go through wsgen's in-process queue (`wsgen.gateway.fanout.ShardQueue`, ten a batch,
as the event source mapping), each `SendMessageBatch` modelled as 20 ms.

Lambda runs the fan-out function's invocations side by side, each with its own CPU; one
process cannot, so each invocation is timed alone and the wall time is the schedule of those
durations on `POLLER_START` concurrent batches (where Lambda's SQS poller starts), bounded
below by API Gateway's 10,000 requests a second (docs/aws-facts.md#fan-out).
"""

from __future__ import annotations

import contextlib
import heapq
import io
import threading
import time
from collections import Counter
from typing import Any

from .harness import Row

CONNECTIONS = 100_000
LATENCY_S = 0.020
"""Modelled round trip of one post (API Gateway in the region)."""
CPU_S = 0.0001
"""Modelled CPU of one post: 0.1 ms."""
SQS_BATCH_S = 0.020
"""Modelled round trip of one SendMessageBatch."""
POLLER_START = 5
"""Concurrent batches an SQS event source mapping starts with."""
ACCOUNT_RATE = 10_000
"""API Gateway's requests a second per account and region."""


class _GoneError(Exception):
    pass


class _Exceptions:
    GoneException = _GoneError


class ModelledGateway:
    """A boto3-shaped `@connections` client with the modelled cost per post."""

    exceptions = _Exceptions

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.posts: Counter[str] = Counter()

    def post_to_connection(self, *, ConnectionId: str, Data: Any) -> dict[str, Any]:  # noqa: N803
        end = time.perf_counter() + CPU_S
        while time.perf_counter() < end:
            pass
        time.sleep(LATENCY_S)
        with self.lock:
            self.posts[ConnectionId] += 1
        return {}


def makespan(durations: list[float], workers: int) -> float:
    """Seconds until the last of `durations` ends, run in order on `workers` at a time."""
    ends = [0.0] * workers
    for duration in durations:
        heapq.heappush(ends, heapq.heappop(ends) + duration)
    return max(ends)


def run(rounds: int, smoke: bool = False) -> list[Row]:
    from runtime import App
    from runtime.contract import FAN_OUT_FUNCTION
    from runtime.fanout import batches
    from wsgen.gateway.background import HeldBackground
    from wsgen.gateway.fanout import ShardQueue
    from wsgen.sources.events import Where

    connections = 2_000 if smoke else CONNECTIONS
    ids = [f"{i:015d}=" for i in range(connections)]
    message = '{"news": "' + "x" * 200 + '"}'
    app = App("bench", fan_out=True)
    gateway = ModelledGateway()
    app.websocket_api.use_client(gateway)
    queue = ShardQueue(Where("us-east-1", "123456789012", "bench"))
    requests = [0]

    def to_queue(bodies: list[str], delay_s: int) -> dict[int, Exception]:
        calls = len(batches(bodies))
        requests[0] += calls
        time.sleep(SQS_BATCH_S * calls)
        return queue.put(bodies, delay_s)

    app.use_background(HeldBackground(on_shards=to_queue))

    start = time.perf_counter()
    single = app.websocket_api.broadcast(ids, message)
    single_s = time.perf_counter() - start
    single_once = len(single.delivered) == connections and set(gateway.posts.values()) == {1}
    gateway.posts.clear()

    start = time.perf_counter()
    result = app.websocket_api.fan_out(ids, message)
    caller_s = time.perf_counter() - start
    handler = app.function_handler(FAN_OUT_FUNCTION)
    durations = []
    while (batch := queue.take(ignore_delays=True)) is not None:
        began = time.perf_counter()
        with contextlib.redirect_stdout(io.StringIO()):  # its log line per shard
            answer = handler(batch, None)
        durations.append(time.perf_counter() - began)
        queue.settle(batch, answer, None)
    once = (
        single_once
        and result.enqueued == connections
        and len(gateway.posts) == connections
        and set(gateway.posts.values()) == {1}
        and not queue.dead_letters
    )
    shards_s = makespan(durations, POLLER_START)
    floor_s = connections / ACCOUNT_RATE
    wall_s = caller_s + max(shards_s, floor_s)
    invocations = len(durations)
    return [
        Row(
            f"fan-out to {connections:,} connections in memory, {LATENCY_S * 1000:.0f} ms "
            f"and {CPU_S * 1000:.1f} ms CPU per post",
            f"shards: the caller returns in {caller_s:.2f} s ({queue.sent} shards in "
            f"{requests[0]} SendMessageBatch), then {invocations} invocations of "
            f"{min(durations):.2f}-{max(durations):.2f} s: {wall_s:.1f} s at "
            f"{POLLER_START} concurrent batches (API Gateway's {ACCOUNT_RATE:,}/s floor: "
            f"{floor_s:.0f} s); one invocation's `broadcast()`: {single_s:.1f} s; "
            f"each post exactly once: {'yes' if once else '**no**'}",
            "caller ≤ 1 s; fan-out wall time below one broadcast's; each post exactly once",
            caller_s <= 1.0 and wall_s < single_s and once,
        )
    ]
