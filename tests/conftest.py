"""Fixtures for every test: the project's own events, and the environment put back."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.support.events import read_event


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
def dynamodb_endpoint():
    """The URL of a DynamoDB-compatible server (moto's) on loopback, for the whole session."""
    from tests.dynamodb import serve

    yield from serve()
