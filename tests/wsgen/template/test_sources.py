"""The event handlers' functions: one each, with its SAM event, queue or topic, settings."""

from __future__ import annotations

from typing import Any

import pytest

from runtime import App
from runtime.spec import AppSpec
from wsgen.settings import settings_from
from wsgen.template import build_template

STREAM = "arn:aws:dynamodb:eu-west-1:123456789012:table/Orders/stream/2026-11-30T08:12:55.123"


def spec_of(register: Any) -> AppSpec:
    app = App(app_name="jobs")
    app.experimental_feature_flags.update(["WEBSOCKETS"])
    app.on_ws_message()(lambda event: None)
    register(app)
    return app.spec()


def build(spec: AppSpec, **table: Any) -> dict[str, Any]:
    """The template of `spec` with the settings a wsgen.toml of `table` gives stage dev."""
    settings = settings_from({"runtime": "python3.12", **table}, "dev")
    return dict(build_template(spec, settings, ".", ".wsgen/runtime-layer").to_dict())


def resources(template: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {k: r["Properties"] for k, r in template["Resources"].items() if r["Type"] == kind}


def test_each_handler_is_a_function_running_the_entry_point_with_its_name() -> None:
    def register(app: App) -> None:
        app.schedule("rate(5 minutes)", name="tick", description="tick")(lambda event: None)
        app.lambda_function(name="send_results")(lambda event, context: None)

    template = build(spec_of(register))
    functions = resources(template, "AWS::Serverless::Function")
    assert sorted(functions) == ["SendResultsFunction", "TickFunction", "WebsocketHandler"]
    plain = functions["SendResultsFunction"]
    assert plain["Handler"] == "runtime.entry.handler"
    assert plain["CodeUri"] == "."
    assert plain["Layers"] == [{"Ref": "WsgenRuntimeLayer"}]
    variables = plain["Environment"]["Variables"]
    assert variables["WSGEN_APP"] == "app.app"
    assert variables["WSGEN_FUNCTION"] == "send_results"
    assert (
        variables["WSGEN_WEBSOCKET_ENDPOINT"]
        == (functions["WebsocketHandler"]["Environment"]["Variables"]["WSGEN_WEBSOCKET_ENDPOINT"])
    )
    assert plain["Policies"] == functions["WebsocketHandler"]["Policies"]  # ManageConnections
    assert "Events" not in plain
    assert functions["TickFunction"]["Events"] == {
        "Schedule": {
            "Type": "Schedule",
            "Properties": {"Schedule": "rate(5 minutes)", "Description": "tick"},
        }
    }
    assert functions["WebsocketHandler"]["Handler"] == "app.app"
    assert template["Outputs"]["SendResultsFunctionName"] == {
        "Description": "The function of @app.lambda_function handler send_results",
        "Value": {"Ref": "SendResultsFunction"},
    }


def test_a_queue_given_by_name_is_created_encrypted_and_reports_batch_failures() -> None:
    def register(app: App) -> None:
        @app.on_sqs_message(queue="jobs", batch_size=20, maximum_batching_window_in_seconds=2)
        def run_jobs(event: Any) -> None:
            pass

    template = build(spec_of(register), timeout=20)
    [(title, queue)] = resources(template, "AWS::SQS::Queue").items()
    assert title == "RunJobsQueue"
    assert queue == {
        # The stack's name keeps two stacks (stages) of the app in one account apart.
        "QueueName": {"Fn::Sub": "${AWS::StackName}-jobs"},
        "SqsManagedSseEnabled": True,
        # SQS's largest, as wsgen local takes; said, so that an older queue takes it too,
        # but in China (whose reference still says 256 KiB) left to the region's default.
        "MaximumMessageSize": {
            "Fn::If": ["WsgenInChinaPartition", {"Ref": "AWS::NoValue"}, 1048576]
        },
        "VisibilityTimeout": 122,
    }
    assert template["Conditions"] == {
        "WsgenInChinaPartition": {"Fn::Equals": [{"Ref": "AWS::Partition"}, "aws-cn"]}
    }
    function = resources(template, "AWS::Serverless::Function")["RunJobsFunction"]
    assert function["Events"] == {
        "Queue": {
            "Type": "SQS",
            "Properties": {
                "Queue": {"Fn::GetAtt": ["RunJobsQueue", "Arn"]},
                "BatchSize": 20,
                "MaximumBatchingWindowInSeconds": 2,
                "FunctionResponseTypes": ["ReportBatchItemFailures"],
            },
        }
    }
    assert template["Outputs"]["RunJobsQueueURL"]["Value"] == {"Ref": "RunJobsQueue"}


def test_a_fifo_queue_and_a_queue_given_by_arn() -> None:
    arn = "arn:aws:sqs:eu-west-1:123456789012:existing"

    def register(app: App) -> None:
        app.on_sqs_message(queue="ordered.fifo", name="ordered")(lambda event: None)
        app.on_sqs_message(queue_arn=arn, name="existing")(lambda event: None)

    template = build(spec_of(register))
    queues = resources(template, "AWS::SQS::Queue")
    assert list(queues) == ["OrderedQueue"]
    assert queues["OrderedQueue"]["FifoQueue"] is True
    # CreateQueue's default, said: a send needs its MessageDeduplicationId, as locally.
    assert queues["OrderedQueue"]["ContentBasedDeduplication"] is False
    assert queues["OrderedQueue"]["QueueName"] == {"Fn::Sub": "${AWS::StackName}-ordered.fifo"}
    functions = resources(template, "AWS::Serverless::Function")
    assert functions["ExistingFunction"]["Events"]["Queue"]["Properties"]["Queue"] == arn
    assert (
        "MaximumBatchingWindowInSeconds"
        not in (functions["ExistingFunction"]["Events"]["Queue"]["Properties"])
    )


def test_topics_rules_and_streams() -> None:
    topic_arn = "arn:aws:sns:eu-west-1:123456789012:existing"

    def register(app: App) -> None:
        app.on_sns_message("prices", name="prices")(lambda event: None)
        app.on_sns_message(topic_arn, name="existing")(lambda event: None)
        app.on_cw_event({"source": ["com.example.orders"]}, name="orders")(lambda event: None)
        app.on_dynamodb_record(
            STREAM, batch_size=50, starting_position="TRIM_HORIZON", name="changes"
        )(lambda event: None)

    template = build(spec_of(register), tags={"team": "jobs"})
    assert resources(template, "AWS::SNS::Topic") == {
        "PricesTopic": {
            "TopicName": {"Fn::Sub": "${AWS::StackName}-prices"},
            "KmsMasterKeyId": "alias/aws/sns",
            "Tags": [{"Key": "team", "Value": "jobs"}],
        }
    }
    functions = resources(template, "AWS::Serverless::Function")
    events = {name: f.get("Events") for name, f in functions.items()}
    assert events["PricesFunction"] == {
        "Topic": {"Type": "SNS", "Properties": {"Topic": {"Ref": "PricesTopic"}}}
    }
    assert events["ExistingFunction"]["Topic"]["Properties"]["Topic"] == topic_arn
    assert events["OrdersFunction"] == {
        "Rule": {
            "Type": "EventBridgeRule",
            "Properties": {"Pattern": {"source": ["com.example.orders"]}},
        }
    }
    assert events["ChangesFunction"] == {
        "Stream": {
            "Type": "DynamoDB",
            "Properties": {"Stream": STREAM, "StartingPosition": "TRIM_HORIZON", "BatchSize": 50},
        }
    }
    assert functions["OrdersFunction"]["Tags"] == {"team": "jobs"}


def test_function_settings_apply_by_the_handlers_name() -> None:
    def register(app: App) -> None:
        app.schedule("rate(1 hour)", name="hourly")(lambda event: None)
        app.schedule("rate(2 hours)", name="other")(lambda event: None)

    spec = spec_of(register)
    template = build(
        spec,
        memory_size=256,
        log_retention_days=7,
        environment={"TOP": "top"},
        functions={
            "hourly": {
                "memory_size": 1024,
                "timeout": 300,
                "reserved_concurrency": 2,
                "environment": {"OWN": "own"},
                "policies": ["AWSXrayWriteOnlyAccess"],
            }
        },
    )
    functions = resources(template, "AWS::Serverless::Function")
    hourly, other = functions["HourlyFunction"], functions["OtherFunction"]
    assert (hourly["MemorySize"], hourly["Timeout"], hourly["ReservedConcurrentExecutions"]) == (
        1024,
        300,
        2,
    )
    assert hourly["Environment"]["Variables"]["TOP"] == "top"
    assert hourly["Environment"]["Variables"]["OWN"] == "own"
    assert hourly["Policies"][-1] == "AWSXrayWriteOnlyAccess"
    assert (other["MemorySize"], other["Timeout"]) == (256, 30)
    assert "ReservedConcurrentExecutions" not in other
    assert "OWN" not in other["Environment"]["Variables"]
    groups = resources(template, "AWS::Logs::LogGroup")
    assert groups["HourlyFunctionLogGroup"] == {"RetentionInDays": 7}
    assert hourly["LoggingConfig"] == {"LogGroup": {"Ref": "HourlyFunctionLogGroup"}}
    # The route function does not change, and no function table became a route function.
    assert sorted(functions) == ["HourlyFunction", "OtherFunction", "WebsocketHandler"]


@pytest.mark.parametrize(
    ("name", "title"),
    [("send_results", "SendResultsFunction"), ("tick", "TickFunction")],
)
def test_snake_case_names_become_camel_case_ids(name: str, title: str) -> None:
    spec = spec_of(lambda app: app.lambda_function(name=name)(lambda event, context: None))
    assert title in build(spec)["Resources"]


def test_maximum_concurrency_caps_a_queue_handler_s_poller_not_the_function() -> None:
    def register(app: App) -> None:
        app.on_sqs_message(queue="jobs", name="run_jobs")(lambda event: None)
        app.on_sqs_message(queue="other", name="other")(lambda event: None)

    template = build(spec_of(register), functions={"run_jobs": {"maximum_concurrency": 5}})
    functions = resources(template, "AWS::Serverless::Function")
    capped = functions["RunJobsFunction"]
    assert capped["Events"]["Queue"]["Properties"]["ScalingConfig"] == {"MaximumConcurrency": 5}
    assert "ReservedConcurrentExecutions" not in capped
    assert "ScalingConfig" not in functions["OtherFunction"]["Events"]["Queue"]["Properties"]
