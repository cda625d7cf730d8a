"""Run an emulator on a background thread: for tests, benchmarks and notebooks."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from ..loader import DEFAULT_APP
from .server import STOP_TIMEOUT_S, Emulator


@contextmanager
def running(app_dir: Any = ".", app_ref: str = DEFAULT_APP, **options: Any) -> Iterator[Emulator]:
    """An emulator serving on its own thread and event loop until the block ends.

    Takes `Emulator`'s arguments; `port=0` (the default here) picks a free port, read it
    from `emulator.port` / `emulator.url`. Leaving the block stops it as Ctrl-C would.
    """
    options.setdefault("port", 0)
    emulator = Emulator(app_dir, app_ref, **options)
    loop = asyncio.new_event_loop()
    started: list[BaseException | None] = []
    ready = threading.Event()

    def serve() -> None:
        asyncio.set_event_loop(loop)
        try:
            loop.run_until_complete(emulator.start())
        except BaseException as exc:
            started.append(exc)
            ready.set()
            return
        started.append(None)
        ready.set()
        loop.run_forever()

    thread = threading.Thread(target=serve, name="wsgen-local", daemon=True)
    thread.start()
    ready.wait()
    if started[0] is not None:
        thread.join()
        loop.close()
        raise started[0]
    try:
        yield emulator
    finally:
        future = asyncio.run_coroutine_threadsafe(emulator.stop(), loop)
        try:
            future.result(timeout=STOP_TIMEOUT_S * 3)
        finally:
            loop.call_soon_threadsafe(loop.stop)
            thread.join(timeout=STOP_TIMEOUT_S)
            if not thread.is_alive():
                loop.close()
