"""SQS's rules for a message to one of the app's queues, which `wsgen local`'s endpoint and the
test client's `send_sqs_message` both follow (their own tests: tests/local/test_sqs.py,
tests/testing/test_queues.py)."""

from __future__ import annotations

import pytest

from runtime.contract import SQS
from runtime.spec import FunctionSpec
from wsgen.gateway.fanout import ShardQueue
from wsgen.gateway.sqs import (
    MAX_DELAY_S,
    MAX_RECEIVES,
    SqsError,
    queue_home,
    read_message,
    send_fifo,
)
from wsgen.sources.events import Where

APP = Where("eu-central-1", "123456789012", "workers")


def _handler(queue: str | None = None, queue_arn: str | None = None) -> FunctionSpec:
    options = {"queue": queue, "queue_arn": queue_arn, "batch_size": 10}
    return FunctionSpec("jobs", SQS, "jobs", options)


def test_a_queue_the_template_makes_is_in_the_apps_region_and_account():
    assert queue_home(_handler(queue="jobs"), APP) == APP


def test_a_queue_arn_queue_is_in_its_arns_region_and_account():
    arn = "arn:aws-cn:sqs:cn-north-1:111122223333:existing.fifo"
    assert queue_home(_handler(queue_arn=arn), APP) == Where(
        "cn-north-1", "111122223333", "workers"
    )


def _fifo() -> ShardQueue:
    return ShardQueue(APP, function=_handler(queue="orders.fifo"), max_receives=MAX_RECEIVES)


@pytest.mark.parametrize(
    ("request_", "missing"),
    [
        ({"MessageDeduplicationId": "d"}, "MessageGroupId"),
        ({"MessageGroupId": "g"}, "MessageDeduplicationId"),
    ],
)
def test_a_fifo_send_without_its_group_or_deduplication_id_names_what_it_lacks(request_, missing):
    with pytest.raises(SqsError) as refused:
        send_fifo(_fifo(), {}, "{}", 0, {}, {"MessageBody": "{}", **request_})
    assert refused.value.missing == missing


def test_an_empty_message_names_its_body_and_other_refusals_nothing():
    with pytest.raises(SqsError) as empty:
        read_message({"MessageBody": ""})
    assert (empty.value.code, empty.value.missing) == ("MissingParameter", "MessageBody")
    with pytest.raises(SqsError) as delayed:
        read_message({"MessageBody": "x", "DelaySeconds": MAX_DELAY_S + 1})
    assert delayed.value.missing is None


def test_a_message_may_be_1_mib_as_sqs_takes_since_2025():
    for body in ("x" * 1048576, "\u00e9" * (1048576 // 2)):  # bytes of UTF-8, as SQS counts
        assert read_message({"MessageBody": body})[0] == body
    for body in ("x" * 1048577, "\u00e9" * (1048576 // 2) + "x"):
        with pytest.raises(SqsError) as refused:
            read_message({"MessageBody": body})
        assert refused.value.code == "InvalidParameterValue"
