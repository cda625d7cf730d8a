"""SQS's rules for a message to one of the app's queues, which `wsgen local`'s endpoint and the
test client's `send_sqs_message` both follow (their own tests: tests/local/test_sqs.py,
tests/testing/test_queues.py)."""

from __future__ import annotations

from runtime.contract import SQS
from runtime.spec import FunctionSpec
from wsgen.gateway.sqs import queue_home
from wsgen.sources.events import Where

APP = Where("eu-central-1", "123456789012", "workers")


def _handler(queue: str | None = None, queue_arn: str | None = None) -> FunctionSpec:
    return FunctionSpec("jobs", SQS, "jobs", {"queue": queue, "queue_arn": queue_arn})


def test_a_queue_the_template_makes_is_in_the_apps_region_and_account():
    assert queue_home(_handler(queue="jobs"), APP) == APP


def test_a_queue_arn_queue_is_in_its_arns_region_and_account():
    arn = "arn:aws-cn:sqs:cn-north-1:111122223333:existing.fifo"
    assert queue_home(_handler(queue_arn=arn), APP) == Where(
        "cn-north-1", "111122223333", "workers"
    )
