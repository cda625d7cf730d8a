"""Fan-out through shards with the runtime's own clients, against a loopback server.

The scripted server answers as API Gateway's `@connections` (by connection id) and as SQS's
JSON protocol (`POST /`, `X-Amz-Target: AmazonSQS.SendMessageBatch`), so the signed requests,
the client's retries and the shards' partial failures run as they would in Lambda.
"""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from runtime import (
    App,
    ConnectionsNotEnabledError,
    CredentialsError,
    FanOutNotEnabledError,
    FanOutQueueError,
)
from runtime import fanout as fanout_module
from runtime.background import Background
from runtime.contract import (
    FAN_OUT_FUNCTION,
    FAN_OUT_MAX_RECEIVES,
    FAN_OUT_QUEUE_ENV,
    MAX_MESSAGE_BYTES,
)
from runtime.fanout import MAX_BATCH_BYTES, batches, shard_bodies
from runtime.store import MemoryStore

QUEUE_PATH = "/123456789012/wsgen-fan-out"


def aws_error(status: int, code: str) -> tuple[int, dict[str, str], bytes]:
    return (status, {"x-amzn-ErrorType": code}, b"")


class Gateway:
    """The scripted answers: posts by connection id, SendMessageBatch by entry."""

    def __init__(self) -> None:
        self.posts: list[str] = []
        self.batches: list[dict[str, Any]] = []
        self.throttled: set[str] = set()
        self.gone: set[str] = set()
        self.refuse_entries: dict[str, bool] = {}
        """Entry ids SQS fails, with their `SenderFault`; answered once each."""

    def respond(self, request: dict[str, Any]) -> Any:
        if request["path"] == "/":
            payload = json.loads(request["body"])
            self.batches.append({"headers": request["headers"], "payload": payload})
            failed = []
            for entry in payload["Entries"]:
                sender = self.refuse_entries.pop(entry["Id"], None)
                if sender is not None:
                    failed.append(
                        {"Id": entry["Id"], "SenderFault": sender, "Code": "InternalError"}
                    )
            ok = [
                {"Id": e["Id"]}
                for e in payload["Entries"]
                if e["Id"] not in {f["Id"] for f in failed}
            ]
            answer = {"Successful": ok, "Failed": failed}
            return (
                200,
                {"Content-Type": "application/x-amz-json-1.0"},
                json.dumps(answer).encode(),
            )
        connection_id = request["path"].rsplit("/", 1)[-1]
        self.posts.append(connection_id)
        if connection_id in self.gone:
            return aws_error(410, "GoneException")
        if connection_id in self.throttled:
            return aws_error(429, "LimitExceededException")
        return (200, {}, b"")

    def queued(self) -> list[dict[str, Any]]:
        """Every shard message SQS took, in order, with its DelaySeconds."""
        return [
            {**json.loads(entry["MessageBody"]), "delay": entry.get("DelaySeconds", 0)}
            for batch in self.batches
            for entry in batch["payload"]["Entries"]
        ]


@pytest.fixture
def gateway(server, aws_env, no_sleep, monkeypatch) -> Gateway:
    url, script = server
    gateway = Gateway()
    script.respond = gateway.respond
    monkeypatch.setenv(FAN_OUT_QUEUE_ENV, url + QUEUE_PATH)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.delenv("AWS_ENDPOINT_URL_SQS", raising=False)
    return gateway


@pytest.fixture
def app(server) -> App:
    url, _ = server
    app = App("announce", connections=True, fan_out=True)
    app.websocket_api.configure_endpoint(url + "/dev")
    app.connections.use_store(MemoryStore())
    return app


def track(app: App, *ids: str, group: str | None = None) -> None:
    for connection_id in ids:
        app.connections.connecting(
            {
                "requestContext": {
                    "connectionId": connection_id,
                    "connectedAt": int(time.time() * 1000),
                }
            }
        )
        app.connections.connected(connection_id)
        if group is not None:
            app.connections.store.join(group, connection_id)


def sqs_event(*bodies: str, receives: int = 1) -> dict[str, Any]:
    return {
        "Records": [
            {
                "messageId": f"m{i}",
                "body": body,
                "attributes": {"ApproximateReceiveCount": str(receives)},
            }
            for i, body in enumerate(bodies)
        ]
    }


def shard(fan_out_id: str, ids: list[str], *, attempt: int = 1, group: str | None = None) -> str:
    ((body, _),), _ = shard_bodies(fan_out_id, ids, "news", group, attempt)
    return body


def consume(app: App, event: dict[str, Any]) -> Any:
    return app.function_handler(FAN_OUT_FUNCTION)(event, None)


def test_a_large_fan_out_is_queued_ten_shards_a_signed_request(app, gateway, monkeypatch):
    monkeypatch.setattr(fanout_module, "SHARD_SIZE", 2)
    app.websocket_api.fan_out_threshold = 3
    ids = [f"c{i:02}" for i in range(25)]
    result = app.websocket_api.fan_out(ids, "news")
    assert (result.enqueued, result.delivered, result.gone, result.failed) == (25, [], [], {})
    assert gateway.posts == []  # nothing sent by the caller: the shards will
    assert [len(b["payload"]["Entries"]) for b in gateway.batches] == [10, 3]
    first = gateway.batches[0]
    assert first["headers"]["X-Amz-Target"] == "AmazonSQS.SendMessageBatch"
    assert first["headers"]["Content-Type"] == "application/x-amz-json-1.0"
    assert "/eu-west-1/sqs/aws4_request" in first["headers"]["Authorization"]
    assert first["payload"]["QueueUrl"].endswith(QUEUE_PATH)
    shards = gateway.queued()
    assert [i for s in shards for i in s["ids"]] == ids
    assert {s["wsgen.fan_out"] for s in shards} == {result.fan_out_id}
    assert app.connections.fan_out_status(result.fan_out_id or "") == {
        "enqueued": 25,
        "delivered": 0,
        "gone": 0,
        "failed": 0,
    }


def test_entries_sqs_fails_on_its_side_are_sent_again_and_the_sender_s_are_failed(
    app, gateway, monkeypatch
):
    monkeypatch.setattr(fanout_module, "SHARD_SIZE", 2)
    app.websocket_api.fan_out_threshold = 1
    gateway.refuse_entries = {"0": False, "1": True}  # SQS's fault, then the sender's
    result = app.websocket_api.fan_out(["a", "b", "c", "d"], "news")
    assert result.enqueued == 2  # the first shard again, then queued; the second refused
    assert set(result.failed) == {"c", "d"}
    assert all(isinstance(e, FanOutQueueError) for e in result.failed.values())
    assert [[e["Id"] for e in b["payload"]["Entries"]] for b in gateway.batches] == [
        ["0", "1"],
        ["0"],
    ]


def test_at_or_below_the_threshold_the_caller_sends_itself(app, gateway):
    app.websocket_api.fan_out_threshold = 3
    result = app.websocket_api.fan_out(["a", "b", "c"], "news")
    assert sorted(result.delivered) == ["a", "b", "c"]
    assert (result.enqueued, result.fan_out_id, gateway.batches) == (0, None, [])


def test_a_shard_is_sent_gone_ids_pruned_and_throttled_ids_retried_alone(app, gateway):
    track(app, "ok1", "ok2", "gone1", "busy1", group="room")
    gateway.gone = {"gone1"}
    gateway.throttled = {"busy1"}
    answer = consume(app, sqs_event(shard("f1", ["ok1", "ok2", "gone1", "busy1"], group="room")))
    assert answer == {"batchItemFailures": []}
    # the client retried the throttled post (3 attempts); the others went once
    assert sorted(gateway.posts) == ["busy1"] * 3 + ["gone1", "ok1", "ok2"]
    assert app.connections.get("gone1") is None
    assert list(app.connections.store.member_ids("room")) == ["ok1", "ok2", "busy1"]
    (retry,) = gateway.queued()
    assert (retry["ids"], retry["attempt"], retry["group"]) == (["busy1"], 2, "room")
    assert 1 <= retry["delay"] <= 2  # jittered: 1..RETRY_DELAY_S at the first retry
    assert app.connections.fan_out_status("f1") == {
        "enqueued": 0,
        "delivered": 2,
        "gone": 1,
        "failed": 0,
    }
    gateway.throttled.clear()
    gateway.posts.clear()
    answer = consume(app, sqs_event(json.dumps({k: v for k, v in retry.items() if k != "delay"})))
    assert answer == {"batchItemFailures": []}
    assert gateway.posts == ["busy1"]  # only the retried id: no one gets it twice
    assert app.connections.fan_out_status("f1") == {
        "enqueued": 0,
        "delivered": 3,
        "gone": 1,
        "failed": 0,
    }


def test_a_shard_reaching_no_one_is_a_batch_item_failure_then_counted_failed(app, gateway):
    gateway.throttled = {"busy1", "busy2"}
    body = shard("f2", ["busy1", "busy2"], attempt=3)  # its last attempt
    stuck, fine = sqs_event(body, shard("f2", ["ok"], attempt=3))["Records"]
    answer = consume(app, {"Records": [stuck, fine]})
    assert answer == {"batchItemFailures": [{"itemIdentifier": "m0"}]}  # only the stuck one
    assert gateway.queued() == []  # no attempt left: SQS delivers it again
    assert app.connections.fan_out_status("f2") == {
        "enqueued": 0,
        "delivered": 1,
        "gone": 0,
        "failed": 0,
    }
    last = sqs_event(body, receives=FAN_OUT_MAX_RECEIVES)  # the redrive policy's last delivery
    assert consume(app, last) == {"batchItemFailures": [{"itemIdentifier": "m0"}]}
    status = app.connections.fan_out_status("f2")
    assert status is not None and status["failed"] == 2


class FailingStore(MemoryStore):
    """A store whose writes after the send fail (DynamoDB throttling or unreachable)."""

    def leave(self, group: str, connection_id: str) -> None:
        raise OSError("the table is unreachable")

    def add_fan_out(self, fan_out_id: str, counts: dict[str, int]) -> None:
        if "enqueued" not in counts:
            raise OSError("the table is unreachable")
        super().add_fan_out(fan_out_id, counts)


class FailingQueue(Background):
    """A queue that cannot be reached: Lambda's credentials endpoint failing, say."""

    def shards(self, bodies: list[str], delay_s: int = 0) -> dict[int, Exception]:
        raise CredentialsError("container", "the endpoint answered 500")


def test_bookkeeping_failing_after_the_send_never_sends_the_shard_again(app, gateway, caplog):
    store = FailingStore()
    app.connections.use_store(store)
    app.use_background(FailingQueue())
    track(app, "ok1", "gone1", "busy1", group="room")
    gateway.gone = {"gone1"}
    gateway.throttled = {"busy1"}
    answer = consume(app, sqs_event(shard("f6", ["ok1", "gone1", "busy1"], group="room")))
    assert answer == {"batchItemFailures": []}  # ok1 got it: SQS must not deliver it again
    assert sorted(gateway.posts) == ["busy1"] * 3 + ["gone1", "ok1"]
    assert "could not prune group of fan-out f6: OSError" in caplog.text
    assert "could not queue a retry of fan-out f6: CredentialsError" in caplog.text
    assert "could not count fan-out f6: OSError" in caplog.text


def test_a_shard_reaching_no_one_and_not_requeued_is_delivered_again(app, gateway, caplog):
    app.use_background(FailingQueue())
    gateway.throttled = {"busy1", "busy2"}
    body = shard("f7", ["busy1", "busy2"])
    assert consume(app, sqs_event(body)) == {"batchItemFailures": [{"itemIdentifier": "m0"}]}
    assert app.connections.fan_out_status("f7") is None  # nothing counted: it comes back
    last = sqs_event(body, receives=FAN_OUT_MAX_RECEIVES)  # the redrive policy's last delivery
    assert consume(app, last) == {"batchItemFailures": [{"itemIdentifier": "m0"}]}
    status = app.connections.fan_out_status("f7")
    assert status is not None and status["failed"] == 2


def test_an_unreadable_shard_fails_alone(app, gateway):
    answer = consume(app, sqs_event("not json", shard("f3", ["ok"])))
    assert answer == {"batchItemFailures": [{"itemIdentifier": "m0"}]}
    assert gateway.posts == ["ok"]


def test_a_refused_post_is_failed_at_once_without_retry(app, gateway, server):
    _, script = server
    respond = gateway.respond

    def forbid(request: dict[str, Any]) -> Any:
        if request["path"].endswith("/denied"):
            return aws_error(403, "ForbiddenException")
        return respond(request)

    script.respond = forbid
    assert consume(app, sqs_event(shard("f4", ["denied", "ok"]))) == {"batchItemFailures": []}
    assert gateway.queued() == []
    status = app.connections.fan_out_status("f4")
    assert status is not None and (status["delivered"], status["failed"]) == (1, 1)


def test_shards_stay_within_sqs_s_message_and_batch_limits() -> None:
    ids = [f"{i:016d}" for i in range(2500)]
    shards, _ = shard_bodies("f", ids, "x" * 128 * 1024)
    assert [len(chunk) for _, chunk in shards] == [1000, 1000, 500]
    assert all(len(body.encode()) <= MAX_BATCH_BYTES for body, _ in shards)
    big, _ = shard_bodies("f", ids, b"\xff" * 128 * 1024)  # base64: 171 KiB per message
    assert sum(len(chunk) for _, chunk in big) == 2500
    assert all(len(body.encode()) <= MAX_BATCH_BYTES for body, _ in big)
    groups = batches([body for body, _ in big])
    assert all(len(g) <= 10 for g in groups)
    for group in groups:
        assert sum(len(big[i][0].encode()) for i in group) <= MAX_BATCH_BYTES


def test_non_ascii_messages_are_measured_as_the_utf_8_sqs_counts() -> None:
    emoji = "\U0001f600" * (MAX_MESSAGE_BYTES // 4 - 16)  # 4 bytes each, 128 KB in all
    ids = [f"{i:016d}" for i in range(2500)]
    shards, unfit = shard_bodies("f", ids, emoji)
    assert [len(chunk) for _, chunk in shards] == [1000, 1000, 500]
    assert unfit == []
    for body, _ in shards:
        assert len(body.encode()) <= MAX_BATCH_BYTES
        assert json.loads(body)["text"] == emoji


def test_a_message_whose_escapes_outgrow_sqs_s_limit_is_failed_not_queued(
    app, gateway, caplog
) -> None:
    app.websocket_api.fan_out_threshold = 1
    controls = "\x01" * (MAX_MESSAGE_BYTES - 64)  # 1 byte each sent, 6 in JSON (\\u0001)
    result = app.websocket_api.fan_out(["a", "b"], controls)
    assert (result.enqueued, set(result.failed)) == (0, {"a", "b"})
    assert "over SQS's 262144-byte message limit" in str(result.failed["a"])
    assert gateway.batches == []  # not sent
    assert "2 ids not queued: fan-out" in caplog.text


def test_fan_out_needs_the_app_s_queue() -> None:
    app = App("plain")
    with pytest.raises(FanOutNotEnabledError, match=r"App\(app_name='plain', fan_out=True\)"):
        app.websocket_api.fan_out(["a"], "x")


def test_shards_go_through_a_real_sqs_server_and_back(app, gateway, dynamodb_endpoint, monkeypatch):
    """moto's SQS (the server the DynamoDB tests use) takes the runtime's signed JSON
    requests; what it delivers, the fan-out function sends, each id once."""
    import boto3

    monkeypatch.setattr(fanout_module, "SHARD_SIZE", 2)
    sqs = boto3.client(
        "sqs",
        endpoint_url=dynamodb_endpoint,
        region_name="eu-west-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    url = sqs.create_queue(QueueName=f"fan-out-{time.time_ns()}")["QueueUrl"]
    monkeypatch.setenv(FAN_OUT_QUEUE_ENV, url)
    monkeypatch.setenv("AWS_ENDPOINT_URL_SQS", dynamodb_endpoint)
    app.websocket_api.fan_out_threshold = 3
    ids = [f"c{i:02}" for i in range(25)]
    result = app.websocket_api.fan_out(ids, "news")
    assert (result.enqueued, result.failed) == (25, {})
    assert gateway.batches == []  # SQS's requests went to moto, not the scripted server
    records = []
    while len(records) < 13:
        answer = sqs.receive_message(
            QueueUrl=url, MaxNumberOfMessages=10, AttributeNames=["ApproximateReceiveCount"]
        )
        records += [
            {"messageId": m["MessageId"], "body": m["Body"], "attributes": m["Attributes"]}
            for m in answer.get("Messages", [])
        ]
    assert consume(app, {"Records": records}) == {"batchItemFailures": []}
    assert sorted(gateway.posts) == ids
    assert app.connections.fan_out_status(result.fan_out_id or "") == {
        "enqueued": 25,
        "delivered": 25,
        "gone": 0,
        "failed": 0,
    }


def test_the_threshold_comes_from_the_app_then_the_environment(monkeypatch, caplog) -> None:
    api = App("t", fan_out=True).websocket_api
    monkeypatch.delenv("WSGEN_FAN_OUT_THRESHOLD", raising=False)
    assert api.threshold == 1000
    monkeypatch.setenv("WSGEN_FAN_OUT_THRESHOLD", "250")
    assert api.threshold == 250
    api.fan_out_threshold = 7
    assert api.threshold == 7
    api.fan_out_threshold = None
    monkeypatch.setenv("WSGEN_FAN_OUT_THRESHOLD", "lots")
    assert api.threshold == 1000
    assert "WSGEN_FAN_OUT_THRESHOLD='lots' is not a whole number; using 1000" in caplog.text


def test_each_shard_logs_one_json_line_of_its_outcome(app, gateway, capsys) -> None:
    gateway.gone = {"gone1"}
    consume(app, sqs_event(shard("f5", ["ok", "gone1"]), shard("f5", ["ok2"])))
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert lines == [
        {
            "wsgen.fan_out": "f5",
            "attempt": 1,
            "receives": 1,
            "delivered": 1,
            "gone": 1,
            "failed": 0,
            "retried": 0,
        },
        {
            "wsgen.fan_out": "f5",
            "attempt": 1,
            "receives": 1,
            "delivered": 1,
            "gone": 0,
            "failed": 0,
            "retried": 0,
        },
    ]


def test_send_all_without_fan_out_names_the_call_and_keeps_the_app_s_arguments() -> None:
    """The error names the call made and suggests the app's own arguments plus fan_out."""
    app = App(app_name="m", connections=True)
    with pytest.raises(FanOutNotEnabledError) as raised:
        app.connections.send_all("x")
    message = str(raised.value)
    assert message.startswith("app.connections.send_all() needs the fan-out queue")
    assert "App(app_name='m', connections=True, fan_out=True)" in message


def test_connections_off_suggests_the_app_s_fan_out_too() -> None:
    app = App(app_name="m", fan_out=True)
    with pytest.raises(ConnectionsNotEnabledError) as raised:
        app.connections.count()
    assert "App(app_name='m', fan_out=True, connections=True)" in str(raised.value)
