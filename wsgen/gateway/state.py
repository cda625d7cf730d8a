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
