"""The emulator's console: one line per event (time, route, connection id, outcome, duration),
what else happens while it serves timed the same way (`stamped`: a reload), and notices."""

from __future__ import annotations

import logging
import os
import sys
import threading
import time
import traceback
from pathlib import Path
from types import TracebackType
from typing import TextIO

import runtime

_INTERNAL = tuple(str(Path(p)) + os.sep for p in (runtime.__path__[0], Path(__file__).parents[1]))
"""The directories of wsgen's own frames (runtime/ and wsgen/), left out of tracebacks."""


class EventLog:
    """Writes event lines and notices; `quiet` keeps only errors (for tests and benchmarks)."""

    def __init__(self, stream: TextIO | None = None, quiet: bool = False) -> None:
        self._stream = stream
        self.quiet = quiet
        self._lock = threading.Lock()

    def _write(self, line: str) -> None:
        stream = self._stream or sys.stdout
        with self._lock:
            print(line, file=stream, flush=True)

    def event(self, route: str, connection_id: str, outcome: str, started: float) -> None:
        """Log one event; `started` is the `time.perf_counter()` when it began."""
        if self.quiet:
            return
        duration = (time.perf_counter() - started) * 1000
        self._write(f"{_stamp()}  {route:<12} {connection_id}  {outcome}  ({duration:.1f} ms)")

    def stamped(self, what: str, message: str, *, error: bool = False) -> None:
        """A line of something the emulator did while serving that is no event (`(reload)`):
        its time and `what` in the event lines' columns, then `message`; a notice (`info`),
        or with `error` an error line."""
        line = f"{_stamp()}  {what:<12} {message}"
        if error:
            self.error(line)
        else:
            self.info(line)

    def info(self, message: str) -> None:
        if not self.quiet:
            self._write(message)

    def error(self, message: str) -> None:
        self._write(message)

    def failure(self, error: BaseException) -> None:
        """The traceback of an invocation that raised, as Lambda writes it to CloudWatch.

        The frames of wsgen's emulator and runtime before the app's first frame are left
        out: what remains starts in the app's code. A `HandlerResultError` (a handler
        returned what cannot be used) gets none: its event's line names the handler, its
        file and line and the fix, and its traceback holds only the runtime's frames.
        """
        from runtime.exceptions import HandlerResultError  # loaded: the runtime raised one

        if isinstance(error, HandlerResultError):
            return
        self._write("".join(_traceback(error)).rstrip("\n"))


def _stamp() -> str:
    """The time of a line: `14:03:07.512`, local time to the millisecond."""
    now = time.time()
    return time.strftime("%H:%M:%S", time.localtime(now)) + f".{int(now % 1 * 1000):03d}"


class _RuntimeRecords(logging.Filter):
    """The runtime's own log records (logger `runtime`) while an emulator runs.

    A record of an exception that leaves the invocation (`raised`) is dropped: the emulator
    logs that exception itself, its traceback and its event's line. Any other record's
    traceback (an SQS handler's failure, reported as the batch's failures) starts at the
    app's first frame, as the emulator's own do.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "raised", False):
            return False
        error = record.exc_info[1] if record.exc_info else None
        if error is not None and not record.exc_text:
            record.exc_text = "".join(_traceback(error)).rstrip("\n")
        return True


class _ToEventLog(logging.Handler):
    """Writes the runtime's records to an emulator's log, as Lambda writes them to the
    function's log: to the log of the emulator whose handler thread logged it (`serving`),
    else to the last one started. Records still propagate to the root logger's handlers
    (an app's own logging setup, pytest's capture)."""

    def __init__(self) -> None:
        super().__init__()
        self.logs: list[EventLog] = []
        """The logs of the emulators running, in the order they started."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            logs = list(self.logs)  # an emulator may stop meanwhile, on its loop's thread
            log: EventLog | None = getattr(_THREAD, "log", None)
            if log is None or log not in logs:
                log = logs[-1] if logs else None
            if log is None:
                return
            text = f"{record.levelname} {record.name}: {record.getMessage()}"
            if record.exc_text:
                text += "\n" + record.exc_text
            if record.levelno >= logging.ERROR:
                log.error(text)
            else:
                log.info(text)
        except Exception:  # as logging's own handlers: never an error in the caller
            self.handleError(record)


_RUNTIME_RECORDS = _RuntimeRecords()
_TO_EVENT_LOG = _ToEventLog()
_THREAD = threading.local()
"""A handler thread's `log`: the log of the emulator it serves (`serving`)."""


def serving(log: EventLog | None) -> None:
    """Make `log` the log of the runtime's records from this thread (a handler thread)."""
    _THREAD.log = log


def follow_runtime_log(log: EventLog, on: bool) -> None:
    """Send the runtime's records to `log` while its emulator runs (`on`), and stop when it
    stops; once no emulator runs, the `runtime` logger is as it was."""
    logger = logging.getLogger("runtime")
    with _RUNTIME_LOCK:
        if on:
            _TO_EVENT_LOG.logs.append(log)
        elif log in _TO_EVENT_LOG.logs:
            _TO_EVENT_LOG.logs.remove(log)
        if _TO_EVENT_LOG.logs:
            logger.addFilter(_RUNTIME_RECORDS)
            logger.addHandler(_TO_EVENT_LOG)
        else:
            logger.removeFilter(_RUNTIME_RECORDS)
            logger.removeHandler(_TO_EVENT_LOG)


_RUNTIME_LOCK = threading.Lock()


def app_frame(error: BaseException) -> str:
    """`, in app.py:12 (slow)`: the innermost frame of the app's own code (neither wsgen's,
    the runtime's nor the standard library's) that `error` went through, if any."""
    import sysconfig

    skip = (*_INTERNAL, sysconfig.get_paths()["stdlib"])
    frames = [
        f for f in traceback.extract_tb(error.__traceback__) if not f.filename.startswith(skip)
    ]
    if not frames:
        return ""
    return f", in {Path(frames[-1].filename).name}:{frames[-1].lineno} ({frames[-1].name})"


def _traceback(error: BaseException) -> list[str]:
    tb: TracebackType | None = error.__traceback__
    while tb is not None and tb.tb_frame.f_code.co_filename.startswith(_INTERNAL):
        tb = tb.tb_next
    # All wsgen's own (a bug in wsgen, or an error it raised for the app): keep them all.
    shown = error.__traceback__ if tb is None else tb
    return traceback.format_exception(type(error), error, shown)
