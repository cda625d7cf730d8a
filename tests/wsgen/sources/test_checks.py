"""Event handler arguments AWS would refuse are one error line from `wsgen template`."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.support.templates import Result

APP = """\
from runtime import App

app = App(app_name="t")
app.experimental_feature_flags.update(["WEBSOCKETS"])


@app.on_ws_message()
def message(event):
    pass


@app.{decorator}
def handler(event, context=None):  # lambda_function's get the context too
    pass
"""

STREAM = "arn:aws:dynamodb:eu-west-1:123456789012:table/Orders/stream/2026-11-30T08:12:55.123"


@pytest.mark.parametrize(
    ("decorator", "message"),
    [
        (
            "schedule('rate(5 minute)')",
            "expression 'rate(5 minute)': EventBridge wants 'rate(5 minutes)'",
        ),
        (
            "schedule('rate(1 hour)', description='x' * 513)",
            "description must be a string of at most 512",
        ),
        (
            "schedule('rate(1 hour)', name='a b')",
            "its name must be 1-64 letters, digits, '-' and '_'",
        ),
        ("on_sqs_message()", "give exactly one of queue='name'"),
        (
            "on_sqs_message(queue='a', queue_arn='arn:aws:sqs:eu-west-1:123456789012:a')",
            "exactly one",
        ),
        ("on_sqs_message(queue='a b')", "queue 'a b' must be 1-78 letters"),
        # deployed as ${AWS::StackName}-name: 79 leaves no room for the stack's name
        (f"on_sqs_message(queue='{'q' * 79}')", "must be 1-78 letters"),
        (f"on_sns_message('{'t' * 255}')", "is neither a topic name (1-254"),
        ("on_sqs_message(queue_arn='jobs')", "queue_arn 'jobs' is not an SQS queue ARN"),
        ("on_sqs_message(queue='a', batch_size=0)", "batch_size must be 1-10000"),
        (
            "on_sqs_message(queue='a.fifo', batch_size=20, maximum_batching_window_in_seconds=1)",
            "batch_size must be 1-10 for a FIFO queue",
        ),
        (
            "on_sqs_message(queue='a', batch_size=20)",
            "a batch_size over 10 needs maximum_batching_window_in_seconds of at least 1",
        ),
        (
            "on_sqs_message(queue='a', maximum_batching_window_in_seconds=301)",
            "maximum_batching_window_in_seconds must be 0-300",
        ),
        ("on_sns_message('a:b')", "topic 'a:b' is neither a topic name"),
        ("on_cw_event({})", "event_pattern must be a non-empty dict"),
        ("on_cw_event({'source': [object()]})", "event_pattern must hold only JSON values"),
        (
            "on_dynamodb_record('arn:aws:dynamodb:eu-west-1:123456789012:table/Orders')",
            "is not a DynamoDB stream ARN",
        ),
        (f"on_dynamodb_record('{STREAM}', batch_size=10001)", "batch_size must be 1-10000"),
        (
            f"on_dynamodb_record('{STREAM}', starting_position='AT_TIMESTAMP')",
            "starting_position must be LATEST or TRIM_HORIZON",
        ),
    ],
)
def test_arguments_aws_refuses_are_one_error_line(
    decorator: str, message: str, wsgen: Callable[..., Result], app_dir: Callable[..., Path]
) -> None:
    directory = app_dir(APP.format(decorator=decorator))
    result = wsgen("template", "--runtime", "python3.12", cwd=directory)
    assert result.code != 0
    assert result.out == ""
    [line] = result.err.splitlines()
    # the decorator's line: the app's 12th
    assert line.startswith(f"error: app.py:12: @app.{decorator.split('(')[0]} handler '")
    assert message in line


def test_valid_arguments_give_a_template(
    wsgen: Callable[..., Result], app_dir: Callable[..., Path]
) -> None:
    for decorator in (
        "schedule('cron(0 12 * * ? *)')",
        "on_sqs_message(queue='jobs.fifo', batch_size=10)",
        "on_sns_message('arn:aws:sns:eu-west-1:123456789012:prices')",
        f"on_dynamodb_record('{STREAM}')",
        "lambda_function()",
    ):
        result = wsgen(
            "template", "--runtime", "python3.12", cwd=app_dir(APP.format(decorator=decorator))
        )
        assert (result.code, result.err) == (0, ""), decorator
