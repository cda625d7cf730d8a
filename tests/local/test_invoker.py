"""The invoker's worker threads: every invocation starts at once, threads are reused, and an
invocation past its limit is answered with the limit's error while its handler runs on."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

from wsgen.gateway.outcomes import Outcome
from wsgen.gateway.timeouts import FunctionTimeoutError, Limit
from wsgen.local.invoker import Invoker

WORKERS = 16


def invoke_all(invoker: Invoker, app: Any, count: int, limit: Limit | None = None) -> list[Outcome]:
    async def body() -> list[Outcome]:
        calls = [invoker.invoke(app, "fn", {"n": n}, limit) for n in range(count)]
        return await asyncio.gather(*calls)

    return asyncio.run(body())


def test_invocations_submitted_together_all_run_at_once():
    """Each handler waits until all of them run: a pool that ran one after another (an awake
    worker taking the next job while the others wait) would break the barrier. The second
    round finds the threads of the first asleep, so each must be woken."""
    invoker = Invoker(WORKERS, "us-east-1", "123456789012")
    for _ in range(2):
        barrier = threading.Barrier(WORKERS, timeout=10)

        def app(event: Any, context: Any, barrier: threading.Barrier = barrier) -> int:
            barrier.wait()
            return int(event["n"])

        outcomes = invoke_all(invoker, app, WORKERS)
        assert [o.error for o in outcomes] == [None] * WORKERS
        assert [o.result for o in outcomes] == list(range(WORKERS))
    assert invoker.threads == WORKERS


def test_more_invocations_than_workers_wait_for_a_free_one():
    """Past `workers` at once, the rest start as earlier ones return: never more at once."""
    lock, running, most = threading.Lock(), [0], [0]
    release = threading.Event()

    def app(event: Any, context: Any) -> None:
        with lock:
            running[0] += 1
            most[0] = max(most[0], running[0])
            if running[0] == 4:
                release.set()
        release.wait(10)
        with lock:
            running[0] -= 1

    outcomes = invoke_all(Invoker(4, "us-east-1", "123456789012"), app, 40)
    assert [o.error for o in outcomes] == [None] * 40
    assert most[0] == 4


def test_one_after_another_invocations_reuse_one_thread():
    invoker = Invoker(WORKERS, "us-east-1", "123456789012")

    async def body() -> list[Any]:
        return [
            (await invoker.invoke(lambda e, c: threading.get_ident(), "fn", {})).result
            for _ in range(50)
        ]

    assert len(set(asyncio.run(body()))) == 1
    assert invoker.threads == 1


def test_past_its_limit_an_invocation_gets_the_limit_error_and_its_handler_runs_on():
    release, returned = threading.Event(), threading.Event()

    def stuck(event: Any, context: Any) -> str:
        release.wait(10)
        returned.set()
        return "late"

    invoker = Invoker(1, "us-east-1", "123456789012")

    async def body() -> tuple[Outcome, Outcome, int]:
        first = await invoker.invoke(stuck, "fn", {}, Limit(0.05, integration=False))
        # The stuck handler no longer counts against the one worker: this one runs.
        second = await invoker.invoke(lambda e, c: "next", "fn", {})
        return first, second, invoker.running

    first, second, running = asyncio.run(body())
    assert isinstance(first.error, FunctionTimeoutError)
    assert second == Outcome(result="next")
    assert running == 1  # the stuck handler's thread runs on
    release.set()
    assert returned.wait(10)


def test_a_handler_that_raises_gives_its_exception_as_the_outcome():
    def app(event: Any, context: Any) -> None:
        raise SystemExit(3)

    (outcome,) = invoke_all(Invoker(2, "us-east-1", "123456789012"), app, 1)
    assert isinstance(outcome.error, SystemExit)
