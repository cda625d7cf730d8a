"""The events built around a body have the keys of AWS's, as the fixtures (tests/events) have."""

from __future__ import annotations

from typing import Any

import pytest

from runtime import App, CloudWatchEvent, DynamoDBEvent, SNSEvent, SQSEvent
from runtime.spec import FunctionSpec
from tests.support.events import read_event
from wsgen.exceptions import ConfigError
from wsgen.gateway.events import ACCOUNT_ID, Api
from wsgen.local.environment import pseudo_parameters
from wsgen.sources.events import Where, build_event, typed

WHERE = Where("eu-west-1", "123456789012", "jobs")
STREAM = "arn:aws:dynamodb:eu-west-1:123456789012:table/Orders/stream/2026-11-30T08:12:55.123"


def spec_of(register: Any) -> FunctionSpec:
    app = App(app_name="jobs")
    register(app)(lambda event, context=None: None)  # lambda_function: both
    [function] = app.spec().functions
    return function


def keys(value: Any) -> Any:
    """The nested key structure of an event (lists by their first item)."""
    if isinstance(value, dict):
        return {key: keys(item) for key, item in value.items()}
    if isinstance(value, list) and value and isinstance(value[0], dict):
        return [keys(value[0])]
    return None


def test_schedule_event() -> None:
    event = build_event(
        spec_of(lambda app: app.schedule("rate(1 minute)", name="tick")), None, WHERE
    )
    assert keys(event) == keys(read_event("schedule.json"))
    assert event["resources"] == ["arn:aws:events:eu-west-1:123456789012:rule/jobs-tick"]
    assert CloudWatchEvent(event).detail == {}


def test_eventbridge_event_matches_the_rule() -> None:
    pattern = {"source": ["com.example.orders"], "detail-type": ["Order Shipped", "Other"]}
    event = build_event(spec_of(lambda app: app.on_cw_event(pattern)), '{"orderId": "o-1"}', WHERE)
    assert keys(event) == {**keys(read_event("eventbridge.json")), "detail": {"orderId": None}}
    wrapped = CloudWatchEvent(event)
    assert (wrapped.source, wrapped.detail_type, wrapped.detail) == (
        "com.example.orders",
        "Order Shipped",
        {"orderId": "o-1"},
    )


def test_sqs_event() -> None:
    event = build_event(spec_of(lambda app: app.on_sqs_message(queue="jobs")), "hello", WHERE)
    fixture = read_event("sqs.json")
    built = keys(event)
    built["Records"][0]["messageAttributes"] = None
    expected = keys(fixture)
    expected["Records"][0]["messageAttributes"] = None
    del expected["Records"][0]["md5OfMessageAttributes"]  # only with message attributes
    assert built == expected
    [record] = SQSEvent(event)
    assert record.body == "hello"
    assert record.event_source_arn == "arn:aws:sqs:eu-west-1:123456789012:jobs"


def test_fifo_sqs_event_has_the_group_attributes() -> None:
    event = build_event(spec_of(lambda app: app.on_sqs_message(queue="jobs.fifo")), "x", WHERE)
    attributes = event["Records"][0]["attributes"]
    assert {"MessageGroupId", "MessageDeduplicationId", "SequenceNumber"} <= set(attributes)


def test_sns_event() -> None:
    event = build_event(spec_of(lambda app: app.on_sns_message("prices")), "ACME 41", WHERE)
    fixture = keys(read_event("sns.json"))
    fixture["Records"][0]["Sns"]["MessageAttributes"] = None
    built = keys(event)
    built["Records"][0]["Sns"]["MessageAttributes"] = None
    assert built == fixture
    wrapped = SNSEvent(event)
    assert (wrapped.message, wrapped.subject) == ("ACME 41", None)
    assert wrapped.topic_arn == "arn:aws:sns:eu-west-1:123456789012:prices"


def test_an_sns_event_of_a_china_region_names_its_hosts_under_amazonaws_com_cn() -> None:
    china = Where("cn-north-1", "123456789012", "jobs")
    event = build_event(spec_of(lambda app: app.on_sns_message("prices")), "ACME 41", china)
    sns = event["Records"][0]["Sns"]
    for url in (sns["SigningCertUrl"], sns["UnsubscribeUrl"]):
        assert url.startswith("https://sns.cn-north-1.amazonaws.com.cn/")
    assert sns["TopicArn"] == "arn:aws-cn:sns:cn-north-1:123456789012:prices"


@pytest.mark.parametrize(
    ("region", "partition"),
    [("eu-west-1", "aws"), ("cn-northwest-1", "aws-cn"), ("us-gov-west-1", "aws-us-gov")],
)
def test_local_arns_are_in_their_region_s_partition(region: str, partition: str) -> None:
    where = Where(region, "123456789012", "jobs")
    sqs = build_event(spec_of(lambda app: app.on_sqs_message(queue="work")), "x", where)
    schedule = build_event(spec_of(lambda app: app.schedule("rate(1 minute)")), None, where)
    assert sqs["Records"][0]["eventSourceARN"] == f"arn:{partition}:sqs:{region}:123456789012:work"
    assert schedule["resources"][0].startswith(f"arn:{partition}:events:{region}:123456789012:")
    api = Api("k3x9v2pq7d", region, "dev")
    assert (
        api.connect_arn
        == f"arn:{partition}:execute-api:{region}:{ACCOUNT_ID}:k3x9v2pq7d/dev/$connect"
    )
    assert pseudo_parameters(region)["AWS::Partition"] == partition


def test_dynamodb_event_is_an_insert_of_the_item() -> None:
    body = '{"pk": "order#1", "n": 2, "ok": true, "tags": ["a"], "more": {"x": null}}'
    event = build_event(spec_of(lambda app: app.on_dynamodb_record(STREAM)), body, WHERE)
    fixture = read_event("dynamodb.json")
    assert set(event["Records"][0]) == set(fixture["Records"][0])
    assert set(event["Records"][0]["dynamodb"]) == set(fixture["Records"][0]["dynamodb"])
    [record] = DynamoDBEvent(event)
    assert record.event_name == "INSERT"
    assert record.keys == {"pk": {"S": "order#1"}}
    assert record.new_image["tags"] == {"L": [{"S": "a"}]}
    assert record.new_image["more"] == {"M": {"x": {"NULL": True}}}
    assert record.table_name == "Orders"


def test_typed_json() -> None:
    assert typed(1.5) == {"N": "1.5"}
    assert typed(False) == {"BOOL": False}


@pytest.mark.parametrize(
    ("register", "body", "message"),
    [
        (lambda app: app.on_cw_event({"source": ["x"]}), "[1]", "must be a JSON object"),
        (lambda app: app.on_dynamodb_record(STREAM), "nope", "must be a JSON object"),
        (lambda app: app.lambda_function(name="f"), "nope", "is its --body as JSON"),
    ],
)
def test_a_body_of_the_wrong_shape_is_a_config_error(
    register: Any, body: str, message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        build_event(spec_of(register), body, WHERE)
