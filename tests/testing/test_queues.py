"""`Client.send_sqs_message`: a message to one of the app's queues runs its handler in memory,
as Lambda's poller would: failed messages again, up to their last delivery."""

from __future__ import annotations

import json
from typing import Any

import pytest

from runtime import App
from tests.support.builders import new_app
from wsgen.gateway.sqs import MAX_MESSAGE_BYTES, MAX_RECEIVES, SqsError
from wsgen.testing import Client, QueueMessageError
from wsgen.testing.client import _python_reason

EXISTING_ARN = "arn:aws:sqs:eu-west-1:111122223333:existing"


@pytest.fixture
def workers() -> App:
    app = new_app("workers")

    @app.on_sqs_message(queue="jobs", batch_size=10)
    def jobs(event: Any) -> None:
        for record in event:
            job = json.loads(record.body)
            receives = int(record.attributes["ApproximateReceiveCount"])
            if job.get("fail", 0) < 0 or receives <= job.get("fail", 0):
                raise RuntimeError(f"not yet: {job['id']}")
            kind = record.message_attributes.get("kind", {}).get("stringValue")
            pushed = {"id": job["id"], "receives": receives, "kind": kind}
            app.websocket_api.send(job["to"], json.dumps(pushed))

    @app.on_sqs_message(queue="orders.fifo", batch_size=10)
    def orders(event: Any) -> None:
        for record in event:
            order = json.loads(record.body)
            receives = int(record.attributes["ApproximateReceiveCount"])
            if receives <= order.get("fail", 0):
                raise RuntimeError(f"not yet: {order['id']}")
            group = record.attributes["MessageGroupId"]
            app.websocket_api.send(order["to"], f"{group}/{order['id']}/{receives}")

    @app.on_sqs_message(queue_arn=EXISTING_ARN)
    def existing(event: Any) -> None:
        for record in event:
            where = [record.event_source_arn, record.raw["awsRegion"]]
            app.websocket_api.send(record.body, json.dumps(where))

    return app


def test_a_message_runs_the_queue_handler_before_the_call_returns(workers: App) -> None:
    with Client(workers) as client, client.connect() as ws:
        job = json.dumps({"id": "j-1", "to": ws.connection_id})
        attributes = {"kind": {"DataType": "String", "StringValue": "report"}}
        message_id = client.send_sqs_message("jobs", job, message_attributes=attributes)
        assert json.loads(ws.receive_text()) == {"id": "j-1", "receives": 1, "kind": "report"}
        [(name, event)] = client.invocations
        assert name == "jobs"
        [record] = event["Records"]
        assert record["messageId"] == message_id
        assert record["eventSourceARN"] == "arn:aws:sqs:us-east-1:123456789012:jobs"


def test_a_failed_message_comes_again_and_one_that_always_fails_is_a_dead_letter(
    workers: App,
) -> None:
    with Client(workers) as client, client.connect() as ws:
        message_id = client.send_sqs_message(
            "jobs", json.dumps({"id": "j-2", "to": ws.connection_id, "fail": 2})
        )
        assert json.loads(ws.receive_text()) == {"id": "j-2", "receives": 3, "kind": None}
        ids = {e["Records"][0]["messageId"] for _, e in client.invocations}
        assert ids == {message_id}  # one message, delivered three times
        doomed = json.dumps({"id": "j-3", "to": ws.connection_id, "fail": -1})
        client.send_sqs_message("jobs", doomed)
        assert ws.receive_all() == []
        assert client.queues["jobs"].dead_letters == [doomed]
        assert len(client.invocations) == 3 + MAX_RECEIVES


def test_a_queue_arn_handlers_queue_is_named_by_the_arn(workers: App) -> None:
    with Client(workers) as client, client.connect() as ws:
        client.send_sqs_message("existing", ws.connection_id)
        assert json.loads(ws.receive_text()) == [EXISTING_ARN, "eu-west-1"]


def test_an_unknown_queue_or_a_message_sqs_refuses_is_one_line(workers: App) -> None:
    with Client(workers) as client:
        with pytest.raises(QueueMessageError) as unknown:
            client.send_sqs_message("job", "x")
        assert str(unknown.value) == (
            "cannot send to SQS queue 'job': the app has no on_sqs_message handler of it (its "
            "queues: 'existing', 'jobs', 'orders.fifo'); name one by its queue= (or the queue "
            "name ending its queue_arn=)"
        )
        for body in ("", "control \x01", "x" * (MAX_MESSAGE_BYTES + 1)):
            with pytest.raises(QueueMessageError, match=r"^cannot send to SQS queue 'jobs': "):
                client.send_sqs_message("jobs", body)
        assert client.invocations == []


def test_a_message_past_the_old_256_kib_is_sent_as_sqs_takes_1_mib(workers: App) -> None:
    with Client(workers) as client, client.connect() as ws:
        pushed = json.dumps({"id": "j-1", "to": ws.connection_id, "pad": "x" * 300_000})
        client.send_sqs_message("jobs", pushed)
        assert json.loads(ws.receive_text())["id"] == "j-1"


def test_a_fifo_queue_runs_a_group_in_order_and_leaves_out_a_duplicate(workers: App) -> None:
    with Client(workers) as client, client.connect() as ws:

        def send(order: str, fail: int = 0, deduplication: str | None = None) -> str:
            body = json.dumps({"id": order, "to": ws.connection_id, "fail": fail})
            return client.send_sqs_message(
                "orders.fifo",
                body,
                message_group_id="g",
                message_deduplication_id=deduplication or order,
            )

        first = send("o-1", fail=1)
        assert send("o-1", deduplication="o-1") == first  # a duplicate: not delivered
        send("o-2")
        assert ws.receive_all() == ["g/o-1/2", "g/o-2/1"]
        records = [e["Records"][0]["attributes"] for _, e in client.invocations]
        assert [r["MessageDeduplicationId"] for r in records] == ["o-1", "o-1", "o-2"]


def test_a_fifo_message_needs_its_group_and_id_and_a_standard_one_neither(
    workers: App,
) -> None:
    with Client(workers) as client:
        cases = [
            ("orders.fifo", {}, "a FIFO queue's message needs message_group_id='...'"),
            (
                "orders.fifo",
                {"message_group_id": "g"},
                "a FIFO queue's message needs message_deduplication_id='...' (the template's "
                "FIFO queue has no content-based deduplication)",
            ),
            (
                "jobs",
                {"message_group_id": "g"},
                "message_group_id and message_deduplication_id are a FIFO queue's (.fifo); "
                "this queue is a standard one",
            ),
        ]
        for queue, fields, reason in cases:
            with pytest.raises(QueueMessageError) as refused:
                client.send_sqs_message(queue, "{}", **fields)
            assert str(refused.value) == f"cannot send to SQS queue {queue!r}: {reason}"
        with pytest.raises(QueueMessageError) as empty:
            client.send_sqs_message("jobs", "")
        assert str(empty.value) == (
            "cannot send to SQS queue 'jobs': body is empty: SQS takes a message of at least "
            "one character"
        )
        assert client.invocations == []


def test_a_refusal_is_worded_by_the_parameter_it_lacks_not_by_sqss_text() -> None:
    reworded = SqsError("MissingParameter", "MessageGroupId? ContentBasedDeduplication?")
    assert _python_reason(reworded) == reworded.message
    lacking = SqsError("InvalidParameterValue", "reworded", missing="MessageDeduplicationId")
    assert _python_reason(lacking).startswith("a FIFO queue's message needs message_dedup")


@pytest.mark.parametrize(
    ("body", "said"),
    [
        ({"a": 1}, "body is str, not dict: SQS carries text; json.dumps() it first"),
        (b"x", "body is str, not bytes: SQS carries text; pass text"),
        (None, "body is str, not NoneType: SQS carries text; pass text"),
    ],
)
def test_a_body_that_is_not_text_is_refused_saying_so(workers: App, body: Any, said: str) -> None:
    with Client(workers) as client:
        with pytest.raises(QueueMessageError) as refused:
            client.send_sqs_message("jobs", body)
        assert str(refused.value) == f"cannot send to SQS queue 'jobs': {said}"
        assert client.invocations == []
