"""The process's limits while the emulator serves: the open-file limit, and the collector's.

The open-file limit is raised at start, and running out of it said once.

Every WebSocket client holds a file descriptor, and many systems start processes with a soft
limit of 1,024. `wsgen local` raises the soft limit to the hard one when it starts, and when
even that runs out, asyncio's accept loop reports "out of system resource" once a second for
as long as it lasts: the emulator logs that once per run, keeps serving the connections it has, and
accepts new ones again as soon as descriptors are free (asyncio retries by itself).

The cyclic garbage collector's first threshold is raised while it serves (`raise_gc_threshold`),
for the whole process: until the last emulator serving in it stops.
"""

from __future__ import annotations

import asyncio
import errno
import gc
import threading
from collections.abc import Callable
from typing import Any

_EXHAUSTED = (errno.EMFILE, errno.ENFILE)


GC_YOUNG_THRESHOLD = 20_000
"""The collector's first threshold while the emulator serves (Python's default is 700).

Every message in flight keeps young objects alive (its Lambda event's dicts, its invocation's
state): with a few hundred clients, thousands of them. A young-generation collection
examines every one, and at 700 one ran every hundred messages or so: at 200 clients, a fifth
of the emulator's CPU per message. Reference cycles still get
collected: the garbage they leave counts toward this threshold until it is reached.
"""


_gc_lock = threading.Lock()
_gc_holders = 0
"""How many `raise_gc_threshold` callers have not put it back yet (emulators serving in this
process: `wsgen.local.running()` can run several, on their own threads)."""
_gc_before: tuple[int, int, int] | None = None
"""The threshold the first of them found, when it raised it."""


def raise_gc_threshold() -> Callable[[], None]:
    """Raise the collector's first threshold to `GC_YOUNG_THRESHOLD`; what puts it back.

    The threshold is the process's: the first caller raises it, and it is put back when the
    last one calls its `restore` (each counts once). A threshold already as high, or 0
    (automatic collection disabled), is left alone, as is one changed meanwhile.
    """
    global _gc_holders, _gc_before
    with _gc_lock:
        if _gc_holders == 0:
            before = gc.get_threshold()
            _gc_before = None
            if 0 < before[0] < GC_YOUNG_THRESHOLD:
                gc.set_threshold(GC_YOUNG_THRESHOLD, *before[1:])
                _gc_before = before
        _gc_holders += 1
    restored = False

    def restore() -> None:
        global _gc_holders, _gc_before
        nonlocal restored
        with _gc_lock:
            if restored:
                return
            restored = True
            _gc_holders -= 1
            if _gc_holders == 0 and _gc_before is not None:
                if gc.get_threshold()[0] == GC_YOUNG_THRESHOLD:  # nobody changed it since
                    gc.set_threshold(*_gc_before)
                _gc_before = None

    return restore


def raise_open_file_limit() -> str | None:
    """Raise the soft open-file limit to the hard one; a notice when it changed."""
    try:
        import resource
    except ImportError:  # pragma: no cover - not on Windows
        return None
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY:
        hard = 1 << 20  # what Linux allows at most (fs.nr_open's default)
    if soft != resource.RLIM_INFINITY and soft < hard:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
        except (ValueError, OSError):
            return None
        return f"wsgen local: raised the open-file limit from {soft} to {hard}"
    return None


class ExhaustionReport:
    """An event-loop exception handler that logs running out of descriptors once per run
    (asyncio repeats it every second while it lasts); other exceptions go to the loop's
    default handler."""

    def __init__(self, log: Callable[[str], None]) -> None:
        self.log = log
        self.reported = False

    def __call__(self, loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        exc = context.get("exception")
        if isinstance(exc, OSError) and exc.errno in _EXHAUSTED:
            if not self.reported:
                self.reported = True
                self.log(
                    f"wsgen local: out of file descriptors (open-file limit {_soft_limit()}): "
                    "new connections wait until some close; raise it with ulimit -n"
                )
            return
        loop.default_exception_handler(context)


def _soft_limit() -> str:
    try:
        import resource
    except ImportError:  # pragma: no cover
        return "unknown"
    return str(resource.getrlimit(resource.RLIMIT_NOFILE)[0])
