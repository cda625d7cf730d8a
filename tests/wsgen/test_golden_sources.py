"""The golden template of every kind of event handler (tests/wsgen/apps/sources).

test_golden.py checks that it is what `wsgen template` prints and that cfn-lint and
`sam validate --lint` accept it; SAM's translator is run here; test_checkov.py scans
it with the samples' templates.
"""

from __future__ import annotations

import pytest

from tests.support.paths import GOLDEN
from tests.support.templates import sam_resources

TEMPLATE = GOLDEN / "sources.yaml"
SQS_ROLE = "arn:aws:iam::aws:policy/service-role/AWSLambdaSQSQueueExecutionRole"
STREAM_ROLE = "arn:aws:iam::aws:policy/service-role/AWSLambdaDynamoDBExecutionRole"


@pytest.mark.slow  # SAM's translator: seconds of CPU
def test_sam_translator_gives_each_handler_its_source_and_only_its_permissions(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    translated = sam_resources(TEMPLATE, monkeypatch)
    kinds = {name: resource["Type"] for name, resource in translated.items()}
    # What SAM made for each event source, named after the function and its event.
    assert kinds["EveryFiveMinutesFunctionSchedule"] == "AWS::Events::Rule"
    assert kinds["EveryFiveMinutesFunctionSchedulePermission"] == "AWS::Lambda::Permission"
    assert kinds["RunJobsFunctionQueue"] == "AWS::Lambda::EventSourceMapping"
    assert kinds["PricesFunctionTopic"] == "AWS::SNS::Subscription"
    assert kinds["OrderShippedFunctionRule"] == "AWS::Events::Rule"
    assert kinds["OrderChangesFunctionStream"] == "AWS::Lambda::EventSourceMapping"
    mapping = translated["RunJobsFunctionQueue"]["Properties"]
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert mapping["EventSourceArn"] == {"Fn::GetAtt": ["RunJobsQueue", "Arn"]}
    functions = [n for n, kind in kinds.items() if kind == "AWS::Lambda::Function"]
    assert len(functions) == 12  # the route function and one per handler (11)
    for name in functions:
        role = translated[f"{name}Role"]["Properties"]
        statements = [s for p in role["Policies"] for s in p["PolicyDocument"]["Statement"]]
        # Each may start the app's task (build_report), and the task's function may send
        # the record of a failed run to its failure queue (SAM's statement).
        actions = sorted(str(s["Action"]) for s in statements)
        task = ["sqs:SendMessage"] if name == "BuildReportFunction" else []
        assert actions == ["execute-api:ManageConnections", "lambda:InvokeFunction", *task], name
        managed = set(role["ManagedPolicyArns"]) - {
            "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
        }
        source = translated[name]["Properties"]["Environment"]["Variables"].get("WSGEN_FUNCTION")
        queue = source in ("run_jobs", "ordered", "existing")
        assert managed == (
            {SQS_ROLE} if queue else {STREAM_ROLE} if source == "order_changes" else set()
        ), name
