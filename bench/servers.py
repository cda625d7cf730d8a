"""Servers under load, each in its own process: `wsgen local` on an app, or a bare echo server.

`python -m bench.servers emulator APP_DIR [DELAY_MS]`, `python -m bench.servers bare` or
`python -m bench.servers dynamodb` (wsgen's embedded DynamoDB, moto) listens on a free
loopback port, prints its URL, and serves until stdin closes. `server(...)` runs one
from the benchmark process, so the load generator never shares a core's GIL with it.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import resource
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

from .harness import ROOT


@contextlib.contextmanager
def server(kind: str, *args: str) -> Iterator[tuple[str, int]]:
    """`(url, pid)` of a server process, stopped when the block ends."""
    process = subprocess.Popen(
        [sys.executable, "-m", "bench.servers", kind, *args],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        url = process.stdout.readline().strip()
        if not url:
            raise RuntimeError(f"bench.servers {kind} did not start")
        yield url, process.pid
    finally:
        if process.stdin:
            process.stdin.close()  # the server stops when its stdin closes
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stdout:
            process.stdout.close()


def rss_kib(pid: int) -> int:
    """Resident memory of a process (VmRSS), in KiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for process {pid}")


def cpu_seconds(pid: int) -> float:
    """User and system CPU a process has used, all its threads together (/proc/PID/stat)."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat[stat.rindex(")") + 2 :].split()  # after the command's name, which may hold spaces
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def raise_fd_limit() -> None:
    """1,000 connections need more descriptors than a 1,024 soft limit leaves."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and (hard == resource.RLIM_INFINITY or soft < hard):
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


async def _until_stdin_closes() -> None:
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)


async def _bare() -> None:
    from websockets.asyncio.server import ServerConnection, serve

    async def echo(websocket: ServerConnection) -> None:
        async for message in websocket:
            await websocket.send(message)

    async with serve(echo, "127.0.0.1", 0) as ws_server:
        port = ws_server.sockets[0].getsockname()[1]
        print(f"ws://127.0.0.1:{port}/", flush=True)
        await _until_stdin_closes()


async def _emulator(app_dir: str, delay_ms: float) -> None:
    from wsgen.local import Emulator, EventLog
    from wsgen.local.cpu import run_on_one_cpu

    run_on_one_cpu()  # as `wsgen local` does
    # Quiet: a console line per event is the CLI's choice, not the emulator's cost.
    emulator = Emulator(
        app_dir,
        port=0,
        management_delay_ms=delay_ms,
        log=EventLog(quiet=True),
        # The rows time messages, not handshakes: at API Gateway's 500 new connections a
        # second the 1,000-client rows' later handshakes got 429 on a fast machine.
        connection_rate=100_000.0,
    )
    await emulator.start()
    print(emulator.url, flush=True)
    try:
        await _until_stdin_closes()
    finally:
        await emulator.stop()


def _dynamodb() -> None:
    from wsgen import embedded

    print(embedded.endpoint(), flush=True)
    sys.stdin.read()


def main(argv: list[str]) -> None:
    raise_fd_limit()
    if argv[0] == "bare":
        asyncio.run(_bare())
    elif argv[0] == "dynamodb":
        _dynamodb()
    else:
        asyncio.run(_emulator(argv[1], float(argv[2]) if len(argv) > 2 else 0))


if __name__ == "__main__":
    main(sys.argv[1:])
