"""Fixtures: an emulator on a free loopback port running a test app, and clients for it."""

from __future__ import annotations

from collections.abc import Iterator
from types import ModuleType
from typing import Any

import pytest

from tests.support.local import management_client, recorder_module, start
from wsgen.local import Emulator


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
