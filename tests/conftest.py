"""Shared fixtures: the project's own API Gateway events (tests/events/*.json)."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

EVENTS = Path(__file__).parent / "events"
ROOT = Path(__file__).parent.parent
SAMPLES = ROOT / "samples"


def read_event(name: str) -> dict[str, Any]:
    """A fresh copy of a fixture event, safe to modify."""
    return copy.deepcopy(json.loads((EVENTS / name).read_text()))


@pytest.fixture
def load_event() -> Callable[[str], dict[str, Any]]:
    return read_event


@pytest.fixture(scope="session")
def dynamodb_endpoint():
    """The URL of a DynamoDB-compatible server (moto's) on loopback, for the whole session."""
    from tests.dynamodb import serve

    yield from serve()
