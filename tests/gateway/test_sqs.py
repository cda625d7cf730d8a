"""SQS's rules for a message to one of the app's queues, which `wsgen local`'s endpoint and the
test client's `send_sqs_message` both follow (their own tests: tests/local/test_sqs.py,
tests/testing/test_queues.py)."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest

from runtime.contract import SQS
from runtime.spec import FunctionSpec
from tests.support.builders import new_app
from wsgen.gateway.fanout import ShardQueue
from wsgen.gateway.sqs import (
    MAX_DELAY_S,
    MAX_RECEIVES,
    SqsError,
    queue_home,
    read_message,
    send_fifo,
)
from wsgen.settings import settings_from
from wsgen.sources.events import Where
from wsgen.template import build_template

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


def test_a_fifo_send_without_an_id_is_refused_locally_as_the_templates_queue_refuses_it():
    """The template's queue and local SQS give one answer to a send without its own
    deduplication id: AWS's default, no content-based deduplication, so the send fails (a
    repeat of a body is never dropped unasked)."""
    app = new_app("orders")
    app.on_sqs_message(queue="orders.fifo", name="orders")(lambda event: None)
    spec = app.spec()
    settings = settings_from({"runtime": "python3.12"}, "dev")
    template = build_template(spec, settings, ".", ".wsgen/runtime-layer").to_dict()
    properties = template["Resources"]["OrdersQueue"]["Properties"]
    assert properties["ContentBasedDeduplication"] is False
    queue = ShardQueue(APP, function=spec.function("orders"), max_receives=MAX_RECEIVES)
    with pytest.raises(SqsError) as refused:
        send_fifo(queue, {}, "{}", 0, {}, {"MessageBody": "{}", "MessageGroupId": "g"})
    assert refused.value.missing == "MessageDeduplicationId"
    assert queue.sent == 0


def test_a_queue_arn_fifo_queue_may_deduplicate_by_content_so_a_send_without_an_id_is_taken():
    arn = "arn:aws:sqs:eu-west-1:111122223333:existing.fifo"
    queue = ShardQueue(APP, function=_handler(queue_arn=arn), max_receives=MAX_RECEIVES)
    sent_ids: dict[str, tuple[float, dict[str, Any]]] = {}
    send = {"MessageBody": "{}", "MessageGroupId": "g"}
    first = send_fifo(queue, sent_ids, "{}", 0, {}, send)
    assert send_fifo(queue, sent_ids, "{}", 0, {}, send) == first  # the same body: a duplicate
    assert list(sent_ids) == [hashlib.sha256(b"{}").hexdigest()]
