"""The app's SQS queues under `wsgen local`: boto3 sends, the queue handler pushes to clients."""

from __future__ import annotations

import asyncio
import io
import json
import os
import socket
from typing import Any

import boto3
import pytest
import websockets
from botocore.config import Config
from botocore.exceptions import ClientError

from tests.support.builders import new_app
from tests.support.local import run
from tests.support.paths import QUEUES_APP
from wsgen.gateway.fanout import ShardQueue, failed_messages
from wsgen.gateway.sqs import MAX_MESSAGE_BYTES, MAX_RECEIVES
from wsgen.local import EventLog, running
from wsgen.local.sqs import LocalSqs
from wsgen.settings import Settings
from wsgen.sources.events import Where


@pytest.fixture
def queues() -> Any:
    with running(QUEUES_APP, "app:app", log=EventLog(io.StringIO())) as emulator:
        assert emulator.sqs is not None
        emulator.sqs.queues["announcements"].messages.visibility_s = 0.05
        yield emulator


def test_sqs_port_serves_the_queues_there():
    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]  # closed again: free for the queues
    with running(QUEUES_APP, "app:app", log=EventLog(quiet=True), sqs_port=port) as emulator:
        assert emulator.sqs is not None
        assert emulator.sqs.endpoint == os.environ["AWS_ENDPOINT_URL_SQS"]
        assert emulator.sqs.endpoint == f"http://127.0.0.1:{port}"
        url = sqs_client(emulator).get_queue_url(QueueName="announcements")["QueueUrl"]
        assert url == f"http://127.0.0.1:{port}/123456789012/announcements"


def sqs_client(emulator: Any) -> Any:
    """boto3's SQS client for the emulator's queues, as a script outside the app makes it."""
    return boto3.client(
        "sqs",
        endpoint_url=emulator.sqs.endpoint,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
        config=Config(retries={"max_attempts": 1}),
    )


async def ask(ws: Any, action: str, **fields: Any) -> Any:
    await ws.send(json.dumps({"action": action, **fields}))
    return json.loads(await ws.recv())


async def announce(ws: Any, pushes: int = 1, **fields: Any) -> tuple[str, list[Any]]:
    """Send to the queue from a handler: the message's id, and the next `pushes` frames the
    queue's handler sends (the route's reply and they may come in either order)."""
    await ws.send(json.dumps({"action": fields.pop("action", "announce"), **fields}))
    frames = [json.loads(await ws.recv()) for _ in range(pushes + 1)]
    replies = [frame["sent"] for frame in frames if "sent" in frame]
    return replies[0], [frame for frame in frames if "sent" not in frame]


@pytest.mark.slow
def test_a_message_sent_from_a_handler_with_boto3_reaches_the_client_through_the_queue(queues):
    async def body() -> None:
        async with websockets.connect(queues.url) as ws:
            message_id, pushed = await announce(ws, text="hello")
            assert pushed == [{"text": "hello", "receives": 1, "id": message_id}]
            raw_id, pushed = await announce(ws, action="announce-raw", text="again")
            assert pushed == [{"text": "again", "receives": 1, "id": raw_id}]

    run(body)


@pytest.mark.slow
def test_the_refs_of_the_queue_resolve_to_its_local_url_arn_and_name(queues):
    async def body() -> dict[str, str]:
        async with websockets.connect(queues.url) as ws:
            return dict(await ask(ws, "env"))

    queue = queues.sqs.queues["announcements"]
    # Its name is the one given: the template's `${AWS::StackName}-` has no stack here.
    assert run(body) == {
        "ANNOUNCE_QUEUE_URL": queue.url,
        "ANNOUNCE_QUEUE_ARN": queue.arn,
        "ANNOUNCE_QUEUE_NAME": "announcements",
    }
    assert queue.url == f"{queues.sqs.endpoint}/123456789012/announcements"
    assert queue.arn == "arn:aws:sqs:us-east-1:123456789012:announcements"
    assert "exists only once deployed" not in queues.log._stream.getvalue()


@pytest.mark.slow
def test_boto3_from_outside_gets_the_url_and_sends_a_batch_with_a_failed_entry(queues):
    sqs = sqs_client(queues)

    async def body() -> list[Any]:
        async with websockets.connect(queues.url) as ws:
            connection_id = (await ask(ws, "whoami"))["id"]
            url = sqs.get_queue_url(QueueName="announcements")["QueueUrl"]
            sent = await asyncio.to_thread(
                sqs.send_message_batch,
                QueueUrl=url,
                Entries=[
                    {"Id": "a", "MessageBody": json.dumps({"to": connection_id, "text": "one"})},
                    {"Id": "bad", "MessageBody": "control \x01 character"},
                    {"Id": "b", "MessageBody": json.dumps({"to": connection_id, "text": "two"})},
                ],
            )
            got = sorted([json.loads(await ws.recv())["text"], json.loads(await ws.recv())["text"]])
            return [sent, got]

    sent, got = run(body)
    assert got == ["one", "two"]
    assert [entry["Id"] for entry in sent["Successful"]] == ["a", "b"]
    assert sent["Failed"] == [
        {
            "Id": "bad",
            "SenderFault": True,
            "Code": "InvalidMessageContents",
            "Message": sent["Failed"][0]["Message"],
        }
    ]


@pytest.mark.slow
def test_an_unknown_queue_and_an_oversize_message_get_sqs_errors(queues):
    sqs = sqs_client(queues)
    with pytest.raises(sqs.exceptions.QueueDoesNotExist) as missing:
        sqs.get_queue_url(QueueName="nope")
    assert "announcements" in missing.value.response["Error"]["Message"]
    url = sqs.get_queue_url(QueueName="announcements")["QueueUrl"]
    with pytest.raises(sqs.exceptions.QueueDoesNotExist):
        sqs.send_message(QueueUrl=url.replace("announcements", "other"), MessageBody="x")
    with pytest.raises(ClientError) as big:
        sqs.send_message(QueueUrl=url, MessageBody="x" * (MAX_MESSAGE_BYTES + 1))
    assert big.value.response["Error"]["Code"] == "InvalidParameterValue"
    assert sqs.send_message(QueueUrl=url, MessageBody="x" * MAX_MESSAGE_BYTES)["MessageId"]
    with pytest.raises(ClientError) as unsupported:
        sqs.receive_message(QueueUrl=url)
    assert "SendMessage" in unsupported.value.response["Error"]["Message"]


EXISTING_ARN = "arn:aws:sqs:eu-west-1:111122223333:existing"


@pytest.mark.slow
def test_a_queue_arn_handler_reads_a_local_queue_of_that_arns_account_and_name(queues):
    """The queue exists on AWS already (not the template's): the app's code sending to its
    deployed URL, and boto3 from outside through GetQueueUrl, reach its handler here."""
    sqs = sqs_client(queues)
    queue = queues.sqs.queues["existing"]
    assert queue.url == f"{queues.sqs.endpoint}/111122223333/existing"
    assert sqs.get_queue_url(QueueName="existing")["QueueUrl"] == queue.url
    owned = sqs.get_queue_url(QueueName="existing", QueueOwnerAWSAccountId="111122223333")
    assert owned["QueueUrl"] == queue.url
    with pytest.raises(sqs.exceptions.QueueDoesNotExist):
        sqs.get_queue_url(QueueName="existing", QueueOwnerAWSAccountId="123456789012")
    attributes = sqs.get_queue_attributes(QueueUrl=queue.url, AttributeNames=["QueueArn"])
    assert attributes["Attributes"] == {"QueueArn": EXISTING_ARN}

    async def body() -> list[Any]:
        async with websockets.connect(queues.url) as ws:
            connection_id = (await ask(ws, "whoami"))["id"]
            from_app, pushed = await announce(ws, action="tell-existing", text="from the app")
            sent = await asyncio.to_thread(
                sqs.send_message,
                QueueUrl=queue.url,
                MessageBody=json.dumps({"to": connection_id, "text": "from outside"}),
            )
            return [from_app, pushed, sent["MessageId"], json.loads(await ws.recv())]

    from_app, pushed, outside_id, outside = run(body)
    where = {"source": EXISTING_ARN, "region": "eu-west-1"}
    assert pushed == [{"text": "from the app", **where, "id": from_app}]
    assert outside == {"text": "from outside", **where, "id": outside_id}
    # Another account's queue of that name is not it.
    with pytest.raises(sqs.exceptions.QueueDoesNotExist):
        sqs.send_message(
            QueueUrl="https://sqs.eu-west-1.amazonaws.com/444455556666/existing", MessageBody="x"
        )


async def pushes(ws: Any, count: int) -> list[Any]:
    return [json.loads(await ws.recv()) for _ in range(count)]


@pytest.mark.slow
def test_a_fifo_queue_keeps_a_groups_order_across_a_retry(queues):
    """a1 fails once; a2, sent to its group while a1 waits to be visible again, comes after
    it; b1, of another group, does not wait for it."""
    sqs = sqs_client(queues)
    queue = queues.sqs.queues["orders.fifo"]
    queue.messages.visibility_s = 2.0  # a2 and b1 are sent well within it

    async def body() -> tuple[list[str], list[Any]]:
        async with websockets.connect(queues.url) as ws:
            to = (await ask(ws, "whoami"))["id"]

            def send(text: str, group: str, fail: int = 0) -> str:
                return str(
                    sqs.send_message(
                        QueueUrl=queue.url,
                        MessageBody=json.dumps({"to": to, "text": text, "fail": fail}),
                        MessageGroupId=group,
                        MessageDeduplicationId=text,
                    )["SequenceNumber"]
                )

            sequences = [await asyncio.to_thread(send, "a1", "a", 1)]
            assert json.loads(await ws.recv()) == {"failed": "a1"}
            sequences += [
                await asyncio.to_thread(send, text, group)
                for text, group in [("a2", "a"), ("b1", "b")]
            ]
            return sequences, await pushes(ws, 3)

    sequences, got = run(body)
    assert sequences == sorted(sequences) and len(set(sequences)) == 3
    by_group = {g: [p["text"] for p in got if p["group"] == g] for g in ("a", "b")}
    assert by_group == {"a": ["a1", "a2"], "b": ["b1"]}
    a1 = next(p for p in got if p["text"] == "a1")
    assert (a1["receives"], a1["sequence"]) == (2, sequences[0])


@pytest.mark.slow
def test_a_fifo_duplicate_within_five_minutes_is_accepted_and_not_delivered(queues):
    sqs = sqs_client(queues)
    url = queues.sqs.queues["orders.fifo"].url

    async def body() -> tuple[list[Any], list[Any]]:
        async with websockets.connect(queues.url) as ws:
            to = (await ask(ws, "whoami"))["id"]

            def send(text: str, deduplication: str) -> Any:
                return sqs.send_message(
                    QueueUrl=url,
                    MessageBody=json.dumps({"to": to, "text": text}),
                    MessageGroupId="g",
                    MessageDeduplicationId=deduplication,
                )

            answers = [
                await asyncio.to_thread(send, text, dedup)
                for text, dedup in [("first", "d-1"), ("again", "d-1"), ("last", "d-2")]
            ]
            return answers, await pushes(ws, 2)

    answers, got = run(body)
    assert answers[1]["MessageId"] == answers[0]["MessageId"]
    assert answers[1]["SequenceNumber"] == answers[0]["SequenceNumber"]
    assert answers[2]["MessageId"] != answers[0]["MessageId"]
    # In one group, a duplicate that had been queued would have come before "last".
    assert [p["text"] for p in got] == ["first", "last"]


@pytest.mark.slow
def test_a_fifo_send_needs_a_group_and_a_deduplication_id_and_takes_no_delay(queues):
    sqs = sqs_client(queues)
    url = queues.sqs.queues["orders.fifo"].url
    cases = [
        ({"MessageDeduplicationId": "d"}, "MissingParameter", "MessageGroupId"),
        ({"MessageGroupId": "g"}, "InvalidParameterValue", "ContentBasedDeduplication"),
        (
            {"MessageGroupId": "g", "MessageDeduplicationId": "d", "DelaySeconds": 5},
            "InvalidParameterValue",
            "DelaySeconds",
        ),
    ]
    for fields, code, named in cases:
        with pytest.raises(ClientError) as refused:
            sqs.send_message(QueueUrl=url, MessageBody="x", **fields)
        assert refused.value.response["Error"]["Code"] == code
        assert named in refused.value.response["Error"]["Message"]
    batch = sqs.send_message_batch(
        QueueUrl=url,
        Entries=[{"Id": "lost", "MessageBody": "x", "MessageDeduplicationId": "d"}],
    )
    assert [(f["Id"], f["Code"]) for f in batch["Failed"]] == [("lost", "MissingParameter")]
    assert queues.sqs.queues["orders.fifo"].messages.sent == 0


@pytest.mark.slow
def test_a_failed_message_is_delivered_again_and_one_that_always_fails_is_dropped(queues):
    async def body() -> tuple[Any, str]:
        async with websockets.connect(queues.url) as ws:
            messages = queues.sqs.queues["announcements"].messages
            doomed, _ = await announce(ws, pushes=0, text="never", fail=-1)
            while messages.pending:
                await asyncio.sleep(0.05)
            message_id, pushed = await announce(ws, text="third time", fail=2)
            return pushed, message_id, doomed

    pushed, message_id, doomed = run(body)
    assert pushed == [{"text": "third time", "receives": 3, "id": message_id}]
    log = queues.log._stream.getvalue()
    assert f"message {doomed} failed {MAX_RECEIVES} times and is dropped" in log


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_batching_window_gathers_until_it_closes_or_the_batch_is_full() -> None:
    clock = Clock()
    queue = ShardQueue(Where("us-east-1", "123456789012", "a"), clock, batch_size=3, window_s=2)
    queue.send("one")
    assert queue.take() is None
    assert queue.next_due() == 102.0
    clock.now += 1
    queue.send("two")
    assert queue.take() is None
    clock.now += 1
    batch = queue.take()
    assert batch is not None
    assert [r["body"] for r in batch["Records"]] == ["one", "two"]
    for body in ("a", "b", "c", "d"):
        queue.send(body)
    full = queue.take()
    assert full is not None
    assert [r["body"] for r in full["Records"]] == ["a", "b", "c"]


def test_a_record_keeps_its_message_id_across_deliveries() -> None:
    clock = Clock()
    queue = ShardQueue(Where("us-east-1", "123456789012", "a"), clock)
    message_id = queue.send("x", attributes={"k": {"stringValue": "v", "dataType": "String"}})
    first = queue.take()
    assert first is not None
    queue.settle(first, None, RuntimeError("boom"))
    clock.now += queue.visibility_s
    again = queue.take()
    assert again is not None
    record = again["Records"][0]
    assert record["messageId"] == message_id
    assert record["receiptHandle"] != first["Records"][0]["receiptHandle"]
    assert record["messageAttributes"] == {"k": {"stringValue": "v", "dataType": "String"}}
    assert record["attributes"]["ApproximateReceiveCount"] == "2"


@pytest.mark.parametrize(
    ("result", "error", "failed"),
    [
        ({"batchItemFailures": [{"itemIdentifier": "b"}]}, None, {"b"}),
        ({"batchItemFailures": []}, None, set()),
        ({"batchItemFailures": None}, None, set()),
        (None, None, set()),
        ({}, None, set()),
        ({"batchItemFailures": [{"itemIdentifier": ""}]}, None, {"a", "b"}),
        ({"batchItemFailures": [{"itemIdentifier": None}]}, None, {"a", "b"}),
        ({"batchItemFailures": [{"itemIdentifier": "zz"}]}, None, {"a", "b"}),
        ({"batchItemFailures": [{"id": "a"}]}, None, {"a", "b"}),
        ("not an object", None, {"a", "b"}),
        ({"batchItemFailures": []}, RuntimeError("x"), {"a", "b"}),
    ],
)
def test_lambda_returns_what_the_partial_batch_response_says(result, error, failed) -> None:
    assert failed_messages(["a", "b"], result, error) == failed


def test_a_second_handler_of_a_queue_is_told_the_first_reads_it() -> None:
    app = new_app()
    app.on_sqs_message(queue_arn=EXISTING_ARN, name="first")(lambda event: None)
    app.on_sqs_message(queue_arn=EXISTING_ARN, name="second")(lambda event: None)
    stream = io.StringIO()

    async def body() -> LocalSqs:  # the queue's poller runs on the emulator's loop
        sqs = LocalSqs(Where("us-east-1", "123456789012", "t"), EventLog(stream), lambda: None)
        assert sqs.use(app.spec(), Settings()) == ["existing"]
        assert sqs.use(app.spec(), Settings()) == []  # a reload: told once
        await sqs.stop()
        return sqs

    sqs = run(body)
    assert sqs.queues["existing"].handler == "first"
    assert sqs.refs() == {}  # not the template's: no Ref of it
    assert stream.getvalue().count("SQS queue existing is read by handler first; second") == 1


def test_a_fifo_group_with_a_message_out_is_not_due_until_it_settles() -> None:
    app = new_app()
    app.on_sqs_message(queue="orders.fifo", name="orders")(lambda event: None)
    [function] = app.spec().functions
    clock = Clock()
    queue = ShardQueue(Where("us-east-1", "123456789012", "t"), clock, function=function)
    queue.send_fifo("a1", "a", "d-a1")
    queue.send_fifo("a2", "a", "d-a2")
    queue.batch_size = 1
    first = queue.take()
    assert first is not None and first["Records"][0]["body"] == "a1"
    assert queue.take() is None and queue.next_due() is None  # no busy wait on group a
    queue.settle(first, None, RuntimeError("boom"))
    assert queue.next_due() == clock.now + queue.visibility_s  # a1, visible again then
    clock.now += queue.visibility_s
    again = queue.take()
    assert again is not None
    [record] = again["Records"]
    assert (record["body"], record["attributes"]["MessageGroupId"]) == ("a1", "a")
    assert record["attributes"]["MessageDeduplicationId"] == "d-a1"


@pytest.mark.parametrize("fifo", [False, True])
def test_messages_behind_a_failing_one_get_their_turn_in_a_standard_queue_only(fifo) -> None:
    """The runtime fails the message its handler raised on and the ones after it; delivered
    again in that order, those would never run and be dropped with it. A standard queue keeps
    no order, so the first failure comes back last; a FIFO group keeps its order."""
    app = new_app()
    name = "work.fifo" if fifo else "work"
    app.on_sqs_message(queue=name, name="work")(lambda event: None)
    [function] = app.spec().functions
    clock = Clock()
    queue = ShardQueue(Where("us-east-1", "123456789012", "t"), clock, function=function)
    for body in ("ok1", "boom", "ok2"):
        if fifo:
            queue.send_fifo(body, "g", f"d-{body}")
        else:
            queue.send(body)
    first = queue.take()
    assert first is not None
    ids = {r["body"]: r["messageId"] for r in first["Records"]}
    failures = [{"itemIdentifier": ids["boom"]}, {"itemIdentifier": ids["ok2"]}]
    queue.settle(first, {"batchItemFailures": failures}, None)
    clock.now += queue.visibility_s
    again = queue.take()
    assert again is not None
    assert [r["body"] for r in again["Records"]] == (["boom", "ok2"] if fifo else ["ok2", "boom"])
