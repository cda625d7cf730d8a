"""Fixtures for every test: the environment put back, the project's own events, moto's
DynamoDB server; and the `slow`/`external` markers of the tests that need no marking by hand.
"""

from __future__ import annotations

import os
import socket
import sys
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.support.events import read_event
from tests.support.paths import TESTS

SLOW_FOLDERS = (TESTS / "local",)
"""Every test there runs the emulator on real sockets (some `wsgen local` itself)."""
MARKER_OF_FIXTURE = {
    "emulator": "slow",
    "server": "slow",
    "wsgen_compiling": "slow",
    "dynamodb_endpoint": "external",
}
"""A test using one of these fixtures gets the marker: an emulator, a loopback HTTP server or
bytecode compiled by another interpreter (slow), moto's DynamoDB server (external). A fixture
requested dynamically marks its parameter instead (`pytest.param(..., marks=...)`)."""


UNMARKED_COSTS = {
    "subprocess.Popen": "starts a subprocess",
    "socket.bind": "opens a server socket",
    "socket.connect": "connects to a server",
}
"""What a test marked neither `slow` nor `external` may not do (audit events: the standard
library raises them wherever a subprocess or a server starts, in any thread)."""
_seen: list[str] | None = None
"""What the running unmarked test did of UNMARKED_COSTS; None outside one."""


def _audit(event: str, args: tuple[Any, ...]) -> None:
    if _seen is not None and event in UNMARKED_COSTS:
        if event.startswith("socket.") and args[0].family == socket.AF_UNIX:
            return
        _seen.append(f"{UNMARKED_COSTS[event]} ({event} {args[1]!r})")


sys.addaudithook(_audit)
# urllib3 (under botocore) binds ('::1', 0) once, at import, to learn whether IPv6 works:
# done here, it is no test's doing.
import urllib3.util.connection  # noqa: E402, F401


@pytest.fixture(autouse=True)
def unmarked_tests_stay_in_memory(request: pytest.FixtureRequest) -> Iterator[None]:
    """`make check` runs the unmarked tests: one that starts a subprocess or a server fails,
    naming what it started, until it is marked `slow` (or `external`)."""
    global _seen
    marked = any(request.node.get_closest_marker(m) for m in ("slow", "external"))
    _seen = None if marked else []
    yield
    seen, _seen = _seen, None
    if seen:
        message = f"this test {seen[0]}: mark it slow (a moto server: external)"
        pytest.fail(message, pytrace=False)


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
