"""Fixtures for every test: the environment put back, the project's own events, moto's
DynamoDB server; and the `slow`/`external` markers of the tests that need no marking by hand.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.support.events import read_event
from tests.support.paths import TESTS

SLOW_FOLDERS = (TESTS / "local",)
"""Every test there runs the emulator on real sockets (some `wsgen local` itself)."""
MARKER_OF_FIXTURE = {"emulator": "slow", "server": "slow", "dynamodb_endpoint": "external"}
"""A test using one of these fixtures gets the marker: an emulator or a loopback HTTP server
(slow), moto's DynamoDB server (external). A fixture requested dynamically marks its
parameter instead (`pytest.param(..., marks=...)`)."""


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if any(folder in item.path.parents for folder in SLOW_FOLDERS):
            item.add_marker(pytest.mark.slow)
        for fixture, marker in MARKER_OF_FIXTURE.items():
            if fixture in getattr(item, "fixturenames", ()):
                item.add_marker(marker)


@pytest.fixture(autouse=True)
def restore_environment() -> Iterator[None]:
    """Put `os.environ` back as it was after every test.

    The emulator and `wsgen local` set AWS_REGION, credentials, the endpoint and wsgen.toml's
    [environment] for their handlers, and a sample's app reads what its test set.
    """
    saved = dict(os.environ)
    yield
    os.environ.clear()
    os.environ.update(saved)


@pytest.fixture
def load_event() -> Callable[[str], dict[str, Any]]:
    return read_event


@pytest.fixture(scope="session")
def dynamodb_endpoint() -> Iterator[str]:
    """The URL of a DynamoDB-compatible server (moto's) on loopback, for the whole session."""
    from tests.support.dynamodb import serve

    yield from serve()
