"""Where a connection is in its life, as the management API (`@connections`) sees it.

Only an `OPEN` connection takes posts and answers GetConnection; during `$connect`
(`CONNECTING`), after the server closed it but before `$disconnect` ran (`CLOSING`), and
once `CLOSED`, API Gateway answers 410 Gone (docs/aws-facts.md#endpoint). Each front end
moves its own connections through these states with methods on its connection.
"""

from __future__ import annotations

from enum import StrEnum


class ConnectionState(StrEnum):
    """A connection's state; compares equal to its lowercase name (`"open"`)."""

    CONNECTING = "connecting"
    """The handshake is running (the authorizer, `$connect`)."""
    OPEN = "open"
    CLOSING = "closing"
    """Closed by the server (`@connections` DELETE, a stop); `$disconnect` has not run yet."""
    CLOSED = "closed"

    @property
    def takes_posts(self) -> bool:
        """Whether `@connections` POST and GET reach the connection (410 Gone otherwise)."""
        return self is ConnectionState.OPEN


def gone_message(connection_id: str, state: ConnectionState | None) -> str:
    """The message of the 410 for a connection not `OPEN` (`state` None: unknown).

    Inside `$connect` the connection does not exist yet for `@connections`, as on AWS; the
    message names where a send works. AWS's own message is not documented.
    """
    if state is ConnectionState.CONNECTING:
        return (
            f"connection {connection_id} cannot be sent to before $connect returns; "
            "send from @app.on_ws_connected() instead"
        )
    return f"connection {connection_id} is gone"
