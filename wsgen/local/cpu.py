"""`wsgen local` runs on one CPU: its threads share one interpreter lock, so more cores run no
more of its Python at once, and they cost it a wake-up across cores at every hand-over.

The emulator's event loop and its handlers' threads pass the interpreter lock (the GIL) to each
other at every socket call: a handler's `send()` is a request to the loop and a wait for its
answer, the loop reads it, writes the frame and the answer. With the threads on two cores, each
release wakes a waiting thread on the other core, which takes the lock at once, and the thread
that let go waits to get it back when its call returns: a lock passed back and forth several
times per message. On one core the running thread keeps the CPU until it blocks, so the others
run in turn, each with the lock: about half the emulator's CPU per `send()` round trip
(bench/RESULTS.md's notes have the figures). Only handlers whose C code runs without the lock
for long (numpy, image codecs, compression) would gain from more cores:
`wsgen local --all-cpus` leaves the process on every CPU it may use.

Linux only (elsewhere Python cannot pin threads), and only with the GIL (a free-threaded
build runs Python on every core). The `Emulator` class never pins: it may run inside a user's
test process, which is not the emulator's to pin.
"""

from __future__ import annotations

import contextlib
import os
import sys


def run_on_one_cpu() -> int | None:
    """Pin this process's threads, and so every thread they start, to the CPU it runs on now;
    that CPU, or None where pinning does not apply (not Linux, no GIL, one CPU already)."""
    set_affinity = getattr(os, "sched_setaffinity", None)
    gil_enabled = getattr(sys, "_is_gil_enabled", lambda: True)  # Python 3.13+ has it
    if set_affinity is None or not gil_enabled():
        return None
    allowed = os.sched_getaffinity(0)
    if len(allowed) < 2:
        return None
    cpu = _current_cpu()
    if cpu not in allowed:
        cpu = min(allowed)
    for thread in _threads():
        with contextlib.suppress(OSError):  # a thread that ended meanwhile
            set_affinity(thread, {cpu})
    return cpu


def _current_cpu() -> int | None:
    """The CPU this thread last ran on (`processor`, field 39 of /proc/thread-self/stat)."""
    try:
        with open("/proc/thread-self/stat", encoding="ascii") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()  # after the name, which may hold spaces
    except (OSError, IndexError):
        return None
    return int(fields[36])  # fields[0] is field 3 (state)


def _threads() -> list[int]:
    """This process's thread ids (the calling thread's alone where /proc cannot say)."""
    try:
        return [int(name) for name in os.listdir("/proc/self/task")]
    except OSError:
        return [0]
