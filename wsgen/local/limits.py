"""The process's open-file limit: raised at start, and running out of it said once.

Every WebSocket client holds a file descriptor, and many systems start processes with a soft
limit of 1,024. `wsgen local` raises the soft limit to the hard one when it starts, and when
even that runs out, asyncio's accept loop reports "out of system resource" once a second for
as long as it lasts: the emulator logs that once per run, keeps serving the connections it has, and
accepts new ones again as soon as descriptors are free (asyncio retries by itself).
"""

from __future__ import annotations

import asyncio
import errno
from collections.abc import Callable
from typing import Any

_EXHAUSTED = (errno.EMFILE, errno.ENFILE)


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
