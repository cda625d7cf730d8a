"""Where tracked connections live: the store interface, and the in-memory store.

A store keeps one record per connection and the groups it joined. A record is a plain dict:

    {"id": str, "connected_at": int (ms), "expires_at": int (epoch seconds),
     "principal_id": str | None, "authorizer": dict, "query_params": dict, "headers": dict,
     "source_ip": str | None, "user_agent": str | None, "attributes": dict,
     "groups": list[str] (sorted)}

Two stores implement `ConnectionStore`: `MemoryStore` here (wsgen local and the test client,
one process) and `runtime.dynamodb.DynamoDBStore` (deployed). Both hold the same promises:

- a record past `expires_at` (2 hours and 10 minutes after connecting) is gone for every
  read: API Gateway ends a connection after 2 hours, and `$disconnect` is best effort, so
  nothing may rely on it for cleanup;
- `delete` removes the record and its memberships, and a `join` or `update` that comes
  after it fails with `ConnectionNotFoundError`: a disconnected connection never comes back;
- `members`, `member_ids`, `count_members`, `for_principal` and `count` read only what they
  need; `all` may read everything.
"""

from __future__ import annotations

import time
from _thread import allocate_lock

from .exceptions import ConnectionNotFoundError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from typing import Any

    Record = dict[str, Any]

CONNECTION_LIFETIME_S = 7200
"""API Gateway closes every connection after 2 hours (docs/aws-facts.md#quotas)."""
DISCONNECT_GRACE_S = 600
"""How much longer a record lives, so that the `$disconnect` API Gateway sends when it ends
a connection at its 2 hours still finds it. `$disconnect` is best effort
(docs/aws-facts.md#disconnect), so nothing else removes a record for sure."""
RECORD_LIFETIME_S = CONNECTION_LIFETIME_S + DISCONNECT_GRACE_S


def expires_at(connected_at_ms: int, lifetime_s: int = RECORD_LIFETIME_S) -> int:
    """When the record of a connection made at `connected_at_ms` expires (epoch seconds)."""
    return connected_at_ms // 1000 + lifetime_s


class ConnectionStore:
    """What the runtime needs from a connection store (see the module docstring)."""

    def put(self, record: Record) -> None:
        """Record a connection that `$connect` accepted, with the groups it joined there."""
        raise NotImplementedError

    def get(self, connection_id: str) -> Record | None:
        """The connection's record, or None when it is gone or expired."""
        raise NotImplementedError

    def update(self, connection_id: str, attributes: dict[str, Any]) -> Record:
        """Set these attributes (others stay); the updated record.

        Raises:
            ConnectionNotFoundError: the connection is gone or expired.
        """
        raise NotImplementedError

    def delete(self, connection_id: str) -> Record | None:
        """Forget the connection and its memberships; its last record, None if it had none."""
        raise NotImplementedError

    def join(self, group: str, connection_id: str, expires_hint: int | None = None) -> None:
        """Add the connection to `group` (no-op if it is a member already).

        `expires_hint` is the record's `expires_at` when the caller knows it (it saves a read
        where the store needs one).

        Raises:
            ConnectionNotFoundError: the connection is gone or expired.
        """
        raise NotImplementedError

    def leave(self, group: str, connection_id: str) -> None:
        """Take the connection out of `group` (no-op if it is not a member, or gone)."""
        raise NotImplementedError

    def member_ids(self, group: str) -> Iterator[str]:
        """The ids of `group`'s members, in the order they joined (memory) or by id."""
        raise NotImplementedError

    def members(self, group: str) -> Iterator[Record]:
        """The records of `group`'s live members."""
        raise NotImplementedError

    def count_members(self, group: str) -> int:
        raise NotImplementedError

    def for_principal(self, principal_id: str) -> Iterator[Record]:
        """The records of every live connection the authorizer gave `principal_id`."""
        raise NotImplementedError

    def all(self) -> Iterator[Record]:
        """Every live record (the one read that may scan)."""
        raise NotImplementedError

    def count(self) -> int:
        """How many connections are live."""
        raise NotImplementedError

    def add_fan_out(self, fan_out_id: str, counts: dict[str, int]) -> None:
        """Add `counts` (`enqueued`, `delivered`, `gone`, `failed`) to a fan-out's counters,
        kept `FAN_OUT_LIFETIME_S` after the first."""
        raise NotImplementedError

    def fan_out(self, fan_out_id: str) -> dict[str, int] | None:
        """A fan-out's counters, every field of `FAN_OUT_FIELDS` (None: none recorded)."""
        raise NotImplementedError


FAN_OUT_FIELDS = ("enqueued", "delivered", "gone", "failed")
FAN_OUT_LIFETIME_S = 86400
"""How long a fan-out's counters are kept: a day."""


class MemoryStore(ConnectionStore):
    """Connections in this process's memory, with the same semantics as DynamoDB's store.

    Safe to use from several threads (wsgen local runs handlers in a pool). `clock` gives
    epoch seconds; tests pass their own to see records expire.
    """

    def __init__(self, *, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._lock = allocate_lock()
        self._records: dict[str, Record] = {}
        self._groups: dict[str, dict[str, None]] = {}  # group -> ids, in joining order
        self._principals: dict[str, dict[str, None]] = {}
        self._fan_outs: dict[str, tuple[float, dict[str, int]]] = {}

    def _live(self, connection_id: str) -> Record | None:
        """The record unless expired (an expired one is dropped); call with the lock held."""
        record = self._records.get(connection_id)
        if record is not None and record["expires_at"] <= self._clock():
            self._drop(connection_id)
            return None
        return record

    def _drop(self, connection_id: str) -> Record | None:
        record = self._records.pop(connection_id, None)
        if record is None:
            return None
        for group in record["groups"]:
            members = self._groups.get(group, {})
            members.pop(connection_id, None)
            if not members:
                self._groups.pop(group, None)
        principal = record["principal_id"]
        if principal is not None:
            ids = self._principals.get(principal, {})
            ids.pop(connection_id, None)
            if not ids:
                self._principals.pop(principal, None)
        return record

    def _purge(self) -> None:
        """Drop every expired record; call with the lock held."""
        now = self._clock()
        for connection_id in [k for k, r in self._records.items() if r["expires_at"] <= now]:
            self._drop(connection_id)

    def put(self, record: Record) -> None:
        stored: Record = _normalized(record)
        stored["attributes"] = _as_json(stored["attributes"])
        stored["groups"] = sorted(set(stored["groups"]))
        with self._lock:
            self._drop(stored["id"])
            self._records[stored["id"]] = stored
            for group in stored["groups"]:
                self._groups.setdefault(group, {})[stored["id"]] = None
            if stored["principal_id"] is not None:
                self._principals.setdefault(stored["principal_id"], {})[stored["id"]] = None

    def get(self, connection_id: str) -> Record | None:
        with self._lock:
            record = self._live(connection_id)
            return None if record is None else _copy(record)

    def update(self, connection_id: str, attributes: dict[str, Any]) -> Record:
        with self._lock:
            record = self._live(connection_id)
            if record is None:
                raise ConnectionNotFoundError(connection_id)
            record["attributes"].update(_as_json(attributes))
            return _copy(record)

    def delete(self, connection_id: str) -> Record | None:
        with self._lock:
            return self._drop(connection_id)

    def join(self, group: str, connection_id: str, expires_hint: int | None = None) -> None:
        with self._lock:
            record = self._live(connection_id)
            if record is None:
                raise ConnectionNotFoundError(connection_id)
            if group not in record["groups"]:
                record["groups"] = sorted([*record["groups"], group])
            self._groups.setdefault(group, {})[connection_id] = None

    def leave(self, group: str, connection_id: str) -> None:
        with self._lock:
            record = self._records.get(connection_id)
            if record is not None and group in record["groups"]:
                record["groups"] = [g for g in record["groups"] if g != group]
            members = self._groups.get(group)
            if members is not None:
                members.pop(connection_id, None)
                if not members:
                    del self._groups[group]

    def member_ids(self, group: str) -> Iterator[str]:
        with self._lock:
            self._purge()
            ids = list(self._groups.get(group, ()))
        return iter(ids)

    def members(self, group: str) -> Iterator[Record]:
        with self._lock:
            self._purge()
            records = [_copy(self._records[i]) for i in self._groups.get(group, ())]
        return iter(records)

    def count_members(self, group: str) -> int:
        with self._lock:
            self._purge()
            return len(self._groups.get(group, ()))

    def for_principal(self, principal_id: str) -> Iterator[Record]:
        with self._lock:
            self._purge()
            records = [_copy(self._records[i]) for i in self._principals.get(principal_id, ())]
        return iter(records)

    def all(self) -> Iterator[Record]:
        with self._lock:
            self._purge()
            records = [_copy(r) for r in self._records.values()]
        return iter(records)

    def count(self) -> int:
        with self._lock:
            self._purge()
            return len(self._records)

    def add_fan_out(self, fan_out_id: str, counts: dict[str, int]) -> None:
        with self._lock:
            now = self._clock()
            for expired in [k for k, (when, _) in self._fan_outs.items() if when <= now]:
                del self._fan_outs[expired]  # a long-lived process keeps no old fan-out
            expires, counters = self._fan_outs.get(fan_out_id) or (
                now + FAN_OUT_LIFETIME_S,
                dict.fromkeys(FAN_OUT_FIELDS, 0),
            )
            for name in FAN_OUT_FIELDS:
                counters[name] += counts.get(name, 0)
            self._fan_outs[fan_out_id] = (expires, counters)

    def fan_out(self, fan_out_id: str) -> dict[str, int] | None:
        with self._lock:
            found = self._fan_outs.get(fan_out_id)
            if found is None or found[0] <= self._clock():
                self._fan_outs.pop(fan_out_id, None)
                return None
            return dict(found[1])


_CONTAINERS = frozenset({dict, list})


def _copy(record: Record) -> Record:
    """A copy the caller may change without touching the store (as a read from DynamoDB).

    Only the dicts and lists are copied, at every depth: `put` made every container of a
    stored record a plain dict or list (`_normalized`), and `update` stores JSON values, so
    what the copy shares with the store is what `_normalized` shares with the caller too
    (str, numbers, None, and any other object given as a value)."""
    copied: Record = _copy_containers(record)
    return copied


def _copy_containers(value: Any) -> Any:
    if type(value) is dict:
        return {
            k: v if type(v) not in _CONTAINERS else _copy_containers(v) for k, v in value.items()
        }
    return [v if type(v) not in _CONTAINERS else _copy_containers(v) for v in value]


def _as_json(attributes: dict[str, Any]) -> dict[str, Any]:
    """The attributes as they come back from JSON, as DynamoDB's store gives them back."""
    import json

    decoded: dict[str, Any] = json.loads(json.dumps(attributes))
    return decoded


def _normalized(value: Any) -> Any:
    """A copy of what `put` was given, every dict (of any dict type) a plain dict and every
    list or tuple a list, at every depth: what `_copy` relies on."""
    if isinstance(value, dict):
        return {k: _normalized(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_normalized(v) for v in value]
    return value
