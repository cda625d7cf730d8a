"""Runtime fixtures: an AWS-free environment for management calls."""

from __future__ import annotations

import pytest


@pytest.fixture
def aws_env(monkeypatch):
    """A region and dummy credentials; no endpoint configured anywhere."""
    monkeypatch.setenv("AWS_REGION", "eu-west-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.delenv("AWS_DEFAULT_REGION", raising=False)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    monkeypatch.delenv("WSGEN_WEBSOCKET_ENDPOINT", raising=False)
