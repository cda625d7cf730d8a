"""Tracked connections and groups: `app.connections`, `app.groups` and `event.connection`.

With `App(..., connections=True)` the entry point records every connection `$connect`
accepted and deletes it after `$disconnect` (see `Connections.connecting` and the methods
after it, which only the entry point calls). The records live in a `ConnectionStore`:
DynamoDB's when deployed (the table `WSGEN_CONNECTIONS_TABLE` names), the in-memory one under
wsgen local and the test client.
"""

from __future__ import annotations

import os
import time
from _thread import allocate_lock

from .connection import Connection
from .contract import CONNECTIONS_TABLE_ENV, EVENT_DISCONNECT
from .exceptions import (
    ConnectionNotFoundError,
    ConnectionsNotConfiguredError,
    ConnectionsNotEnabledError,
    InvalidAttributeError,
    InvalidGroupError,
)
from .store import expires_at

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator, Mapping
    from typing import Any

    from .broadcast import BroadcastResult
    from .events import RawEvent, RawRequestContext
    from .management import WebsocketAPI
    from .store import ConnectionStore, Record

MAX_GROUP_BYTES = 1024
"""A group name's limit in UTF-8 (DynamoDB keys hold 2048 bytes; the store prefixes it)."""
UNSTORED_HEADERS = frozenset(("authorization", "cookie", "proxy-authorization"))
"""Upgrade headers the record leaves out: credentials do not belong in a table."""
_HINTS = 4096
"""How many connections' expiry times the entry point remembers for `groups.join`."""


class Connections:
    """`app.connections`: look up, update and reach the tracked connections."""

    def __init__(self, app_name: str, enabled: bool, websocket_api: WebsocketAPI) -> None:
        self.app_name = app_name
        self.enabled = enabled
        self._websocket_api = websocket_api
        self._store: ConnectionStore | None = None
        self._lock = allocate_lock()
        self._pending: dict[str, Record] = {}
        """Records of connections inside `$connect`, stored once it accepts them."""
        self._hints: dict[str, int] = {}

    # The store

    def use_store(self, store: ConnectionStore | None) -> ConnectionStore | None:
        """Keep connections in `store` (None: DynamoDB's, from the environment again).

        Returns the store used until now, so a caller can put it back.
        """
        with self._lock:
            previous, self._store = self._store, store
        return previous

    @property
    def store(self) -> ConnectionStore:
        """The store in use: the one given to `use_store`, else the table in the environment.

        Raises:
            ConnectionsNotEnabledError: the app does not track connections.
            ConnectionsNotConfiguredError: no store and no `WSGEN_CONNECTIONS_TABLE`.
        """
        if not self.enabled:
            raise ConnectionsNotEnabledError(
                self.app_name, "app.connections", self._websocket_api.app_arguments
            )
        store = self._store
        if store is not None:
            return store
        table = os.environ.get(CONNECTIONS_TABLE_ENV)
        if not table:
            raise ConnectionsNotConfiguredError()
        from .dynamodb import DynamoDBStore

        with self._lock:
            if self._store is None:
                self._store = DynamoDBStore(table)
            return self._store

    def _check(self, what: str) -> None:
        if not self.enabled:
            raise ConnectionsNotEnabledError(self.app_name, what, self._websocket_api.app_arguments)

    # The app's side

    def get(self, connection_id: str) -> Connection | None:
        """The connection's record, or None when it is not connected (gone or expired)."""
        self._check("app.connections.get()")
        record = self._pending.get(connection_id) or self.store.get(connection_id)
        return None if record is None else Connection(record, self)

    def update(self, connection_id: str, **attributes: Any) -> Connection:
        """Store attributes with a connection; the connection as updated.

        Raises:
            ConnectionNotFoundError: the connection is gone.
            InvalidAttributeError: a value is not JSON-serialisable.
        """
        self._check("app.connections.update()")
        return Connection(self._update(connection_id, attributes), self)

    def for_principal(self, principal_id: str) -> list[Connection]:
        """Every connection the authorizer gave `principal_id` (one user's devices)."""
        self._check("app.connections.for_principal()")
        return [Connection(r, self) for r in self.store.for_principal(principal_id)]

    def send_to_principal(self, principal_id: str, message: str | bytes) -> BroadcastResult:
        """Send `message` to each of `principal_id`'s connections (see `broadcast()`)."""
        self._check("app.connections.send_to_principal()")
        ids = [record["id"] for record in self.store.for_principal(principal_id)]
        return self._websocket_api.broadcast(ids, message)

    def all(self) -> Iterator[Connection]:
        """Every tracked connection. On DynamoDB this scans the table: for announcements."""
        self._check("app.connections.all()")
        return (Connection(record, self) for record in self.store.all())

    def send_all(
        self, message: str | bytes, *, exclude: str | Iterable[str] | None = None
    ) -> BroadcastResult:
        """Send `message` to every tracked connection but `exclude` (an id, or several).

        `websocket_api.fan_out()` over `all()`'s ids: shards above the threshold.

        Raises:
            FanOutNotEnabledError: the app was created without `fan_out=True`.
        """
        self._check("app.connections.send_all()")
        if self._websocket_api.on_shards is None:
            raise self._websocket_api.fan_out_off("app.connections.send_all()")
        skip = {exclude} if isinstance(exclude, str) else set(exclude or ())
        ids = [record["id"] for record in self.store.all() if record["id"] not in skip]
        return self._websocket_api.fan_out(ids, message)

    def fan_out_status(self, fan_out_id: str) -> dict[str, int] | None:
        """What the shards of a fan-out (`BroadcastResult.fan_out_id`) did so far.

        `{"enqueued": n, "delivered": n, "gone": n, "failed": n}`: done when the last three
        add up to `enqueued` (SQS delivers at least once, so a shard sent twice counts
        twice). None for an unknown fan-out, or one over a day old.
        """
        self._check("app.connections.fan_out_status()")
        return self.store.fan_out(fan_out_id)

    def count(self) -> int:
        """How many connections are tracked."""
        self._check("app.connections.count()")
        return self.store.count()

    def _update(self, connection_id: str, attributes: dict[str, Any]) -> Record:
        self._check("update()")
        _check_attributes(connection_id, attributes)
        with self._lock:
            pending = self._pending.get(connection_id)
            if pending is not None:
                pending["attributes"].update(_as_json(attributes))
                return _copy(pending)
        return self.store.update(connection_id, attributes)

    # The entry point's side

    def for_event(self, raw: RawEvent) -> Connection:
        """`event.connection`: the record of the event's connection.

        At `$disconnect` a record may be gone already (a send found the closing connection
        gone, or it expired): the connection is then what the event tells, with no
        attributes or groups, so that the handler still runs.

        Raises:
            ConnectionNotFoundError: the store has no record of it (a message's connection).
        """
        self._check("event.connection")
        request_context = raw["requestContext"]
        connection = self.get(request_context["connectionId"])
        if connection is not None:
            return connection
        if request_context.get("eventType") == EVENT_DISCONNECT:
            return Connection(_record_of(raw), self)
        raise ConnectionNotFoundError(request_context["connectionId"])

    def seen(self, request_context: RawRequestContext) -> None:
        """Remember when the event's connection expires, so `groups.join` needs no read."""
        hints = self._hints
        if len(hints) >= _HINTS:
            hints.clear()
        connected_at = request_context.get("connectedAt")
        if connected_at:
            hints[request_context["connectionId"]] = expires_at(connected_at)

    def connecting(self, raw: RawEvent) -> None:
        """`$connect` starts: its handler sees (and may update, join) an unstored record.

        `raw` is the CONNECT event, as API Gateway sent it.
        """
        record = _record_of(raw)
        connection_id = record["id"]
        with self._lock:
            self._pending[connection_id] = record

    def connected(self, connection_id: str) -> None:
        """`$connect` accepted the connection: store its record and the groups it joined."""
        with self._lock:
            record = self._pending.pop(connection_id, None)
        if record is not None:
            self.store.put(record)

    def refused(self, connection_id: str) -> None:
        """`$connect` refused (or failed): nothing is stored."""
        with self._lock:
            self._pending.pop(connection_id, None)

    def disconnected(self, connection_id: str) -> None:
        """After `$disconnect` (or a 410): forget the connection and its memberships."""
        self._hints.pop(connection_id, None)
        self.store.delete(connection_id)

    def fan_out_started(self, fan_out_id: str, enqueued: int) -> None:
        """A fan-out handed `enqueued` ids to shards: its counters start with that."""
        self.add_fan_out(fan_out_id, {"enqueued": enqueued})

    def add_fan_out(self, fan_out_id: str, counts: dict[str, int]) -> None:
        """Add a shard's outcome (`delivered`, `gone`, `failed`) to its fan-out's counters."""
        self.store.add_fan_out(fan_out_id, counts)

    def forget(self, connection_ids: Iterable[str]) -> None:
        """Forget connections a send found gone (410)."""
        for connection_id in connection_ids:
            self.disconnected(connection_id)

    # For Groups

    def _pending_record(self, connection_id: str) -> Record | None:
        return self._pending.get(connection_id)

    def _hint(self, connection_id: str) -> int | None:
        return self._hints.get(connection_id)


class Groups:
    """`app.groups`: named sets of connections (rooms, topics), and sending to them."""

    def __init__(self, connections: Connections, websocket_api: WebsocketAPI) -> None:
        self._connections = connections
        self._websocket_api = websocket_api

    def join(self, group: str, connection_id: str) -> None:
        """Add the connection to `group` (a no-op for a member).

        Raises:
            ConnectionNotFoundError: the connection is gone.
            InvalidGroupError: `group` is not a non-empty string of at most 1024 bytes.
        """
        store = self._store("app.groups.join()", group)
        with self._connections._lock:
            pending = self._connections._pending_record(connection_id)
            if pending is not None:
                if group not in pending["groups"]:
                    pending["groups"] = sorted([*pending["groups"], group])
                return
        store.join(group, connection_id, self._connections._hint(connection_id))

    def leave(self, group: str, connection_id: str) -> None:
        """Take the connection out of `group` (a no-op if it is not in it)."""
        store = self._store("app.groups.leave()", group)
        with self._connections._lock:
            pending = self._connections._pending_record(connection_id)
            if pending is not None:
                pending["groups"] = [g for g in pending["groups"] if g != group]
                return
        store.leave(group, connection_id)

    def members(self, group: str) -> Iterator[Connection]:
        """The connections in `group`, read page by page."""
        store = self._store("app.groups.members()", group)
        return (Connection(record, self._connections) for record in store.members(group))

    def count(self, group: str) -> int:
        return self._store("app.groups.count()", group).count_members(group)

    def send(
        self, group: str, message: str | bytes, *, exclude: str | Iterable[str] | None = None
    ) -> BroadcastResult:
        """Send `message` to every member of `group` but `exclude` (an id, or several).

        One `broadcast()` for the whole group; the members it finds gone are forgotten. In
        an app created with `fan_out=True`, a group over the threshold goes to shards
        instead (`websocket_api.fan_out()`): the result's `enqueued` counts them.
        """
        store = self._store("app.groups.send()", group)
        skip = {exclude} if isinstance(exclude, str) else set(exclude or ())
        ids = [i for i in store.member_ids(group) if i not in skip]
        api = self._websocket_api
        if api.on_shards is not None:
            result = api.fan_out(ids, message, group=group)
            if result.fan_out_id is not None:
                return result  # the shards forget the gone members
        else:
            result = api.broadcast(ids, message)
        self.prune(group, result.gone)
        return result

    def prune(self, group: str, gone: Iterable[str]) -> None:
        """Take connections a send found gone out of `group`: a membership whose connection
        is already gone is not deleted with it."""
        store = self._store("app.groups.prune()", group)
        for connection_id in gone:
            store.leave(group, connection_id)

    def _store(self, what: str, group: str) -> ConnectionStore:
        self._connections._check(what)
        _check_group(group)
        return self._connections.store


def _record_of(raw: RawEvent) -> Record:
    """A new record of the event's connection: what API Gateway tells about it."""
    rc = raw["requestContext"]
    given = rc.get("authorizer")
    authorizer = dict(given) if isinstance(given, dict) else {}
    identity: Mapping[str, Any] = rc.get("identity") or {}
    principal = authorizer.pop("principalId", None)
    authorizer.pop("integrationLatency", None)
    connected_at = rc.get("connectedAt") or int(time.time() * 1000)
    record: Record = {
        "id": rc["connectionId"],
        "connected_at": connected_at,
        "expires_at": expires_at(connected_at),
        "principal_id": principal if isinstance(principal, str) and principal else None,
        "authorizer": authorizer,
        "query_params": dict(raw.get("queryStringParameters") or {}),
        "headers": {
            k: v for k, v in (raw.get("headers") or {}).items() if k.lower() not in UNSTORED_HEADERS
        },
        "source_ip": identity.get("sourceIp"),
        "user_agent": identity.get("userAgent"),
        "attributes": {},
        "groups": [],
    }
    return record


def _check_group(group: object) -> None:
    if not isinstance(group, str) or not group:
        raise InvalidGroupError(group, "a group name is a non-empty string")
    if len(group.encode()) > MAX_GROUP_BYTES:
        raise InvalidGroupError(group[:40] + "...", f"longer than {MAX_GROUP_BYTES} bytes")


def _check_attributes(connection_id: str, attributes: dict[str, Any]) -> None:
    import json

    for name, value in attributes.items():
        if not isinstance(name, str) or not name:
            raise InvalidAttributeError(connection_id, str(name), "a name is a non-empty string")
        try:
            json.dumps(value)
        except (TypeError, ValueError) as exc:
            raise InvalidAttributeError(
                connection_id, name, f"not JSON-serialisable ({exc})"
            ) from None


def _as_json(attributes: dict[str, Any]) -> dict[str, Any]:
    import json

    decoded: dict[str, Any] = json.loads(json.dumps(attributes))
    return decoded


def _copy(record: Record) -> Record:
    import json

    copied: Record = json.loads(json.dumps(record))
    return copied
