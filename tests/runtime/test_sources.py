"""The event classes of the app's other sources read the captured shapes (tests/events)."""

from __future__ import annotations

from datetime import UTC, datetime

from runtime import CloudWatchEvent, DynamoDBEvent, SNSEvent, SQSEvent, SQSRecord


def test_schedule_event_has_chalices_attributes(load_event):
    raw = load_event("schedule.json")
    event = CloudWatchEvent(raw, "ctx")
    assert event.time == "2026-12-01T10:00:00Z"
    assert event.region == "eu-west-1"
    assert event.account == "123456789012"
    assert event.resources == raw["resources"]
    assert event.detail_type == "Scheduled Event"
    assert event.source == "aws.events"
    assert event.event_id == raw["id"]
    assert event.version == "0"
    assert event.context == "ctx"
    assert event.to_dict() is raw


def test_eventbridge_event_detail(load_event):
    event = CloudWatchEvent(load_event("eventbridge.json"))
    assert event.detail == {"orderId": "o-1842", "user": "ada"}
    assert event.detail_type == "Order Shipped"
    assert event.source == "com.example.orders"


def test_sns_event_reads_the_one_record(load_event):
    raw = load_event("sns.json")
    event = SNSEvent(raw)
    assert event.message == '{"symbol": "ACME", "price": 41.5}'
    assert event.subject == "price update"
    assert event.message_attributes == {"market": {"Type": "String", "Value": "eu"}}
    assert event.topic_arn == "arn:aws:sns:eu-west-1:123456789012:prices"
    assert event.message_id == raw["Records"][0]["Sns"]["MessageId"]


def test_sns_event_without_subject_reads_none(load_event):
    raw = load_event("sns.json")
    del raw["Records"][0]["Sns"]["Subject"]
    assert SNSEvent(raw).subject is None


def test_sqs_event_iterates_records(load_event):
    raw = load_event("sqs.json")
    records = list(SQSEvent(raw, "ctx"))
    assert [type(r) for r in records] == [SQSRecord, SQSRecord]
    first, second = records
    assert first.body == raw["Records"][0]["body"]
    assert first.receipt_handle == raw["Records"][0]["receiptHandle"]
    assert first.message_id == "2d5c7a1e-9f3b-4e8d-b6a2-1c7f0e9d3b45"
    assert first.message_attributes["user"]["stringValue"] == "ada"
    assert first.attributes["ApproximateReceiveCount"] == "1"
    assert first.event_source_arn == "arn:aws:sqs:eu-west-1:123456789012:jobs"
    assert first.context == "ctx"
    assert second.message_attributes == {}
    assert len(SQSEvent(raw)) == 2


def test_sqs_event_knows_which_messages_are_unfinished(load_event):
    batch = SQSEvent(load_event("sqs.json"))
    ids = [r["messageId"] for r in batch.to_dict()["Records"]]
    assert batch.unfinished() is None  # not started: cannot tell
    records = iter(batch)
    next(records)
    assert batch.unfinished() == ids
    next(records)
    assert batch.unfinished() == ids[1:]
    assert list(records) == []
    assert batch.unfinished() is None  # all taken: cannot tell


def test_dynamodb_records(load_event):
    raw = load_event("dynamodb.json")
    insert, modify, remove = DynamoDBEvent(raw)
    assert [insert.event_name, modify.event_name, remove.event_name] == [
        "INSERT",
        "MODIFY",
        "REMOVE",
    ]
    assert insert.keys == {"pk": {"S": "order#o-1842"}}
    assert insert.new_image["status"] == {"S": "placed"}
    assert insert.old_image is None
    assert modify.old_image["status"] == {"S": "placed"}
    assert remove.new_image is None
    assert insert.table_name == "Orders"
    assert insert.sequence_number == "4421584500000000017450439091"
    assert insert.size_bytes == 59
    assert insert.stream_view_type == "NEW_AND_OLD_IMAGES"
    assert insert.aws_region == "eu-west-1"
    assert insert.event_id == raw["Records"][0]["eventID"]
    assert insert.timestamp == datetime(2026, 12, 1, 10, 3, 45, tzinfo=UTC)


def test_dynamodb_record_without_creation_time(load_event):
    raw = load_event("dynamodb.json")
    del raw["Records"][0]["dynamodb"]["ApproximateCreationDateTime"]
    assert next(iter(DynamoDBEvent(raw))).timestamp is None
