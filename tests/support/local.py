"""The emulator in tests: started on a test app, a management client for it, async bodies."""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import boto3
from botocore.config import Config

from wsgen.local import Emulator, EventLog, running

from .paths import APPS


def start(app: str = "recorder", **options: Any) -> Any:
    """`running()` for a test app of tests/support/apps, quiet."""
    options.setdefault("log", EventLog(quiet=True))
    return running(APPS, f"{app}:app", **options)


def recorder_module() -> ModuleType:
    """The `recorder` test app as the emulator imported it: what its handlers recorded."""
    return sys.modules["recorder"]


def management_client(emulator: Emulator, pool: int = 10) -> Any:
    """boto3's `apigatewaymanagementapi` client for the emulator, without retries."""
    return boto3.client(
        "apigatewaymanagementapi",
        endpoint_url=emulator.endpoint,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
        config=Config(max_pool_connections=pool, retries={"max_attempts": 1}),
    )


def run(coroutine_factory: Callable[[], Any], timeout: float = 30) -> Any:
    """Run an async test body with a bound."""
    return asyncio.run(asyncio.wait_for(coroutine_factory(), timeout))


@contextlib.contextmanager
def reaped(process: subprocess.Popen[str]) -> Iterator[subprocess.Popen[str]]:
    """`process` (a `wsgen local` a test started), killed and reaped if still running after."""
    try:
        yield process
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def open_sockets_on(port: int) -> list[str]:
    """This process's TCP sockets on loopback `port`, either end (from /proc: Linux), as
    "local -> remote" addresses: what a stopped emulator must not leave open."""
    inodes = set()
    for fd in Path("/proc/self/fd").iterdir():
        with contextlib.suppress(OSError):
            target = os.readlink(fd)
            if target.startswith("socket:["):
                inodes.add(target[len("socket:[") : -1])
    found = []
    for table in ("/proc/self/net/tcp", "/proc/self/net/tcp6"):
        with contextlib.suppress(OSError), open(table) as rows:
            for row in list(rows)[1:]:
                fields = row.split()
                local, remote, inode = fields[1], fields[2], fields[9]
                ports = {int(local.rsplit(":", 1)[1], 16), int(remote.rsplit(":", 1)[1], 16)}
                if inode in inodes and port in ports:
                    found.append(f"{local} -> {remote}")
    return found
