"""The echo sample (Chalice's documentation example), through `wsgen.testing.Client`."""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType

import pytest

from wsgen.testing import Client, NoMessageError


def test_every_message_is_answered_and_only_to_its_sender(
    load_sample: Callable[[str], ModuleType],
) -> None:
    with Client(load_sample("echo").app) as client, client.connect() as ana, client.connect() as bo:
        ana.send_text("hi")
        assert ana.receive() == "I got your message!"
        ana.send_text('{"action": "anything"}')
        assert ana.receive() == "I got your message!"
        with pytest.raises(NoMessageError):
            bo.receive()
        assert client.errors == []


def test_connects_and_disconnects_are_printed(
    load_sample: Callable[[str], ModuleType], capsys: pytest.CaptureFixture[str]
) -> None:
    with Client(load_sample("echo").app) as client:
        ws = client.connect()
        assert capsys.readouterr().out == f"New connection: {ws.connection_id}\n"
        ws.close()
        assert capsys.readouterr().out == f"{ws.connection_id} disconnected\n"
