"""The golden template of an app that fans out through shards (tests/wsgen/apps/fanout).

test_golden.py checks that it is what `wsgen template` prints and that cfn-lint and
`sam validate --lint` accept it; SAM's translator is run here; test_checkov.py scans
it with the other golden templates.
"""

from __future__ import annotations

import pytest

from tests.support.golden import GOLDEN_APPS
from tests.support.paths import GOLDEN
from tests.support.templates import parse, sam_resources

TEMPLATE = GOLDEN / "fanout.yaml"
SQS_ROLE = "arn:aws:iam::aws:policy/service-role/AWSLambdaSQSQueueExecutionRole"


def test_only_an_app_with_fan_out_gets_the_queues() -> None:
    for name in GOLDEN_APPS:
        text = (GOLDEN / f"{name}.yaml").read_text()
        assert ("WsgenFanOut" in text) == (name == "fanout"), name


def test_the_queue_dead_letters_after_the_runtime_s_receive_count() -> None:
    from runtime.contract import FAN_OUT_MAX_RECEIVES

    resources = parse(TEMPLATE.read_text())["Resources"]
    queue = resources["WsgenFanOutQueue"]["Properties"]
    assert queue["RedrivePolicy"] == {
        "deadLetterTargetArn": {"Fn::GetAtt": ["WsgenFanOutDeadLetterQueue", "Arn"]},
        "maxReceiveCount": FAN_OUT_MAX_RECEIVES,
    }
    # six times the fan-out function's timeout (wsgen.toml: 60 s), as AWS recommends
    assert queue["VisibilityTimeout"] == 360
    assert resources["WsgenFanOutFunction"]["Properties"]["Timeout"] == 60


@pytest.mark.slow  # SAM's translator: seconds of CPU
def test_sam_translator_maps_the_queue_and_scopes_sending_to_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    translated = sam_resources(TEMPLATE, monkeypatch)
    mapping = translated["WsgenFanOutFunctionQueue"]
    assert mapping["Type"] == "AWS::Lambda::EventSourceMapping"
    assert mapping["Properties"]["EventSourceArn"] == {"Fn::GetAtt": ["WsgenFanOutQueue", "Arn"]}
    assert mapping["Properties"]["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert mapping["Properties"]["BatchSize"] == 10
    # wsgen.toml's maximum_concurrency caps the poller, not the function's concurrency
    assert mapping["Properties"]["ScalingConfig"] == {"MaximumConcurrency": 4}
    assert "ReservedConcurrentExecutions" not in translated["WsgenFanOutFunction"]["Properties"]
    functions = [n for n, r in translated.items() if r["Type"] == "AWS::Lambda::Function"]
    assert sorted(functions) == ["HourlyFunction", "WebsocketHandler", "WsgenFanOutFunction"]
    for name in functions:
        role = translated[f"{name}Role"]["Properties"]
        statements = [s for p in role["Policies"] for s in p["PolicyDocument"]["Statement"]]
        sends = [s for s in statements if s["Action"] == "sqs:SendMessage"]
        # every function may queue shards, on the fan-out queue only
        assert sends == [
            {
                "Effect": "Allow",
                "Action": "sqs:SendMessage",
                "Resource": {"Fn::GetAtt": ["WsgenFanOutQueue", "Arn"]},
            }
        ], name
        managed = set(role["ManagedPolicyArns"]) - {
            "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
        }
        assert managed == ({SQS_ROLE} if name == "WsgenFanOutFunction" else set()), name
        variables = translated[name]["Properties"]["Environment"]["Variables"]
        assert variables["WSGEN_FAN_OUT_QUEUE_URL"] == {"Ref": "WsgenFanOutQueue"}
