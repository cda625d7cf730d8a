"""The connections store on DynamoDB: one table, no scan but for `all()`.

Items (keys `pk`, `sk`; `expires_at`, the table's TTL attribute, on every item):

- a connection: `pk = conn#{id}`, `sk = conn`; id, connected_at, principal_id (when an
  authorizer named one: the key of the sparse `principal` index), authorizer, query_params
  and headers (JSON strings), source_ip, user_agent, attributes (a map of JSON strings),
  groups (a string set);
- a group membership: `pk = group#{name}`, `sk = {id}`;
- a counter: `pk = count#{bucket}`, `sk = count`; `n`, the connections made in that
  10-minute bucket and not deleted yet;
- a fan-out's counters: `pk = fanout#{id}`, `sk = fanout`; enqueued, delivered, gone and
  failed (`add_fan_out` is one UpdateItem ADD, `fan_out` one GetItem), kept a day.

- `get` is one GetItem, `members(group)` a Query of the group's partition then BatchGetItem
  of the connections (consistent reads, so a deleted connection is never returned);
  `member_ids` and `count_members` only the Query; `for_principal` a Query of the index then
  BatchGetItem; `count` one BatchGetItem of the counters of the last 2 hours 20 minutes.
- `join` is one transaction: add the group to the connection's set *if the connection
  exists*, and put the membership. `delete` deletes the connection first and reads the
  groups it had in the same call (ReturnValues), then their memberships. A join racing a
  delete either commits before it (and its membership is deleted with the others) or fails
  its condition: a deleted connection never comes back.
- Reads skip items past `expires_at`: DynamoDB's TTL deletes them only some time later.

DynamoDB is reached through `call(operation, payload)`: the JSON 1.0 protocol's operation
name (`GetItem`) and request body, returning the response body. `default_call()` calls
`runtime.aws_json.call_aws_json` with Lambda's credentials when they are there (no boto3: its
import costs a cold start), else goes through boto3's low-level client (`boto3_call()`,
imported on the first call), which finds a developer's profile.
"""

from __future__ import annotations

import os
import time
from _thread import allocate_lock

from .contract import PRINCIPAL_INDEX, TTL_ATTRIBUTE
from .exceptions import ConnectionNotFoundError, ConnectionStoreError
from .store import FAN_OUT_FIELDS, FAN_OUT_LIFETIME_S, RECORD_LIFETIME_S, ConnectionStore

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from typing import Any

    from .store import Record

    Call = Callable[[str, dict[str, Any]], dict[str, Any]]

COUNT_BUCKET_S = 600
"""Connections are counted per 10 minutes of their connection time (see `count`)."""
MAX_BATCH_GET = 100
MAX_BATCH_WRITE = 25
RETRIES = 8
"""Attempts for unprocessed batch items and transaction conflicts, with backoff."""

CONNECTION_SK = "conn"
COUNTER_SK = "count"
_CONFLICTS = ("TransactionConflictException", "TransactionInProgressException")


def _s(value: str) -> dict[str, str]:
    return {"S": value}


def _n(value: int) -> dict[str, str]:
    return {"N": str(value)}


def connection_key(connection_id: str) -> dict[str, Any]:
    return {"pk": _s("conn#" + connection_id), "sk": _s(CONNECTION_SK)}


def membership_key(group: str, connection_id: str) -> dict[str, Any]:
    return {"pk": _s("group#" + group), "sk": _s(connection_id)}


class DynamoDBStore(ConnectionStore):
    """Connections in the DynamoDB table `table_name`, through `call` (boto3's by default).

    `page_size` limits the items of each Query and Scan page (tests use it to see
    pagination); `clock` gives epoch seconds.
    """

    def __init__(
        self,
        table_name: str,
        call: Call | None = None,
        *,
        clock: Callable[[], float] = time.time,
        page_size: int | None = None,
        lifetime_s: int = RECORD_LIFETIME_S,
    ) -> None:
        self.table_name = table_name
        self._call = call or default_call()
        self._clock = clock
        self._page_size = page_size
        self._lifetime_s = lifetime_s

    # Writes

    def put(self, record: Record) -> None:
        old = self._retrying(
            "PutItem",
            {"TableName": self.table_name, "Item": _item(record), "ReturnValues": "ALL_OLD"},
        ).get("Attributes")
        self._batch_write(
            [
                {"PutRequest": {"Item": _membership(group, record["id"], record["expires_at"])}}
                for group in record["groups"]
            ]
        )
        if not old:
            self._add_to_count(record["connected_at"], 1)

    def update(self, connection_id: str, attributes: dict[str, Any]) -> Record:
        import json

        names = {"#a": "attributes", "#e": TTL_ATTRIBUTE}
        values = {":now": _n(int(self._clock()))}
        sets = []
        for i, (name, value) in enumerate(attributes.items()):
            names[f"#k{i}"] = name
            values[f":v{i}"] = _s(json.dumps(value))
            sets.append(f"#a.#k{i} = :v{i}")
        if not sets:
            record = self.get(connection_id)
            if record is None:
                raise ConnectionNotFoundError(connection_id)
            return record
        try:
            response = self._retrying(
                "UpdateItem",
                {
                    "TableName": self.table_name,
                    "Key": connection_key(connection_id),
                    "UpdateExpression": "SET " + ", ".join(sets),
                    "ConditionExpression": "attribute_exists(pk) AND #e > :now",
                    "ExpressionAttributeNames": names,
                    "ExpressionAttributeValues": values,
                    "ReturnValues": "ALL_NEW",
                },
            )
        except ConnectionStoreError as exc:
            if exc.code == "ConditionalCheckFailedException":
                raise ConnectionNotFoundError(connection_id) from None
            raise
        return _record(response["Attributes"])

    def delete(self, connection_id: str) -> Record | None:
        old = self._retrying(
            "DeleteItem",
            {
                "TableName": self.table_name,
                "Key": connection_key(connection_id),
                "ReturnValues": "ALL_OLD",
            },
        ).get("Attributes")
        if not old:
            return None
        record = _record(old)
        self._batch_write(
            [
                {"DeleteRequest": {"Key": membership_key(group, connection_id)}}
                for group in record["groups"]
            ]
        )
        self._add_to_count(record["connected_at"], -1)
        return record

    def join(self, group: str, connection_id: str, expires_hint: int | None = None) -> None:
        now = int(self._clock())
        # The membership expires with its connection; without a hint, at the latest it can.
        expires = expires_hint if expires_hint is not None else now + self._lifetime_s
        membership = {
            "TableName": self.table_name,
            "Item": _membership(group, connection_id, expires),
        }
        try:
            self._write_groups("ADD", group, connection_id, {"Put": membership}, now)
        except ConnectionStoreError as exc:
            if "ConditionalCheckFailed" in exc.reasons:
                raise ConnectionNotFoundError(connection_id) from None
            raise

    def leave(self, group: str, connection_id: str) -> None:
        membership = {"TableName": self.table_name, "Key": membership_key(group, connection_id)}
        try:
            self._write_groups("DELETE", group, connection_id, {"Delete": membership})
        except ConnectionStoreError as exc:
            if "ConditionalCheckFailed" not in exc.reasons:
                raise
            # The connection is gone (an UpdateItem would recreate it): drop the membership.
            self._retrying("DeleteItem", membership)

    def _write_groups(
        self, action: str, group: str, connection_id: str, membership: Any, now: int | None = None
    ) -> None:
        """One transaction: `ADD` or `DELETE` (`action`) `group` in the connection's groups,
        if its record exists (with `now`: and has not expired), and `membership`, the write
        of the group's item. Both happen or neither."""
        names = {"#g": "groups"}
        values: dict[str, Any] = {":g": {"SS": [group]}}
        condition = "attribute_exists(pk)"
        if now is not None:
            names["#e"] = TTL_ATTRIBUTE
            values[":now"] = _n(now)
            condition += " AND #e > :now"
        update = {
            "TableName": self.table_name,
            "Key": connection_key(connection_id),
            "UpdateExpression": f"{action} #g :g",
            "ConditionExpression": condition,
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": values,
        }
        self._retrying("TransactWriteItems", {"TransactItems": [{"Update": update}, membership]})

    # Reads

    def get(self, connection_id: str) -> Record | None:
        item = self._call(
            "GetItem",
            {
                "TableName": self.table_name,
                "Key": connection_key(connection_id),
                "ConsistentRead": True,
            },
        ).get("Item")
        if not item or int(item[TTL_ATTRIBUTE]["N"]) <= self._clock():
            return None
        return _record(item)

    def member_ids(self, group: str) -> Iterator[str]:
        for page in self._group_pages(group):
            yield from (item["sk"]["S"] for item in page)

    def members(self, group: str) -> Iterator[Record]:
        for page in self._group_pages(group):
            yield from self._connections([item["sk"]["S"] for item in page])

    def count_members(self, group: str) -> int:
        payload = self._group_query(group)
        del payload["ProjectionExpression"]
        payload["Select"] = "COUNT"
        return sum(response["Count"] for response in self._responses("Query", payload))

    def for_principal(self, principal_id: str) -> Iterator[Record]:
        payload = {
            "TableName": self.table_name,
            "IndexName": PRINCIPAL_INDEX,
            "KeyConditionExpression": "principal_id = :p",
            "ExpressionAttributeValues": {":p": _s(principal_id)},
        }
        for response in self._responses("Query", payload):
            ids = [item["pk"]["S"].removeprefix("conn#") for item in response["Items"]]
            yield from self._connections(ids)

    def all(self) -> Iterator[Record]:
        payload = {
            "TableName": self.table_name,
            "FilterExpression": "sk = :conn AND #e > :now",
            "ExpressionAttributeNames": {"#e": TTL_ATTRIBUTE},
            "ExpressionAttributeValues": {
                ":conn": _s(CONNECTION_SK),
                ":now": _n(int(self._clock())),
            },
            "ConsistentRead": True,
        }
        for response in self._responses("Scan", payload):
            yield from (_record(item) for item in response["Items"])

    def count(self) -> int:
        """Connections whose records may still be live, and not deleted since.

        A connection whose `$disconnect` never came (API Gateway delivers it on a best-effort
        basis) counts until its 10-minute bucket is older than its lifetime.
        """
        now = int(self._clock())
        newest = now // COUNT_BUCKET_S * COUNT_BUCKET_S
        buckets = range(newest, now - self._lifetime_s - COUNT_BUCKET_S, -COUNT_BUCKET_S)
        keys = [_counter_key(bucket) for bucket in buckets]
        items = self._batch_get(keys, projection="#n", names={"#n": "n"})
        return max(0, sum(int(item["n"]["N"]) for item in items if "n" in item))

    # Fan-out counters

    def add_fan_out(self, fan_out_id: str, counts: dict[str, int]) -> None:
        adds = [name for name in FAN_OUT_FIELDS if counts.get(name)]
        if not adds:
            return
        names = {f"#{name}": name for name in adds}
        names["#ttl"] = TTL_ATTRIBUTE
        values = {f":{name}": _n(counts[name]) for name in adds}
        values[":ttl"] = _n(int(self._clock()) + FAN_OUT_LIFETIME_S)
        self._retrying(
            "UpdateItem",
            {
                "TableName": self.table_name,
                "Key": _fan_out_key(fan_out_id),
                "UpdateExpression": "ADD "
                + ", ".join(f"#{name} :{name}" for name in adds)
                + " SET #ttl = if_not_exists(#ttl, :ttl)",
                "ExpressionAttributeNames": names,
                "ExpressionAttributeValues": values,
            },
        )

    def fan_out(self, fan_out_id: str) -> dict[str, int] | None:
        item = self._call(
            "GetItem",
            {"TableName": self.table_name, "Key": _fan_out_key(fan_out_id), "ConsistentRead": True},
        ).get("Item")
        if not item or int(item[TTL_ATTRIBUTE]["N"]) <= self._clock():
            return None
        return {name: int(item[name]["N"]) if name in item else 0 for name in FAN_OUT_FIELDS}

    # DynamoDB calls

    def _add_to_count(self, connected_at_ms: int, delta: int) -> None:
        bucket = connected_at_ms // 1000 // COUNT_BUCKET_S * COUNT_BUCKET_S
        self._retrying(
            "UpdateItem",
            {
                "TableName": self.table_name,
                "Key": _counter_key(bucket),
                "UpdateExpression": "ADD #n :d SET #e = :e",
                "ExpressionAttributeNames": {"#n": "n", "#e": TTL_ATTRIBUTE},
                "ExpressionAttributeValues": {
                    ":d": _n(delta),
                    ":e": _n(bucket + COUNT_BUCKET_S + self._lifetime_s),
                },
            },
        )

    def _group_query(self, group: str) -> dict[str, Any]:
        return {
            "TableName": self.table_name,
            "KeyConditionExpression": "pk = :pk",
            "FilterExpression": "#e > :now",
            "ProjectionExpression": "sk",
            # Consistent: a send right after a join reaches the joiner (its own "joined").
            "ConsistentRead": True,
            "ExpressionAttributeNames": {"#e": TTL_ATTRIBUTE},
            "ExpressionAttributeValues": {
                ":pk": _s("group#" + group),
                ":now": _n(int(self._clock())),
            },
        }

    def _group_pages(self, group: str) -> Iterator[list[dict[str, Any]]]:
        for response in self._responses("Query", self._group_query(group)):
            yield response["Items"]

    def _responses(self, operation: str, payload: dict[str, Any]) -> Iterator[dict[str, Any]]:
        """Every page of a Query or Scan."""
        if self._page_size is not None:
            payload["Limit"] = self._page_size
        while True:
            response = self._call(operation, payload)
            yield response
            last = response.get("LastEvaluatedKey")
            if not last:
                return
            payload["ExclusiveStartKey"] = last

    def _connections(self, ids: list[str]) -> Iterator[Record]:
        """The live records of these connections, in this order (gone ones left out)."""
        found = {}
        now = self._clock()
        for item in self._batch_get([connection_key(i) for i in ids]):
            if int(item[TTL_ATTRIBUTE]["N"]) > now:
                found[item["id"]["S"]] = item
        return (_record(found[i]) for i in ids if i in found)

    def _batch_get(
        self,
        keys: list[dict[str, Any]],
        projection: str | None = None,
        names: dict[str, str] | None = None,
    ) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        for start in range(0, len(keys), MAX_BATCH_GET):
            request: dict[str, Any] = {
                "Keys": keys[start : start + MAX_BATCH_GET],
                "ConsistentRead": True,
            }
            if projection is not None:
                request["ProjectionExpression"] = projection
                request["ExpressionAttributeNames"] = names
            pending = {self.table_name: request}
            for attempt in range(RETRIES):
                response = self._call("BatchGetItem", {"RequestItems": pending})
                items.extend(response.get("Responses", {}).get(self.table_name, ()))
                pending = response.get("UnprocessedKeys") or {}
                if not pending:
                    break
                _backoff(attempt)
            else:
                raise ConnectionStoreError("BatchGetItem", "UnprocessedKeys", "throttled")
        return items

    def _batch_write(self, requests: list[dict[str, Any]]) -> None:
        for start in range(0, len(requests), MAX_BATCH_WRITE):
            pending = {self.table_name: requests[start : start + MAX_BATCH_WRITE]}
            for attempt in range(RETRIES):
                response = self._call("BatchWriteItem", {"RequestItems": pending})
                pending = response.get("UnprocessedItems") or {}
                if not pending:
                    break
                _backoff(attempt)
            else:
                raise ConnectionStoreError("BatchWriteItem", "UnprocessedItems", "throttled")

    def _retrying(self, operation: str, payload: dict[str, Any]) -> dict[str, Any]:
        """`call`, again after a conflict with a transaction on the same item."""
        for attempt in range(RETRIES):
            try:
                return self._call(operation, payload)
            except ConnectionStoreError as exc:
                conflict = exc.code in _CONFLICTS or "TransactionConflict" in exc.reasons
                if not conflict or attempt == RETRIES - 1:
                    raise
            _backoff(attempt)
        raise AssertionError("unreachable")


def _backoff(attempt: int) -> None:
    time.sleep(min(0.01 * 2**attempt, 0.5))


def _fan_out_key(fan_out_id: str) -> dict[str, Any]:
    return {"pk": _s("fanout#" + fan_out_id), "sk": _s("fanout")}


def _counter_key(bucket: int) -> dict[str, Any]:
    return {"pk": _s(f"count#{bucket}"), "sk": _s(COUNTER_SK)}


def _membership(group: str, connection_id: str, expires: int) -> dict[str, Any]:
    return {**membership_key(group, connection_id), TTL_ATTRIBUTE: _n(expires)}


_JSON_FIELDS = ("authorizer", "query_params", "headers")
_OPTIONAL_FIELDS = ("principal_id", "source_ip", "user_agent")


def _item(record: Record) -> dict[str, Any]:
    import json

    item = {
        **connection_key(record["id"]),
        "id": _s(record["id"]),
        "connected_at": _n(record["connected_at"]),
        TTL_ATTRIBUTE: _n(record["expires_at"]),
        "attributes": {"M": {k: _s(json.dumps(v)) for k, v in record["attributes"].items()}},
    }
    for name in _JSON_FIELDS:
        item[name] = _s(json.dumps(record[name]))
    for name in _OPTIONAL_FIELDS:
        if record[name]:  # a key of the principal index may not be empty
            item[name] = _s(record[name])
    if record["groups"]:
        item["groups"] = {"SS": sorted(set(record["groups"]))}
    return item


def _record(item: dict[str, Any]) -> Record:
    import json

    record: Record = {
        "id": item["id"]["S"],
        "connected_at": int(item["connected_at"]["N"]),
        "expires_at": int(item[TTL_ATTRIBUTE]["N"]),
        "attributes": {k: json.loads(v["S"]) for k, v in item["attributes"]["M"].items()},
        "groups": sorted(item["groups"]["SS"]) if "groups" in item else [],
    }
    for name in _JSON_FIELDS:
        record[name] = json.loads(item[name]["S"])
    for name in _OPTIONAL_FIELDS:
        record[name] = item[name]["S"] if name in item else None
    return record


TARGET_PREFIX = "DynamoDB_20120810."
"""`X-Amz-Target` of the JSON 1.0 protocol: this prefix and the operation name."""


def default_call(
    endpoint_url: str | None = None, region: str | None = None, fallback: Call | None = None
) -> Call:
    """`call` through `runtime.aws_json.call_aws_json` with Lambda's credentials, else through
    `fallback` (boto3's by default).

    The endpoint is `endpoint_url`, else `call_aws_json`'s (`AWS_ENDPOINT_URL_DYNAMODB`, or
    `AWS_ENDPOINT_URL`, as boto3 reads them, else the region's); the region `region`, else
    the endpoint's own, else `AWS_REGION`, `AWS_DEFAULT_REGION`, us-east-1. AWS's errors
    become `ConnectionStoreError`s with DynamoDB's code (and a cancelled transaction's
    reasons).
    """
    other: list[Call] = [] if fallback is None else [fallback]

    def call(operation: str, payload: dict[str, Any]) -> dict[str, Any]:
        from .aws import credentials

        found = credentials()
        if found is None:  # no Lambda credentials: boto3's chain (a profile, SSO, ...)
            if not other:
                other.append(boto3_call(endpoint_url, region=region))
            return other[0](operation, payload)
        return _signed(operation, payload, found, endpoint_url, region)

    return call


def _signed(
    operation: str,
    payload: dict[str, Any],
    signing: Any,
    endpoint_url: str | None,
    region: str | None,
) -> dict[str, Any]:
    from .aws_json import call_aws_json
    from .exceptions import AwsApiError

    try:
        answer: dict[str, Any] = call_aws_json(
            "dynamodb",
            TARGET_PREFIX + operation,
            payload,
            json_version="1.0",
            endpoint=endpoint_url,
            region=region,
            credentials=signing,
        )
    except AwsApiError as exc:
        cancelled = exc.details.get("CancellationReasons")
        reasons = tuple(r.get("Code", "None") for r in cancelled or ())
        code = exc.code or f"HTTP {exc.status}"
        raise ConnectionStoreError(operation, code, exc.message or "", reasons) from exc
    return answer


def boto3_call(
    endpoint_url: str | None = None, client: Any = None, region: str | None = None
) -> Call:
    """`call` on boto3's low-level DynamoDB client: `client`, else one made on the first call.

    The endpoint is `endpoint_url`, else boto3's own choice (`AWS_ENDPOINT_URL_DYNAMODB`,
    then the region's). boto3's errors become `ConnectionStoreError`s with DynamoDB's code.
    """
    lock = allocate_lock()

    def call(operation: str, payload: dict[str, Any]) -> dict[str, Any]:
        nonlocal client
        if client is None:
            with lock:
                if client is None:
                    client = _new_client(endpoint_url, region)
        from botocore.exceptions import ClientError

        try:
            response: dict[str, Any] = getattr(client, _snake_case(operation))(**payload)
        except ClientError as exc:
            error = exc.response.get("Error", {})
            reasons = tuple(
                reason.get("Code", "None") for reason in exc.response.get("CancellationReasons", ())
            )
            raise ConnectionStoreError(
                operation, error.get("Code", "Unknown"), error.get("Message", ""), reasons
            ) from exc
        response.pop("ResponseMetadata", None)
        return response

    return call


def _new_client(endpoint_url: str | None, region: str | None) -> Any:
    import boto3.session
    from botocore.config import Config

    session = boto3.session.Session()
    region = region or os.environ.get("AWS_REGION") or session.region_name or "us-east-1"
    return session.client(
        "dynamodb",
        endpoint_url=endpoint_url,
        region_name=region,
        config=Config(max_pool_connections=64),
    )


def _snake_case(operation: str) -> str:
    """`BatchGetItem` gives `batch_get_item`, boto3's method name."""
    return "".join("_" + c.lower() if c.isupper() else c for c in operation).lstrip("_")
