"""The connection stores' shared promises, held by the in-memory one and by DynamoDB's.

The DynamoDB store runs against moto's server on loopback, through boto3 and HTTP.
"""

from __future__ import annotations

import contextlib
import threading
import time

import pytest

from runtime.dynamodb import COUNT_BUCKET_S, DynamoDBStore, boto3_call, default_call
from runtime.exceptions import ConnectionNotFoundError, ConnectionStoreError
from runtime.store import RECORD_LIFETIME_S, MemoryStore, expires_at
from tests.support.dynamodb import new_table

T0 = 1_764_000_000  # epoch seconds the clock starts at


class Clock:
    def __init__(self) -> None:
        self.now = float(T0)

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def moto_credentials(monkeypatch):
    """Keys and a region to sign requests to moto's server with (it takes any keys)."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_REGION", "us-east-1")


@pytest.fixture
def dynamodb_call(dynamodb_endpoint, moto_credentials):
    """What the runtime uses in Lambda: requests signed by runtime.aws, no boto3."""
    return default_call(dynamodb_endpoint)


@pytest.fixture
def boto3_dynamodb_call(dynamodb_endpoint, moto_credentials):
    """What it uses without Lambda's credentials: boto3's client."""
    return boto3_call(dynamodb_endpoint)


def atomic(call):
    """`call`, one at a time: each DynamoDB request is atomic on AWS, but not on moto.

    moto applies a transaction's items one by one and restores a copy of the whole table when
    one fails, so a request running meanwhile in another thread can interleave with it or be
    undone. DynamoDB isolates transactions from every other write
    (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/transaction-apis.html#transaction-isolation).
    Serialising requests keeps that promise and leaves every interleaving between requests,
    which is where the store's own races are.
    """
    lock = threading.Lock()

    def serialised(operation, payload):
        with lock:
            return call(operation, payload)

    return serialised


@pytest.fixture(params=["memory", pytest.param("dynamodb", marks=pytest.mark.external)])
def store(request, clock):
    if request.param == "memory":
        return MemoryStore(clock=clock)
    endpoint = request.getfixturevalue("dynamodb_endpoint")
    call = atomic(request.getfixturevalue("dynamodb_call"))
    return DynamoDBStore(new_table(endpoint), call, clock=clock, page_size=7)


def record(connection_id, *, at=T0, principal=None, groups=(), attributes=None):
    connected_at = at * 1000 + 123
    return {
        "id": connection_id,
        "connected_at": connected_at,
        "expires_at": expires_at(connected_at),
        "principal_id": principal,
        "authorizer": {"nick": "ana"} if principal else {},
        "query_params": {"room": "lobby"},
        "headers": {"Host": "example.com", "Origin": "https://example.com"},
        "source_ip": "203.0.113.10",
        "user_agent": "pytest",
        "attributes": dict(attributes or {}),
        "groups": list(groups),
    }


def test_a_put_record_reads_back_whole(store):
    store.put(record("A=", principal="ana", groups=["lobby"], attributes={"n": 1}))
    assert store.get("A=") == record("A=", principal="ana", groups=["lobby"], attributes={"n": 1})
    assert store.get("B=") is None


def test_update_merges_attributes_as_json_values(store):
    store.put(record("A=", attributes={"nick": "ana", "n": 1}))
    updated = store.update("A=", {"n": 2, "seen": (1, "x"), "deep": {"k": [None, 1.5]}})
    expected = {"nick": "ana", "n": 2, "seen": [1, "x"], "deep": {"k": [None, 1.5]}}
    assert updated["attributes"] == expected
    assert store.get("A=")["attributes"] == expected


def test_records_put_or_read_are_copies_the_caller_may_change(store):
    given = record("A=", principal="ana", groups=["lobby"], attributes={"deep": {"k": [1]}})
    given["headers"]["X-Multi"] = ("a", "b")  # a tuple comes back a list, as from JSON
    store.put(given)
    given["attributes"]["deep"]["k"].append(2)
    given["headers"]["Host"] = "changed.example"
    given["groups"].append("attic")
    expected = record("A=", principal="ana", groups=["lobby"], attributes={"deep": {"k": [1]}})
    expected["headers"]["X-Multi"] = ["a", "b"]
    assert store.get("A=") == expected
    reads = [
        store.get("A="),
        store.update("A=", {}),
        *store.members("lobby"),
        *store.for_principal("ana"),
        *store.all(),
    ]
    for read in reads:
        read["attributes"]["deep"]["k"].append(3)
        read["headers"]["X-Multi"].append("c")
        read["authorizer"]["nick"] = "eve"
        read["query_params"].clear()
        read["groups"].append("attic")
        read["id"] = "B="
    assert store.get("A=") == expected
    assert list(store.member_ids("attic")) == []


def test_update_of_an_unknown_connection_raises_naming_it(store):
    with pytest.raises(ConnectionNotFoundError, match="connection Z= is not connected"):
        store.update("Z=", {"n": 1})
    assert store.get("Z=") is None  # and did not create it


def test_join_and_leave_keep_members_and_the_records_groups(store):
    for cid in ("A=", "B=", "C="):
        store.put(record(cid))
    store.join("lobby", "A=")
    store.join("lobby", "B=")
    store.join("lobby", "B=")  # already a member: no-op
    store.join("kitchen", "B=")
    assert sorted(store.member_ids("lobby")) == ["A=", "B="]
    assert sorted(r["id"] for r in store.members("lobby")) == ["A=", "B="]
    assert store.count_members("lobby") == 2
    assert store.get("B=")["groups"] == ["kitchen", "lobby"]
    store.leave("lobby", "B=")
    store.leave("lobby", "C=")  # not a member: no-op
    assert list(store.member_ids("lobby")) == ["A="]
    assert store.get("B=")["groups"] == ["kitchen"]
    assert store.count_members("nowhere") == 0
    assert list(store.members("nowhere")) == []


def test_groups_joined_at_connect_are_members(store):
    store.put(record("A=", groups=["lobby", "news"]))
    assert list(store.member_ids("news")) == ["A="]
    assert store.count_members("lobby") == 1


def test_delete_forgets_the_connection_and_its_memberships(store):
    store.put(record("A=", principal="ana", groups=["lobby"]))
    store.put(record("B="))
    store.join("news", "A=")
    store.join("news", "B=")
    old = store.delete("A=")
    assert old["id"] == "A=" and old["groups"] == ["lobby", "news"]
    assert store.get("A=") is None
    assert list(store.member_ids("lobby")) == []
    assert list(store.member_ids("news")) == ["B="]
    assert list(store.for_principal("ana")) == []
    assert store.delete("A=") is None  # a second $disconnect, or one after a 410


def test_a_deleted_connection_never_comes_back(store):
    store.put(record("A="))
    store.delete("A=")
    with pytest.raises(ConnectionNotFoundError):
        store.join("lobby", "A=")
    with pytest.raises(ConnectionNotFoundError):
        store.update("A=", {"nick": "late"})
    store.leave("lobby", "A=")  # harmless
    assert store.get("A=") is None
    assert list(store.member_ids("lobby")) == []
    assert store.count_members("lobby") == 0
    assert store.count() == 0


def test_for_principal_finds_every_connection_of_one_principal(store):
    store.put(record("A=", principal="ana"))
    store.put(record("B=", principal="ana"))
    store.put(record("C=", principal="bo"))
    store.put(record("D="))
    assert sorted(r["id"] for r in store.for_principal("ana")) == ["A=", "B="]
    assert [r["id"] for r in store.for_principal("bo")] == ["C="]
    assert list(store.for_principal("nobody")) == []


def test_count_and_all(store):
    for cid in ("A=", "B=", "C="):
        store.put(record(cid))
    store.delete("B=")
    assert store.count() == 2
    assert sorted(r["id"] for r in store.all()) == ["A=", "C="]


def test_put_of_the_same_connection_twice_counts_it_once(store):
    store.put(record("A="))
    store.put(record("A="))
    assert store.count() == 1


def test_records_expire_after_api_gateways_two_hours(store, clock):
    store.put(record("A=", principal="ana", groups=["lobby"]))
    clock.now = T0 + 3600
    store.put(record("B=", at=T0 + 3600, groups=["lobby"]))
    assert store.count() == 2
    # Past A's record's lifetime, and the 10 minutes DynamoDB's counter rounds connections to.
    clock.now = T0 + RECORD_LIFETIME_S + COUNT_BUCKET_S + 1
    assert store.get("A=") is None
    assert store.get("B=") is not None
    assert list(store.member_ids("lobby")) == ["B="]
    assert [r["id"] for r in store.members("lobby")] == ["B="]
    assert store.count_members("lobby") == 1
    assert list(store.for_principal("ana")) == []
    assert [r["id"] for r in store.all()] == ["B="]
    assert store.count() == 1
    with pytest.raises(ConnectionNotFoundError):
        store.update("A=", {"n": 1})
    with pytest.raises(ConnectionNotFoundError):
        store.join("news", "A=")


def test_memory_store_expires_a_record_at_its_exact_second(clock):
    store = MemoryStore(clock=clock)
    store.put(record("A="))
    clock.now = expires_at(record("A=")["connected_at"]) - 0.5
    assert store.count() == 1
    clock.now += 0.5
    assert store.count() == 0 and store.get("A=") is None


def test_a_large_group_reads_page_by_page(store):
    ids = [f"C{i:03d}=" for i in range(230)]  # > 2 BatchGetItem batches, 33 pages of 7
    for cid in ids:
        store.put(record(cid, groups=["big"]))
    assert sorted(store.member_ids("big")) == ids
    assert sorted(r["id"] for r in store.members("big")) == ids
    assert store.count_members("big") == 230
    assert store.count() == 230
    assert sorted(r["id"] for r in store.all()) == ids


def test_a_connection_in_many_groups_leaves_them_all_on_delete(store):
    groups = [f"g{i}" for i in range(60)]  # > 2 BatchWriteItem batches
    store.put(record("A=", groups=groups[:30]))
    for group in groups[30:]:
        store.join(group, "A=")
    store.delete("A=")
    assert all(store.count_members(g) == 0 for g in groups)


def test_memory_store_serves_a_group_of_10000():
    store = MemoryStore()
    ids = [f"C{i:05d}=" for i in range(10_000)]
    now = int(time.time())
    for cid in ids:
        store.put(record(cid, at=now, groups=["all"]))
    assert store.count_members("all") == 10_000
    assert list(store.member_ids("all")) == ids


@pytest.mark.parametrize("rounds", [40])
def test_join_or_update_racing_delete_never_resurrects(store, rounds):
    """$disconnect in one invocation, join/update of the same connection in another."""
    for n in range(rounds):
        cid = f"R{n:03d}="
        store.put(record(cid))
        start = threading.Barrier(2)
        outcomes = []

        def joiner(cid=cid, start=start, outcomes=outcomes):
            start.wait()
            try:
                for i in range(10):
                    store.join(f"room{i % 3}", cid)
                    store.update(cid, {"i": i})
                outcomes.append("finished")
            except ConnectionNotFoundError:
                outcomes.append("refused")

        def deleter(cid=cid, start=start):
            start.wait()
            store.delete(cid)

        threads = [threading.Thread(target=joiner), threading.Thread(target=deleter)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert outcomes, "the joiner thread failed otherwise"
        assert store.get(cid) is None
        for group in ("room0", "room1", "room2"):
            assert cid not in list(store.member_ids(group))
            assert store.count_members(group) == 0
    assert store.count() == 0


def interrupted(call, at, action):
    """`call`, with `action()` run just before its call number `at` (0-based)."""
    made = []

    def interrupting(operation, payload):
        if len(made) == at:
            action()
        made.append(operation)
        return call(operation, payload)

    return interrupting, made


def test_delete_between_any_two_requests_of_joins_and_updates(
    dynamodb_endpoint, dynamodb_call, clock
):
    """Every point at which $disconnect can come between a handler's requests."""
    table = new_table(dynamodb_endpoint)
    other = DynamoDBStore(table, dynamodb_call, clock=clock)
    at = 0
    while True:
        cid = f"K{at}="
        other.put(record(cid))
        call, made = interrupted(dynamodb_call, at, lambda cid=cid: other.delete(cid))
        store = DynamoDBStore(table, call, clock=clock)
        try:
            store.join("room", cid)
            store.update(cid, {"nick": "ana"})
            store.join("news", cid)
            store.leave("room", cid)
            store.join("room", cid)
        except ConnectionNotFoundError:
            pass
        finished = len(made) <= at
        if finished:
            other.delete(cid)
        assert store.get(cid) is None
        assert store.count_members("room") == store.count_members("news") == 0
        if finished:
            break
        at += 1
    assert at == 5  # every request of the handler was interrupted once
    assert other.count() == 0


def test_join_between_any_two_requests_of_a_delete(dynamodb_endpoint, dynamodb_call, clock):
    table = new_table(dynamodb_endpoint)
    other = DynamoDBStore(table, dynamodb_call, clock=clock)
    for at in range(3):  # DeleteItem, BatchWriteItem of the memberships, the counter
        cid = f"D{at}="
        other.put(record(cid, groups=["lobby"]))

        def join(cid=cid):
            with contextlib.suppress(ConnectionNotFoundError):
                other.join("late", cid)

        call, made = interrupted(dynamodb_call, at, join)
        DynamoDBStore(table, call, clock=clock).delete(cid)
        assert made == ["DeleteItem", "BatchWriteItem", "UpdateItem"]
        assert other.get(cid) is None
        assert other.count_members("lobby") == other.count_members("late") == 0
    assert other.count() == 0


@pytest.fixture(params=[pytest.param(p, marks=pytest.mark.external) for p in ("signed", "boto3")])
def any_call(request):
    return request.getfixturevalue(
        "dynamodb_call" if request.param == "signed" else "boto3_dynamodb_call"
    )


def test_either_call_turns_dynamodb_errors_into_store_errors(any_call):
    with pytest.raises(ConnectionStoreError) as err:
        any_call("GetItem", {"TableName": "no-such-table", "Key": {"pk": {"S": "x"}}})
    assert err.value.code == "ResourceNotFoundException"
    assert "GetItem failed with ResourceNotFoundException" in str(err.value)


def test_either_call_reports_a_cancelled_transactions_reasons(any_call, dynamodb_endpoint, clock):
    table = new_table(dynamodb_endpoint)
    store = DynamoDBStore(table, any_call, clock=clock)
    with pytest.raises(ConnectionNotFoundError):  # from the reasons: ConditionalCheckFailed
        store.join("lobby", "nobody=")
    store.put(record("A=", groups=["lobby"]))
    assert [r["id"] for r in store.members("lobby")] == ["A="]


def test_without_lambda_credentials_the_call_goes_through_boto3(monkeypatch):
    from runtime.dynamodb import default_call as make

    for name in (
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", raising=False)
    seen = []
    call = make(fallback=lambda operation, payload: seen.append(operation) or {"Item": {}})
    assert call("GetItem", {}) == {"Item": {}}
    assert seen == ["GetItem"]


def test_fan_out_counters_add_up_and_expire_after_a_day(store, clock):
    assert store.fan_out("f1") is None
    store.add_fan_out("f1", {"enqueued": 5})
    store.add_fan_out("f1", {"delivered": 3, "gone": 1})
    store.add_fan_out("f1", {"failed": 1, "delivered": 0})
    assert store.fan_out("f1") == {"enqueued": 5, "delivered": 3, "gone": 1, "failed": 1}
    clock.now += 86400
    assert store.fan_out("f1") is None


def test_the_memory_store_forgets_expired_fan_outs_as_new_ones_come(clock):
    store = MemoryStore(clock=clock)
    for n in range(100):
        store.add_fan_out(f"old{n}", {"enqueued": 1})
    clock.now += 86400
    store.add_fan_out("new", {"enqueued": 1})
    assert list(store._fan_outs) == ["new"]  # a long-lived emulator does not grow
