"""Fixtures: an emulator on a free loopback port running a test app, and clients for it."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import boto3
import pytest
from botocore.config import Config

from wsgen.local import Emulator, EventLog, running

APPS = Path(__file__).parent / "apps"


def start(app: str = "recorder", **options: Any) -> Any:
    """`running()` for a test app, quiet."""
    options.setdefault("log", EventLog(quiet=True))
    return running(APPS, f"{app}:app", **options)


def recorder_module() -> ModuleType:
    return sys.modules["recorder"]


def management_client(emulator: Emulator, pool: int = 10) -> Any:
    return boto3.client(
        "apigatewaymanagementapi",
        endpoint_url=emulator.endpoint,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
        config=Config(max_pool_connections=pool, retries={"max_attempts": 1}),
    )


@pytest.fixture(autouse=True)
def restore_environment() -> Iterator[None]:
    """The emulator sets AWS_REGION, credentials and the endpoint for its handlers."""
    saved = dict(os.environ)
    yield
    os.environ.clear()
    os.environ.update(saved)


@pytest.fixture
def emulator() -> Iterator[Emulator]:
    with start() as emu:
        recorder_module().reset()
        yield emu


@pytest.fixture
def rec(emulator: Emulator) -> ModuleType:
    return recorder_module()


@pytest.fixture
def mgmt(emulator: Emulator) -> Any:
    return management_client(emulator)


def run(coroutine_factory: Callable[[], Any], timeout: float = 30) -> Any:
    """Run an async test body with a bound."""
    return asyncio.run(asyncio.wait_for(coroutine_factory(), timeout))
