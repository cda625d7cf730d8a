"""The invoker's worker threads: every invocation starts at once, threads are reused, and an
invocation past its limit is answered with the limit's error while its handler runs on."""

from __future__ import annotations

import asyncio
import io
import threading
import time
from typing import Any

from wsgen.gateway.outcomes import Outcome
from wsgen.gateway.timeouts import FunctionTimeoutError, IntegrationTimeoutError, TimeLimit
from wsgen.local import EventLog
from wsgen.local.invoker import HandlerStopped, Invoker

WORKERS = 16


def invoke_all(
    invoker: Invoker, app: Any, count: int, limit: TimeLimit | None = None
) -> list[Outcome]:
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


def test_past_the_integration_limit_an_invocation_gets_its_error_and_its_handler_runs_on():
    """API Gateway stops waiting at 29 s; Lambda runs the function on to its own timeout."""
    release, returned = threading.Event(), threading.Event()

    def stuck(event: Any, context: Any) -> str:
        release.wait(10)
        returned.set()
        return "late"

    invoker = Invoker(1, "us-east-1", "123456789012")

    async def body() -> tuple[Outcome, Outcome, int]:
        first = await invoker.invoke(stuck, "fn", {}, TimeLimit(0.05, integration=True))
        # The stuck handler no longer counts against the one worker: this one runs.
        second = await invoker.invoke(lambda e, c: "next", "fn", {})
        return first, second, invoker.running

    first, second, running = asyncio.run(body())
    assert isinstance(first.error, IntegrationTimeoutError)
    assert second == Outcome(result="next")
    assert running == 1  # the stuck handler's thread runs on
    release.set()
    assert returned.wait(10)


def test_a_handler_that_raises_gives_its_exception_as_the_outcome():
    def app(event: Any, context: Any) -> None:
        raise SystemExit(3)

    (outcome,) = invoke_all(Invoker(2, "us-east-1", "123456789012"), app, 1)
    assert isinstance(outcome.error, SystemExit)


class FlakyThread(threading.Thread):
    """A thread whose `fail_at`-th start raises, as when the process is out of threads; the
    first one's `run` waits for `gate`, so that jobs can queue before its worker looks."""

    starts = 0
    fail_at = 1
    gate = threading.Event()

    def start(self) -> None:
        FlakyThread.starts += 1
        if FlakyThread.starts == FlakyThread.fail_at:
            raise RuntimeError("can't start new thread")
        super().start()

    def run(self) -> None:
        if FlakyThread.starts == 1:
            FlakyThread.gate.wait(10)
        super().run()


def flaky_threads(monkeypatch: Any, fail_at: int) -> threading.Event:
    monkeypatch.setattr(FlakyThread, "starts", 0)
    monkeypatch.setattr(FlakyThread, "fail_at", fail_at)
    monkeypatch.setattr(FlakyThread, "gate", threading.Event())
    monkeypatch.setattr(threading, "Thread", FlakyThread)
    return FlakyThread.gate


def test_a_worker_that_cannot_start_fails_its_invocation_and_the_next_one_runs(monkeypatch):
    """Without the thread it counted, the invoker would wait for it forever."""
    flaky_threads(monkeypatch, fail_at=1)
    invoker = Invoker(WORKERS, "us-east-1", "123456789012")

    async def body() -> tuple[Outcome, Outcome]:
        first = await asyncio.wait_for(invoker.invoke(lambda e, c: "first", "fn", {}), 10)
        second = await asyncio.wait_for(invoker.invoke(lambda e, c: "second", "fn", {}), 10)
        return first, second

    first, second = asyncio.run(body())
    assert isinstance(first.error, RuntimeError)
    assert str(first.error) == "can't start new thread"
    assert second == Outcome(result="second")
    assert invoker.threads == 1


def test_a_worker_whose_successor_cannot_start_still_runs_its_own_invocation(monkeypatch):
    """The first worker takes one of two queued jobs and starts a second worker for the
    other, which fails: its own job runs, the other is failed, and later ones run."""
    gate = flaky_threads(monkeypatch, fail_at=2)
    invoker = Invoker(WORKERS, "us-east-1", "123456789012")

    async def body() -> tuple[list[Outcome], Outcome]:
        calls = [
            asyncio.ensure_future(invoker.invoke(lambda e, c: "taken", "fn", {})),
            asyncio.ensure_future(invoker.invoke(lambda e, c: "other", "fn", {})),
        ]
        for _ in range(3):  # both queued (before or after the first worker is started)
            await asyncio.sleep(0)
        gate.set()
        both = await asyncio.wait_for(asyncio.gather(*calls), 10)
        later = await asyncio.wait_for(invoker.invoke(lambda e, c: "later", "fn", {}), 10)
        return both, later

    (taken, other), later = asyncio.run(body())
    assert taken == Outcome(result="taken")
    assert isinstance(other.error, RuntimeError)
    assert later == Outcome(result="later")
    assert invoker.threads == 1


def test_submit_calls_back_on_the_event_loop_once_it_has_returned():
    invoker = Invoker(2, "us-east-1", "123456789012")

    async def body() -> tuple[list[Outcome], list[Outcome], int]:
        loop, got = asyncio.get_running_loop(), []
        done = loop.create_future()

        def then(outcome: Outcome) -> None:
            got.append(outcome)
            done.set_result(threading.get_ident())

        invoker.submit(lambda e, c: e["n"] * 2, "fn", {"n": 21}, None, then)
        before = list(got)
        return before, got, await asyncio.wait_for(done, 10)

    before, after, thread = asyncio.run(body())
    assert before == []  # never from within submit()
    assert after == [Outcome(result=42)]
    assert thread == threading.get_ident()  # on the loop's thread, not a worker's


def test_an_abandoned_invocation_gives_its_place_to_a_waiting_one_and_gets_no_outcome():
    release = threading.Event()

    def stuck(event: Any, context: Any) -> str:
        release.wait(10)
        return "late"

    invoker = Invoker(1, "us-east-1", "123456789012")

    async def body() -> tuple[list[Outcome], Outcome, int]:
        loop, first = asyncio.get_running_loop(), []
        second = loop.create_future()
        ticket = invoker.submit(stuck, "fn", {}, None, first.append)
        invoker.submit(lambda e, c: "second", "fn", {}, None, second.set_result)
        await asyncio.sleep(0.2)
        assert not second.done()  # the one worker's place is taken
        invoker.abandon(ticket)
        return first, await asyncio.wait_for(second, 10), invoker.running

    first, second, running = asyncio.run(body())
    assert second == Outcome(result="second")
    assert running == 1  # the abandoned handler runs on
    release.set()
    for _ in range(500):
        if not invoker.running:
            break
        threading.Event().wait(0.01)
    assert first == []  # its outcome was dropped


def test_invocations_of_one_limit_each_get_their_own_outcome_or_its_error():
    """They share one line and timer: the quick ones between stuck ones are answered at
    once, each stuck one gets the limit's error, and a later one is timed afresh."""
    release = threading.Event()

    def app(event: Any, context: Any) -> int:
        if event["stuck"]:
            release.wait(10)
        return int(event["n"])

    invoker = Invoker(8, "us-east-1", "123456789012")
    limit = TimeLimit(0.2, integration=False)

    async def body() -> tuple[list[Outcome], Outcome]:
        calls = [invoker.invoke(app, "fn", {"n": n, "stuck": n % 2 == 0}, limit) for n in range(6)]
        first = await asyncio.gather(*calls)
        later = await invoker.invoke(app, "fn", {"n": 9, "stuck": False}, limit)
        return first, later

    try:
        outcomes, later = asyncio.run(body())
    finally:
        release.set()
    for n, outcome in enumerate(outcomes):
        if n % 2 == 0:
            assert isinstance(outcome.error, FunctionTimeoutError)
        else:
            assert outcome == Outcome(result=n)
    assert later == Outcome(result=9)


def test_a_limit_counts_from_when_the_handler_starts_not_from_the_hand_over():
    """The event loop is busy past the limit right after submitting, so the handler starts
    late: Lambda counts a function's time from its handler's start, and the emulator's own
    hand-over to a thread is no time of the function's."""
    started = threading.Event()

    def app(event: Any, context: Any) -> str:
        started.set()
        return "done"

    invoker = Invoker(1, "us-east-1", "123456789012")
    limit = TimeLimit(0.5, integration=False)

    async def body() -> tuple[bool, Outcome]:
        loop = asyncio.get_running_loop()
        outcome: asyncio.Future[Outcome] = loop.create_future()
        invoker.submit(app, "fn", {}, limit, outcome.set_result)
        time.sleep(1.0)  # the loop busy: no worker is woken until it turns
        handed_over = started.is_set()
        return handed_over, await asyncio.wait_for(outcome, 10)

    handed_over, outcome = asyncio.run(body())
    assert not handed_over  # the handler started only after the limit's time had passed
    assert outcome == Outcome(result="done")


def test_a_handler_past_its_limit_counted_from_its_start_gets_the_limit_error():
    """The same late start, and the handler then runs past the limit: the limit's error."""
    release = threading.Event()

    def app(event: Any, context: Any) -> str:
        release.wait(10)
        return "late"

    invoker = Invoker(1, "us-east-1", "123456789012")

    async def body() -> Outcome:
        loop = asyncio.get_running_loop()
        outcome: asyncio.Future[Outcome] = loop.create_future()
        invoker.submit(app, "fn", {}, TimeLimit(0.2, integration=False), outcome.set_result)
        time.sleep(0.4)
        return await asyncio.wait_for(outcome, 10)

    try:
        outcome = asyncio.run(body())
    finally:
        release.set()
    assert isinstance(outcome.error, FunctionTimeoutError)


def test_past_its_function_timeout_a_handler_is_stopped_before_it_acts_again():
    """Lambda stops the function at its timeout: what the handler does after it never runs
    (the call blocked in C, the wait here, returns first), the log says where it stopped,
    and the worker thread serves the next invocation."""
    release, acted, caught = threading.Event(), threading.Event(), []
    stream = io.StringIO()
    log = EventLog(stream)

    def slow(event: Any, context: Any) -> str:
        try:
            release.wait(10)
            acted.set()  # the send() that must not happen
        except Exception as exc:  # a handler's own `except Exception` does not go on
            caught.append(exc)
        return "late"

    invoker = Invoker(1, "us-east-1", "123456789012", log)

    async def body() -> tuple[Outcome, int]:
        first = await invoker.invoke(slow, "fn", {}, TimeLimit(0.05, integration=False))
        release.set()
        while invoker.running:  # the stopped handler's thread ends its call
            await asyncio.sleep(0.01)
        return first, invoker.threads

    first, threads = asyncio.run(body())
    assert isinstance(first.error, FunctionTimeoutError)
    assert not acted.is_set() and caught == []
    assert threads == 1  # the same worker, back in the pool
    assert "fn was stopped at its timeout, in test_invoker.py:" in stream.getvalue()
    again = asyncio.run(
        invoker.invoke(lambda e, c: "next", "fn", {}, TimeLimit(5, integration=False))
    )
    assert again == Outcome(result="next")


def test_a_handler_that_returns_as_its_timeout_passes_is_never_stopped_afterwards(monkeypatch):
    """However the return and the stop interleave, the stop never lands in the worker's own
    code (no worker thread dies of it): every invocation gets its own outcome or the error."""
    died: list[BaseException | None] = []
    monkeypatch.setattr(threading, "excepthook", lambda args: died.append(args.exc_value))

    def quick(event: Any, context: Any) -> int:
        return int(event["n"])

    invoker = Invoker(1, "us-east-1", "123456789012")
    limit = TimeLimit(0.0, integration=False)  # due at once: it races each handler's return

    async def body() -> tuple[list[Outcome], Outcome]:
        outcomes = [await invoker.invoke(quick, "fn", {"n": n}, limit) for n in range(200)]
        while invoker.running:  # the stopped ones end
            await asyncio.sleep(0.01)
        return outcomes, await invoker.invoke(quick, "fn", {"n": 7})

    outcomes, after = asyncio.run(body())
    for n, outcome in enumerate(outcomes):
        assert isinstance(outcome.error, FunctionTimeoutError) or outcome == Outcome(result=n)
    assert after == Outcome(result=7)
    assert died == []
    assert not isinstance(HandlerStopped(), Exception)  # a handler's `except Exception` ends
