"""`Connection`: one tracked connection's record, as handlers read it.

Apart from `runtime.connections` so that `runtime.events` (`event.connection`) can name it
without importing what `Connections` needs.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping
    from datetime import datetime
    from typing import Any, Protocol

    from .store import Record

    class Updater(Protocol):
        """Where `Connection.update` writes (the app's `connections`)."""

        def _update(self, connection_id: str, attributes: dict[str, Any]) -> Record: ...


class Connection:
    """A tracked connection: what `$connect` saw, and the attributes the app set since.

    Read from the store once; `update(**attributes)` writes through to it.
    """

    __slots__ = ("_connections", "_headers", "_record")

    def __init__(self, record: Record, connections: Updater) -> None:
        self._record = record
        self._connections = connections

    @property
    def id(self) -> str:
        return self._record["id"]  # type: ignore[no-any-return]

    @property
    def connected_at(self) -> datetime:
        from datetime import UTC, datetime

        return datetime.fromtimestamp(self._record["connected_at"] / 1000, tz=UTC)

    @property
    def principal_id(self) -> str | None:
        """The principal the `$connect` authorizer allowed, or None without one."""
        return self._record["principal_id"]  # type: ignore[no-any-return]

    @property
    def authorizer(self) -> dict[str, Any]:
        """The authorizer's context (string values, as API Gateway passes them)."""
        return self._record["authorizer"]  # type: ignore[no-any-return]

    @property
    def query_params(self) -> dict[str, str]:
        """The upgrade request's query string parameters."""
        return self._record["query_params"]  # type: ignore[no-any-return]

    @property
    def headers(self) -> Mapping[str, str]:
        """The upgrade request's headers, case-insensitive (without credential headers)."""
        try:
            return self._headers
        except AttributeError:
            # Imported here: `events` refers to this module (`event.connection`).
            from .headers import Headers

            self._headers: Mapping[str, str] = Headers(self._record["headers"])
            return self._headers

    @property
    def source_ip(self) -> str | None:
        return self._record["source_ip"]  # type: ignore[no-any-return]

    @property
    def user_agent(self) -> str | None:
        return self._record["user_agent"]  # type: ignore[no-any-return]

    @property
    def attributes(self) -> dict[str, Any]:
        """What the app stored with `update()`. Changing this dict stores nothing."""
        return self._record["attributes"]  # type: ignore[no-any-return]

    @property
    def groups(self) -> tuple[str, ...]:
        """The names of the groups it is in, sorted."""
        return tuple(self._record["groups"])

    def update(self, **attributes: Any) -> None:
        """Store these attributes (JSON values) with the connection; others stay.

        Raises:
            ConnectionNotFoundError: the connection is gone.
            InvalidAttributeError: a value is not JSON-serialisable.
        """
        self._record = self._connections._update(self.id, attributes)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Connection) and other._record == self._record

    def __hash__(self) -> int:
        return hash(self.id)

    def __repr__(self) -> str:
        return (
            f"Connection({self.id!r}, principal_id={self.principal_id!r}, groups={self.groups!r})"
        )
