"""Event handlers: Chalice's decorators, the spec they give, and the functions' entry point."""

from __future__ import annotations

import importlib.util
import json
import logging
import subprocess
import sys

import pytest

from runtime import (
    App,
    CloudWatchEvent,
    Cron,
    DynamoDBEvent,
    FunctionNotFoundError,
    Rate,
    SNSEvent,
    SQSEvent,
)
from runtime.contract import APP_ENV, ENDPOINT_ENV, FUNCTION_ENV
from runtime.spec import FunctionSpec
from tests.support.paths import EVENTS, ROOT


def make_app() -> App:
    app = App(app_name="t")
    app.experimental_feature_flags.update(["WEBSOCKETS"])
    return app


def test_decorators_return_the_handler_unchanged_and_fill_the_spec():
    app = make_app()

    def tick(event):
        return "ticked"

    assert app.schedule("rate(5 minutes)", description="every 5")(tick) is tick

    @app.on_sqs_message(queue="jobs", batch_size=5, maximum_batching_window_in_seconds=2)
    def jobs(event):
        pass

    @app.on_sns_message(topic="prices", name="price-feed")
    def prices(event):
        pass

    @app.on_cw_event({"source": ["com.example.orders"]})
    def orders(event):
        pass

    @app.on_dynamodb_record(stream_arn="arn:aws:dynamodb:eu-west-1:1:table/T/stream/x")
    def changes(event):
        pass

    @app.lambda_function()
    def plain(event, context):
        pass

    spec = app.spec()
    assert [f.name for f in spec.functions] == [
        "changes",
        "jobs",
        "orders",
        "plain",
        "price-feed",
        "tick",
    ]
    assert spec.function("tick") == FunctionSpec(
        "tick",
        "schedule",
        f"{__name__}.{tick.__qualname__}",
        {"expression": "rate(5 minutes)", "description": "every 5"},
    )
    assert spec.function("jobs").options == {
        "queue": "jobs",
        "queue_arn": None,
        "batch_size": 5,
        "maximum_batching_window_in_seconds": 2,
    }
    assert spec.function("price-feed").options == {"topic": "prices"}
    assert spec.function("orders").options == {"event_pattern": {"source": ["com.example.orders"]}}
    assert spec.function("changes").options["starting_position"] == "LATEST"
    assert spec.function("changes").options["batch_size"] == 100
    assert spec.function("plain").kind == "lambda_function"
    assert spec.routes == ()


def test_rate_and_cron_objects_become_expressions():
    app = make_app()
    app.schedule(Rate(1, unit=Rate.HOURS), name="hourly")(lambda e: None)
    app.schedule(Rate(5, unit=Rate.MINUTES), name="often")(lambda e: None)
    app.schedule(Cron(0, 10, "*", "*", "?", "*"), name="daily")(lambda e: None)
    spec = app.spec()
    assert spec.function("hourly").options["expression"] == "rate(1 hour)"
    assert spec.function("often").options["expression"] == "rate(5 minutes)"
    assert spec.function("daily").options["expression"] == "cron(0 10 * * ? *)"


def test_two_handlers_with_one_name_are_refused():
    app = make_app()
    app.schedule("rate(1 minute)")(tick := lambda e: None)
    with pytest.raises(ValueError, match="second handler named '<lambda>'"):
        app.lambda_function()(tick)


def test_unknown_function_name_names_the_known_ones():
    app = make_app()
    app.lambda_function(name="a")(lambda e, c: None)
    with pytest.raises(FunctionNotFoundError) as raised:
        app.function_handler("b")
    assert str(raised.value) == "no event handler named 'b'; the app's event handlers: a"


@pytest.mark.parametrize(
    ("decorate", "fixture", "wrapper"),
    [
        (lambda app: app.schedule("rate(1 minute)"), "schedule.json", CloudWatchEvent),
        (lambda app: app.on_cw_event({"source": ["x"]}), "eventbridge.json", CloudWatchEvent),
        (lambda app: app.on_sns_message("prices"), "sns.json", SNSEvent),
        (lambda app: app.on_dynamodb_record("arn:x"), "dynamodb.json", DynamoDBEvent),
    ],
)
def test_each_kind_gets_its_event_class_and_returns_the_handlers_result(
    decorate, fixture, wrapper, load_event
):
    app = make_app()
    seen = []

    @decorate(app)
    def handler(event):
        seen.append(event)
        return {"handled": True}

    raw = load_event(fixture)
    assert app.function_handler("handler")(raw, "ctx") == {"handled": True}
    [event] = seen
    assert type(event) is wrapper
    assert event.to_dict() is raw
    assert event.context == "ctx"


def test_lambda_function_is_called_with_the_raw_event_and_context():
    app = make_app()

    @app.lambda_function(name="raw")
    def plain(event, context):
        return [event, context]

    assert app.function_handler("raw") is plain
    assert app.function_handler("raw")({"a": 1}, "ctx") == [{"a": 1}, "ctx"]


def test_a_failing_handler_raises_and_logs_one_line(load_event, caplog):
    app = make_app()

    @app.on_sns_message("prices")
    def prices(event):
        raise RuntimeError("feed down")

    with caplog.at_level(logging.ERROR, "runtime"), pytest.raises(RuntimeError):
        app.function_handler("prices")(load_event("sns.json"), None)
    assert caplog.messages == ["handler prices failed: RuntimeError: feed down"]


def sqs_app(fail_on: str | None, *, before: bool = False, after: bool = False) -> App:
    app = make_app()

    @app.on_sqs_message(queue="jobs")
    def jobs(event):
        if before:
            raise RuntimeError("before any record")
        for record in event:
            if json.loads(record.body)["job"] == fail_on:
                raise RuntimeError(f"{fail_on} failed")
        if after:
            raise RuntimeError("after every record")

    return app


def test_sqs_batch_that_succeeds_reports_no_failures(load_event):
    result = sqs_app(None).function_handler("jobs")(load_event("sqs.json"), None)
    assert result == {"batchItemFailures": []}


@pytest.mark.parametrize(("fail_on", "failed"), [("j-1", [0, 1]), ("j-2", [1])])
def test_sqs_reports_the_failing_message_and_the_ones_after_it(fail_on, failed, load_event, caplog):
    raw = load_event("sqs.json")
    ids = [r["messageId"] for r in raw["Records"]]
    with caplog.at_level(logging.ERROR, "runtime"):
        result = sqs_app(fail_on).function_handler("jobs")(raw, None)
    assert result == {"batchItemFailures": [{"itemIdentifier": ids[i]} for i in failed]}
    [record] = caplog.records
    assert f"failed on message {ids[failed[0]]}" in record.getMessage()
    assert f"{len(failed)} of 2 messages will be retried" in record.getMessage()
    assert record.exc_info is not None  # the traceback is logged, since nothing raises


@pytest.mark.parametrize("where", ["before", "after"])
def test_sqs_failure_not_tied_to_a_message_fails_the_whole_batch(where, load_event):
    app = sqs_app(None, **{where: True})
    with pytest.raises(RuntimeError, match=where):
        app.function_handler("jobs")(load_event("sqs.json"), None)


def test_sqs_handler_may_report_its_own_failures(load_event):
    app = make_app()

    @app.on_sqs_message(queue="jobs")
    def jobs(event: SQSEvent):
        return {"batchItemFailures": [{"itemIdentifier": r.message_id} for r in event][:1]}

    raw = load_event("sqs.json")
    result = app.function_handler("jobs")(raw, None)
    assert result == {"batchItemFailures": [{"itemIdentifier": raw["Records"][0]["messageId"]}]}


def test_send_works_in_an_event_handler_from_the_environment_alone(
    aws_env, monkeypatch, server, load_event
):
    """No WebSocket event, no configure(): the endpoint comes from WSGEN_WEBSOCKET_ENDPOINT."""
    url, script = server
    monkeypatch.setenv(ENDPOINT_ENV, url + "/dev")
    app = make_app()

    @app.schedule("rate(1 minute)")
    def heartbeat(event):
        app.websocket_api.send("Xq4mT2rLpNcFa8w=", f"tick {event.time}")

    app.function_handler("heartbeat")(load_event("schedule.json"), None)
    [post] = script.received
    assert (post["method"], post["path"]) == ("POST", "/dev/@connections/Xq4mT2rLpNcFa8w%3D")
    assert post["body"] == b"tick 2026-12-01T10:00:00Z"


ENTRY_PROBE = """
import json, sys
sys.path[:0] = {paths!r}
from runtime.entry import handler
print(json.dumps(handler(json.load(open({event!r})), None)))
"""

ENTRY_APP = """
from runtime import App

app = App(app_name="entry")


@app.on_sqs_message(queue="jobs", name="work")
def work(event):
    for record in event:
        if record.body.endswith("7}"):
            raise ValueError(record.message_id)
"""


def run_entry(tmp_path, name: str) -> subprocess.CompletedProcess[str]:
    """A fresh interpreter importing `runtime.entry` the way Lambda imports a handler."""
    (tmp_path / "myapp.py").write_text(ENTRY_APP)
    code = ENTRY_PROBE.format(paths=[str(tmp_path), str(ROOT)], event=str(EVENTS / "sqs.json"))
    return subprocess.run(
        [sys.executable, "-I", "-c", code],
        capture_output=True,
        text=True,
        env={APP_ENV: "myapp.app", FUNCTION_ENV: name},
    )


@pytest.mark.slow  # a Python subprocess
def test_entry_module_imports_the_app_and_serves_the_named_handler(tmp_path):
    run = run_entry(tmp_path, "work")
    assert run.returncode == 0, run.stderr
    second = json.loads((EVENTS / "sqs.json").read_text())["Records"][1]["messageId"]
    assert json.loads(run.stdout.splitlines()[-1]) == {
        "batchItemFailures": [{"itemIdentifier": second}]
    }


@pytest.mark.slow  # a Python subprocess
def test_entry_module_fails_clearly_for_an_unknown_name(tmp_path):
    run = run_entry(tmp_path, "nope")
    assert run.returncode != 0
    assert "no event handler named 'nope'; the app's event handlers: work" in run.stderr


CHALICE_APP = """
from chalice import Chalice, Cron, Rate

app = Chalice(app_name="ported")
seen = []


@app.schedule(Rate(5, unit=Rate.MINUTES))
def every_five(event):
    seen.append(("schedule", event.time, event.region, event.account, event.resources))


@app.schedule(Cron(0, 10, "*", "*", "?", "*"), name="daily")
def daily(event):
    seen.append(("cron", event.to_dict()["detail-type"]))


@app.on_sqs_message(queue="my-queue", batch_size=1)
def handle_sqs_message(event):
    for record in event:
        seen.append(("sqs", record.body, record.receipt_handle[:4]))


@app.on_sns_message(topic="my-topic")
def handle_sns_message(event):
    seen.append(("sns", event.subject, event.message))


@app.on_cw_event({"source": ["com.example.orders"]})
def on_order(event):
    seen.append(("cw", event.detail_type, event.source, event.detail["orderId"]))


@app.on_dynamodb_record(stream_arn="arn:aws:dynamodb:eu-west-1:123456789012:table/Orders/stream/x")
def handle_ddb_message(event):
    for record in event:
        seen.append(("ddb", record.event_name, record.keys, record.new_image is not None))


@app.lambda_function(name="custom-name")
def custom_lambda_function(event, context):
    return {"hello": "world"}
"""


def test_a_chalice_app_with_event_handlers_ports_by_its_import_line(tmp_path, load_event):
    source = CHALICE_APP.replace("from chalice import", "from runtime import")
    assert source.count("\n") == CHALICE_APP.count("\n")  # nothing else changed
    (tmp_path / "ported.py").write_text(source)
    spec = importlib.util.spec_from_file_location("ported", tmp_path / "ported.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    app = module.app
    fixtures = {
        "every_five": "schedule.json",
        "daily": "schedule.json",
        "handle_sqs_message": "sqs.json",
        "handle_sns_message": "sns.json",
        "on_order": "eventbridge.json",
        "handle_ddb_message": "dynamodb.json",
    }
    for name, fixture in fixtures.items():
        app.function_handler(name)(load_event(fixture), None)
    assert app.function_handler("custom-name")({}, None) == {"hello": "world"}
    assert module.seen == [
        (
            "schedule",
            "2026-12-01T10:00:00Z",
            "eu-west-1",
            "123456789012",
            load_event("schedule.json")["resources"],
        ),
        ("cron", "Scheduled Event"),
        ("sqs", load_event("sqs.json")["Records"][0]["body"], "AQEB"),
        ("sqs", load_event("sqs.json")["Records"][1]["body"], "AQEB"),
        ("sns", "price update", '{"symbol": "ACME", "price": 41.5}'),
        ("cw", "Order Shipped", "com.example.orders", "o-1842"),
        ("ddb", "INSERT", {"pk": {"S": "order#o-1842"}}, True),
        ("ddb", "MODIFY", {"pk": {"S": "order#o-1842"}}, True),
        ("ddb", "REMOVE", {"pk": {"S": "order#o-1842"}}, False),
    ]
    assert [f.options.get("expression") for f in app.spec().functions if f.kind == "schedule"] == [
        "cron(0 10 * * ? *)",
        "rate(5 minutes)",
    ]


def test_middleware_wraps_the_event_handlers_of_its_type_and_all(load_event):
    app = make_app()
    calls = []

    @app.middleware("all")
    def outer(event, get_response):
        calls.append(("all", type(event).__name__))
        return get_response(event)

    @app.middleware("sqs")
    def only_sqs(event, get_response):
        calls.append(("sqs", len(event)))
        return get_response(event)

    @app.middleware("scheduled")
    def skip_schedules(event, get_response):
        calls.append(("scheduled", event.time))
        return "skipped"  # without calling the handler

    @app.schedule("rate(1 minute)")
    def tick(event):
        raise AssertionError("middleware answered instead")

    @app.on_sqs_message(queue="jobs")
    def jobs(event):
        for record in event:
            if record.message_id.startswith("8e1f"):
                raise ValueError("second fails")

    @app.lambda_function()
    def plain(event, context):
        return {"got": event, "context": context}

    assert app.function_handler("tick")(load_event("schedule.json"), None) == "skipped"
    raw = load_event("sqs.json")
    assert app.function_handler("jobs")(raw, None) == {
        "batchItemFailures": [{"itemIdentifier": raw["Records"][1]["messageId"]}]
    }
    assert app.function_handler("plain")({"a": 1}, "ctx") == {"got": {"a": 1}, "context": "ctx"}
    assert calls == [
        ("all", "CloudWatchEvent"),
        ("scheduled", "2026-12-01T10:00:00Z"),
        ("all", "SQSEvent"),
        ("sqs", 2),
        ("all", "LambdaFunctionEvent"),
    ]


def test_pure_lambda_middleware_sees_the_event_and_context(load_event):
    app = make_app()
    seen = []

    @app.middleware("pure_lambda")
    def record(event, get_response):
        seen.append((event.event, event.context, event.to_dict() is event.event))
        return {"wrapped": get_response(event)}

    @app.lambda_function(name="f")
    def f(event, context):
        return event["n"] + 1

    assert app.function_handler("f")({"n": 1}, "ctx") == {"wrapped": 2}
    assert seen == [({"n": 1}, "ctx", True)]
