"""Sending one message to many connections: `broadcast()`'s posts, and what they did;
`fan_out()`'s choice between them and shards; and the retries of a 410 while a connection
may be opening (`@app.on_ws_connected`).

Apart from `runtime.management` so that an app that only `send()`s does not load it
(cold-start time); `WebsocketAPI.broadcast()` resolves the client and the pool, then hands
the posts here, and `WebsocketAPI.fan_out()` its audience once its message fits.
"""

from __future__ import annotations

from _thread import allocate_lock  # threading.Lock itself; `threading` costs cold-start time

from .common_errors import WebsocketDisconnectedError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Iterable
    from concurrent.futures import Executor
    from typing import Protocol

    class Poster(Protocol):
        """What posts a message to one connection (`WebsocketAPI`'s clients)."""

        def post(self, connection_id: str, message: str | bytes) -> None: ...

    class Audience(Protocol):
        """What `fan_out` reads of the app's `WebsocketAPI` (its import would be a cycle)."""

        on_shards: Callable[[list[str], int], dict[int, Exception]] | None
        on_enqueued: Callable[[str, int], None] | None

        @property
        def threshold(self) -> int: ...

        def fan_out_off(self, what: str) -> Exception: ...

        def broadcast(
            self, connection_ids: Iterable[str], message: str | bytes
        ) -> BroadcastResult: ...


OPENING_RETRY_DELAYS = (0.05, 0.1, 0.2, 0.4, 0.8)
"""Seconds between the attempts of a send to a connection whose handshake may not be
finished (`@app.on_ws_connected`): 1.55 s in all, then its 410 stands."""


class BroadcastResult:
    """What a send to many did: ids delivered, ids gone (410), ids that failed otherwise,
    and how many were handed to shards (`fan_out()`), which send them after it returned."""

    __slots__ = ("delivered", "enqueued", "failed", "fan_out_id", "gone")

    def __init__(self) -> None:
        self.delivered: list[str] = []
        self.gone: list[str] = []
        self.failed: dict[str, Exception] = {}
        self.enqueued = 0
        """Ids handed to the fan-out's shards (0 when this invocation sent to every id)."""
        self.fan_out_id: str | None = None
        """The id of the fan-out whose shards got them: its log lines and counters
        (`app.connections.fan_out_status`). None when nothing was enqueued."""

    def __repr__(self) -> str:
        shards = f", enqueued={self.enqueued}" if self.fan_out_id is not None else ""
        return (
            f"BroadcastResult(delivered={len(self.delivered)}, gone={self.gone!r}, "
            f"failed={list(self.failed)!r}{shards})"
        )


def post_all(
    calls: Poster,
    pool: Executor,
    ids: list[str],
    message: str | bytes,
    workers: int,
    opening: set[str],
) -> BroadcastResult:
    """Post `message` to each of `ids` (distinct) with `workers` jobs on `pool`.

    A 410 from an id in `opening` (a handshake maybe not finished) is retried as `send()`
    retries it. Never raises for a post: each id is delivered, gone or failed.
    """
    # `workers` jobs, each posting the next id not taken yet until none is left: a pool
    # submit per job rather than per id (a Future, a queue hop and a wake-up each).
    outcomes: list[Exception | None] = [None] * len(ids)
    indices = iter(range(len(ids)))
    taking = allocate_lock()

    def work() -> None:
        while True:
            with taking:
                index = next(indices, None)
            if index is None:
                return
            try:
                calls.post(ids[index], message)
            except Exception as exc:
                outcomes[index] = exc

    for job in [pool.submit(work) for _ in range(workers)]:
        job.result()
    if opening:
        for index, connection_id in enumerate(ids):
            outcome = outcomes[index]
            if isinstance(outcome, WebsocketDisconnectedError) and connection_id in opening:
                try:
                    if post_opening(calls, connection_id, message):
                        outcomes[index] = None
                except Exception as exc:
                    outcomes[index] = exc
    result = BroadcastResult()
    for connection_id, outcome in zip(ids, outcomes, strict=True):
        if outcome is None:
            result.delivered.append(connection_id)
        elif isinstance(outcome, WebsocketDisconnectedError):
            result.gone.append(connection_id)
        else:
            result.failed[connection_id] = outcome
    return result


def post_opening(calls: Poster, connection_id: str, message: str | bytes) -> bool:
    """Retry a post that got 410 while the handshake may be finishing; False if it stays 410."""
    import time

    for delay in OPENING_RETRY_DELAYS:
        time.sleep(delay)
        try:
            calls.post(connection_id, message)
        except WebsocketDisconnectedError:
            continue
        return True
    return False


class Opening:
    """`WebsocketAPI.opening`'s block: while it is open, a 410 from `connection_id` is
    retried (`post_opening`). A class of its own: `contextlib` would cost cold-start time."""

    __slots__ = ("connection_id", "ids")

    def __init__(self, ids: set[str], connection_id: str) -> None:
        self.ids = ids
        self.connection_id = connection_id

    def __enter__(self) -> None:
        self.ids.add(self.connection_id)

    def __exit__(self, *exc_info: object) -> None:
        self.ids.discard(self.connection_id)


def fan_out(
    api: Audience, connection_ids: Iterable[str], message: str | bytes, group: str | None
) -> BroadcastResult:
    """`WebsocketAPI.fan_out` once `message` fits: `api.broadcast()` up to `api.threshold`
    ids, else shards through `api.on_shards` (`runtime.fanout.enqueue`), whose counters
    `api.on_enqueued` starts.

    Raises:
        FanOutNotEnabledError: the app was created without `fan_out=True`.
    """
    if api.on_shards is None:
        raise api.fan_out_off("app.websocket_api.fan_out()")
    ids = list(dict.fromkeys(connection_ids))
    if len(ids) <= api.threshold:
        return api.broadcast(ids, message)
    from .fanout import enqueue

    result = enqueue(api.on_shards, ids, message, BroadcastResult(), group)
    if result.enqueued and api.on_enqueued is not None and result.fan_out_id is not None:
        try:
            api.on_enqueued(result.fan_out_id, result.enqueued)
        except Exception as exc:  # the shards are queued: said, not raised
            import logging

            logging.getLogger("runtime").warning(
                "could not start the counters of fan-out %s: %s: %s",
                result.fan_out_id,
                type(exc).__name__,
                exc,
            )
    return result


def threshold_from_env(default: int) -> int:
    """`WSGEN_FAN_OUT_THRESHOLD`, else `default` (a value that is no whole number is
    logged, then `default`: a typo must not stop every send)."""
    import os

    from .contract import FAN_OUT_THRESHOLD_ENV

    from_env = os.environ.get(FAN_OUT_THRESHOLD_ENV)
    if from_env:
        try:
            return int(from_env)
        except ValueError:
            import logging

            logging.getLogger("runtime").warning(
                "%s=%r is not a whole number; using %d", FAN_OUT_THRESHOLD_ENV, from_env, default
            )
    return default
