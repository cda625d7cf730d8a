"""An in-memory stand-in for boto3's `apigatewaymanagementapi` client.

`WebsocketAPI.use_client()` routes `send`, `broadcast`, `close` and `info` through it, so a
handler's calls reach the test client's connections with no network and no boto3. Errors are
the ones boto3 raises, reachable as `client.exceptions.GoneException` and so on.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Protocol

from runtime.contract import MAX_MESSAGE_BYTES

from ..gateway.outcomes import Frame
from .connection import Connection


class GoneException(Exception):  # noqa: N818  (boto3's name)
    """410: the connection is closed, unknown, or not established yet (inside $connect)."""


class PayloadTooLargeException(Exception):  # noqa: N818
    """413: over API Gateway's 128 KB message limit."""


class _Exceptions:
    GoneException = GoneException
    PayloadTooLargeException = PayloadTooLargeException


class Switchboard(Protocol):
    """What `MemoryManagementClient` needs of the test client: its open connections."""

    def live_connection(self, connection_id: str) -> Connection:
        """The open connection; raises `GoneException` for any other."""
        ...

    def post_to_connection(self, connection_id: str, frame: Frame) -> None:
        """Deliver `frame` to the open connection; raises `GoneException` for any other."""

    def delete_connection(self, connection_id: str) -> None:
        """Close the open connection from the server side; raises `GoneException` otherwise."""


def _datetime(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, tz=UTC)


class MemoryManagementClient:
    """`post_to_connection`, `get_connection` and `delete_connection` on a test `Client`."""

    exceptions = _Exceptions

    def __init__(self, switchboard: Switchboard) -> None:
        self._switchboard = switchboard

    def post_to_connection(self, *, ConnectionId: str, Data: bytes | str) -> dict[str, Any]:  # noqa: N803
        # The switchboard decides the frame type as the emulator's @connections does.
        data = Data if isinstance(Data, str) else bytes(Data)
        size = len(data.encode()) if isinstance(data, str) else len(data)
        if size > MAX_MESSAGE_BYTES:
            raise PayloadTooLargeException(f"message of {size} bytes is over 128 KB")
        self._switchboard.post_to_connection(ConnectionId, data)
        return {"ResponseMetadata": {"HTTPStatusCode": 200}}

    def get_connection(self, *, ConnectionId: str) -> dict[str, Any]:  # noqa: N803
        connection = self._switchboard.live_connection(ConnectionId)
        identity = {"SourceIp": connection.peer.source_ip}
        if connection.peer.user_agent is not None:
            identity["UserAgent"] = connection.peer.user_agent
        return {
            "ConnectedAt": _datetime(connection.peer.connected_at),
            "LastActiveAt": _datetime(connection.last_active_at),
            "Identity": identity,
            "ResponseMetadata": {"HTTPStatusCode": 200},
        }

    def delete_connection(self, *, ConnectionId: str) -> dict[str, Any]:  # noqa: N803
        self._switchboard.delete_connection(ConnectionId)
        return {"ResponseMetadata": {"HTTPStatusCode": 204}}
