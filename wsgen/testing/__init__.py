"""A test client for wsgen apps: connect, send and receive in memory, with no network or AWS.

    from wsgen.testing import Client

    def test_echo():
        with Client(app) as client, client.connect() as ws:
            ws.send_text("hi")
            assert ws.receive() == "I got your message!"

Events go through the app's real entry point in the shape API Gateway sends them, and the
app's `websocket_api` is routed to an in-memory management client, so `send()`,
`broadcast()`, `close()` and `info()` work and a closed connection is gone (410).
"""

from ..gateway.outcomes import Frame
from ..gateway.state import ConnectionState
from .client import Client, LambdaContext
from .connection import Connection
from .exceptions import (
    ClientClosedError,
    ConnectionClosedError,
    ConnectionRejected,
    DroppedResultWarning,
    FragmentsError,
    HandshakeFailed,
    NoMessageError,
    QueueMessageError,
    UnexpectedFrameError,
    UnroutedMessageWarning,
    WebsocketTestError,
)
from .management import MemoryManagementClient

__all__ = [
    "Client",
    "ClientClosedError",
    "Connection",
    "ConnectionClosedError",
    "ConnectionRejected",
    "ConnectionState",
    "DroppedResultWarning",
    "FragmentsError",
    "Frame",
    "HandshakeFailed",
    "LambdaContext",
    "MemoryManagementClient",
    "NoMessageError",
    "QueueMessageError",
    "UnexpectedFrameError",
    "UnroutedMessageWarning",
    "WebsocketTestError",
]
