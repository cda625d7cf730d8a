"""The project's API Gateway events (tests/events/*.json) and the formats of their values."""

from __future__ import annotations

import copy
import json
import re
from typing import Any

from .paths import EVENTS

ID = re.compile(r"^[A-Za-z0-9_-]{15}=$")
"""A connection, request or message id: 16 characters ending in `=`."""
CLF = re.compile(r"^\d\d/[A-Z][a-z]{2}/\d{4}:\d\d:\d\d:\d\d \+0000$")
"""`requestTime`: Common Log Format."""


def read_event(name: str) -> dict[str, Any]:
    """A fresh copy of a fixture event, safe to modify."""
    event: dict[str, Any] = json.loads((EVENTS / name).read_text())
    return copy.deepcopy(event)
