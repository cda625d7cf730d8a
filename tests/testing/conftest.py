"""Fixtures of the test client's tests: apps built fresh per test."""

from __future__ import annotations

import pytest

from runtime import App
from tests.support.builders import chat_app


@pytest.fixture
def chat() -> App:
    return chat_app()
