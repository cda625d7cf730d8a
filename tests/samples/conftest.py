"""Import a sample's app.py under its own module name and talk to it with fixture events."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Callable, Iterator
from types import ModuleType
from typing import Any

import pytest

from tests.conftest import SAMPLES, read_event


class FakeManagementClient:
    """Records `post_to_connection`; ids in `gone` answer like API Gateway's 410."""

    class exceptions:  # noqa: N801 - boto3's spelling
        class GoneException(Exception):  # noqa: N818
            pass

    def __init__(self) -> None:
        self.sent: list[tuple[str, str]] = []
        self.gone: set[str] = set()

    def post_to_connection(self, ConnectionId: str, Data: str | bytes) -> None:  # noqa: N803
        if ConnectionId in self.gone:
            raise self.exceptions.GoneException(ConnectionId)
        self.sent.append((ConnectionId, Data.decode() if isinstance(Data, bytes) else Data))

    def to(self, connection_id: str) -> list[str]:
        return [text for cid, text in self.sent if cid == connection_id]


@pytest.fixture
def load_sample() -> Iterator[Callable[[str], ModuleType]]:
    loaded: list[str] = []

    def load(name: str) -> ModuleType:
        module_name = f"sample_{name}_app"
        spec = importlib.util.spec_from_file_location(module_name, SAMPLES / name / "app.py")
        assert spec and spec.loader
        module = importlib.util.module_from_spec(spec)
        sys.modules[module_name] = module
        loaded.append(module_name)
        spec.loader.exec_module(module)
        return module

    yield load
    for name in loaded:
        sys.modules.pop(name, None)


@pytest.fixture
def client() -> FakeManagementClient:
    return FakeManagementClient()


def event(name: str, connection_id: str | None = None, body: str | None = None) -> dict[str, Any]:
    """A fixture event, for another connection or with another body."""
    raw = read_event(name)
    if connection_id is not None:
        raw["requestContext"]["connectionId"] = connection_id
    if body is not None:
        raw["body"] = body
    return raw
