"""The subprotocol sample: `My-Protocol` is answered only when the client offered it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from types import ModuleType

import pytest

from wsgen.testing import Client, HandshakeFailed


@pytest.fixture
def client(load_sample: Callable[[str], ModuleType]) -> Iterator[Client]:
    with Client(load_sample("subprotocol").app) as client:
        yield client


def test_the_protocol_is_chosen_when_offered(client: Client) -> None:
    with client.connect(subprotocols=["chat.v2", "My-Protocol"]) as ws:
        assert ws.subprotocol == "My-Protocol"


def test_no_protocol_is_chosen_when_none_is_offered(client: Client) -> None:
    with client.connect() as ws:
        assert ws.subprotocol is None


def test_other_protocols_are_not_answered_so_a_browser_fails_the_handshake(
    client: Client,
) -> None:
    with pytest.raises(HandshakeFailed) as failed:
        client.connect(subprotocols=["chat.v2"])
    assert failed.value.chosen is None


def test_messages_are_echoed(client: Client) -> None:
    with client.connect(subprotocols=["My-Protocol"]) as ws:
        ws.send_text("hi")
        assert ws.receive() == "My-Protocol: hi"
