from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from runtime import App
from runtime.spec import AppSpec, AuthorizerSpec, RouteSpec
from wsgen.exceptions import ConfigError
from wsgen.keys import keys_of
from wsgen.settings import (
    RUNTIMES,
    DomainSettings,
    FunctionSettings,
    RouteSettings,
    Settings,
    load_settings,
    settings_from,
)


def settings_for(tmp_path: Path, toml: str, stage: str = "api", **overrides: object):
    (tmp_path / "wsgen.toml").write_text(toml)
    return load_settings(tmp_path, stage, dict(overrides))


def test_no_file_gives_defaults(tmp_path: Path) -> None:
    settings = load_settings(tmp_path, "api", {"runtime": "python3.12"})
    assert (settings.stage, settings.runtime, settings.memory_size) == ("api", "python3.12", 128)
    assert settings.environment == {} and settings.merge_template is None


def test_a_stage_adds_to_environment_and_tags_and_replaces_the_rest(tmp_path: Path) -> None:
    toml = """
runtime = "python3.12"
timeout = 10
policies = ["AWSXrayWriteOnlyAccess"]
environment = { APP = "1", BASE = "2" }
tags = { team = "x" }
[stages.prod]
timeout = 20
policies = []
environment = { BASE = "prod", CACHE = { Ref = "Table" } }
"""
    prod = settings_for(tmp_path, toml, "prod")
    assert prod.timeout == 20 and prod.policies == []
    assert prod.environment == {"APP": "1", "BASE": "prod", "CACHE": {"Ref": "Table"}}
    assert prod.tags == {"team": "x"}
    dev = settings_for(tmp_path, toml, "api")  # a stage wsgen names, without a table
    assert dev.timeout == 10 and dev.environment == {"APP": "1", "BASE": "2"}


def test_statements_may_use_not_action_and_not_resource(tmp_path: Path) -> None:
    toml = (
        'policies = [{ Sid = "S", Effect = "Deny", NotAction = "s3:*", NotResource = "*", '
        'Condition = { Bool = { "aws:SecureTransport" = "false" } } }]\n'
    )
    assert settings_for(tmp_path, toml).policies[0]["Effect"] == "Deny"


def test_flags_override_the_file(tmp_path: Path) -> None:
    settings = settings_for(tmp_path, 'runtime = "python3.12"\n', runtime="python3.13")
    assert settings.runtime == "python3.13"


def test_merge_template_is_relative_to_the_app_dir(tmp_path: Path) -> None:
    settings = settings_for(tmp_path, 'runtime = "python3.12"\nmerge_template = "r.yaml"\n')
    assert settings.merge_template == tmp_path / "r.yaml"


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ('environment = { "1X" = "a" }', "'environment.1X' is not a valid environment variable"),
        ('environment = { X = "a" }', "'environment.X' is not a valid environment variable"),
        ('environment = { AWS_REGION = "x" }', "'environment.AWS_REGION' is reserved"),
        (
            '[stages.prod.environment]\nLAMBDA_TASK_ROOT = "x"',
            "'stages.prod.environment.LAMBDA_TASK_ROOT' is reserved",
        ),
        (
            '[functions.w]\nroutes = ["join"]\nenvironment = { AWS_ACCESS_KEY_ID = "x" }',
            "'functions.w.environment.AWS_ACCESS_KEY_ID' is reserved: Lambda sets",
        ),
        ("environment = { AB = 1 }", "'environment.AB' must be a string or an intrinsic"),
        ("environment = { AB = { Bad = 1 } }", "'environment.AB' must be a string or an intrinsic"),
        (
            'tags = { "aws:team" = "x" }',
            "'tags.aws:team': tag keys starting with 'aws:' are reserved",
        ),
        ('[stages.prod.tags]\n"AWS:x" = "y"', "'stages.prod.tags.AWS:x': tag keys starting with"),
        ('environment = { AB = { Condition = "X" } }', "'environment.AB' must be a string or"),
        (
            '[domain]\nname = "ws.example.com"\ncertificate_arn = { Condition = "X" }',
            "'domain.certificate_arn' must be an ACM certificate ARN",
        ),
        (
            'policies = [{ Action = "s3:GetObject", Resource = "*" }]',
            '\'policies[0].Effect\' must be "Allow" or "Deny", not None',
        ),
        (
            'policies = [{ Effect = "allow", Action = "s3:GetObject", Resource = "*" }]',
            "'policies[0].Effect' must be \"Allow\" or \"Deny\", not 'allow'",
        ),
        (
            'policies = [{ Effect = "Allow", Resource = "*" }]',
            "'policies[0]' is an IAM statement without Action; add Action",
        ),
        (
            'policies = [{ Effect = "Allow", Action = "s3:GetObject" }]',
            "'policies[0]' is an IAM statement without Resource; add Resource",
        ),
        (
            'policies = [{ Action = "s3:GetObject" }]',
            "'policies[0].Effect' must be",
        ),
        (
            '[functions.w]\nroutes = ["join"]\npolicies = [{ Effect = "Allow", Action = "s3:*", '
            'Resource = "*", Principal = "*" }]',
            "unknown key 'functions.w.policies[0].Principal' in an IAM statement",
        ),
        ("api_keys = 'k'", "'api_keys' must be a list of API keys (non-empty strings)"),
        ("[stages.local]\napi_keys = ['']", "'stages.local.api_keys' must be a list of API keys"),
        ("log_retention_days = 10", "'log_retention_days' must be one of 1, 3, 5"),
        ("memory_size = true", "'memory_size' must be an integer from 128 to 10240"),
        ("policies = [1]", "'policies[0]' must be a managed policy name or ARN"),
        ('runtime = "python3.9"', "'runtime' must be one of " + ", ".join(RUNTIMES)),
        ('stages = "x"', "'stages' must be a table"),
        ("[stages.'a b']", "invalid stage name 'a b'"),
        ("[stages.prod]\nfoo = 1", "unknown key 'stages.prod.foo'"),
        ("memry_size = 1", "unknown key 'memry_size'; did you mean 'memory_size'?"),
        (
            "[stages.prod]\ntimout = 1",
            "unknown key 'stages.prod.timout'; did you mean 'stages.prod.timeout'?",
        ),
        (
            "[domain]\nbase_pth = 'v1'",
            "unknown key 'domain.base_pth'; did you mean 'domain.base_path'?",
        ),
        ("access_logging = 1", "'access_logging' must be true or false"),
        ('access_log_format = "$context.routeKey"', "must contain $context.requestId"),
        ('access_log_format = ""', "'access_log_format' must be a non-empty string"),
        (f'access_log_format = "$context.requestId{"x" * 3072}"', "takes at most 3072"),
        ('logging_level = "DEBUG"', "'logging_level' must be one of OFF, ERROR, INFO"),
        ("data_trace = true", "'data_trace' logs nothing while 'logging_level' is OFF"),
        ("account_logging_role = 'yes'", "'account_logging_role' must be true or false"),
        ("throttling_burst_limit = -1", "'throttling_burst_limit' must be an integer from 0"),
        ('throttling_rate_limit = "5"', "'throttling_rate_limit' must be a number"),
        ('content_handling = "TEXT"', "'content_handling' must be one of CONVERT_TO_TEXT"),
        ("reserved_concurrency = 1.5", "'reserved_concurrency' must be an integer"),
        ("routes = 1", "'routes' must be a table of [routes.NAME] tables"),
        ('[routes."join"]\nburst = 1', "unknown key 'routes.join.burst'"),
        ('[routes."join"]\ndata_trace = true', "'routes.join.data_trace' logs nothing"),
        ("[domain]\nname = 'ws.example.com'", "'domain' needs 'certificate_arn'"),
        ("[domain]\nname = 'WS..x'\ncertificate_arn = 'x'", "'domain.name' must be a lowercase"),
        (
            "[domain]\ncertificate_arn = 'arn:aws:iam::1:x'",
            "'domain.certificate_arn' must be an ACM",
        ),
        ("[domain]\nbase_path = 'a/b'", "'domain.base_path' must be one path segment"),
        ("[domain]\nhosted_zone_id = 1", "'domain.hosted_zone_id' must be a Route 53"),
        ("[stages.prod.domain]\nport = 1", "unknown key 'stages.prod.domain.port'"),
        ("[functions.'a b']\nroutes = []", "invalid name 'functions.a b'"),
        ("[functions.w]\nroutes = 'join'", "'functions.w.routes' must be a list of route keys"),
        ("[functions.w]\nroutes = ['a', 'a']", "'functions.w.routes' lists a route twice"),
        ("[functions.w]\nmemory_size = 64", "'functions.w.memory_size' must be an integer"),
        ("architecture = 'arm'", "'architecture' must be one of x86_64, arm64, not 'arm'"),
        ("tracing = 'Active'", "'tracing' must be true or false, not 'Active'"),
        (
            "access_log_deletion_policy = 'Snapshot'",
            "'access_log_deletion_policy' must be one of Retain, Delete, not 'Snapshot'",
        ),
        ("[functions.w]\nruntime = 'python3.12'", "unknown key 'functions.w.runtime'"),
        (
            "[functions.wsgen_fan_out]\nmaximum_concurrency = 1",
            "'functions.wsgen_fan_out.maximum_concurrency' must be an integer from 2 to 1000",
        ),
        ("maximum_concurrency = 4", "unknown key 'maximum_concurrency'"),
        (
            "[functions.w]\ntimeout = 5\nANNOUNCE_QUEUE_URL = 'x'",
            "unknown key 'functions.w.ANNOUNCE_QUEUE_URL'; known keys: ",
        ),
        (
            "[functions.w]\nANNOUNCE_QUEUE_URL = 'x'",
            "; it is in [functions.w] because a TOML table runs until the next header: if "
            "'ANNOUNCE_QUEUE_URL' is meant for another table (such as [environment]), move it "
            "above [functions.w]",
        ),
        (
            "[functions.a]\nauthorizer = true\n[functions.b]\nauthorizer = true",
            "'functions.a.authorizer' and 'functions.b.authorizer' are both true",
        ),
        (
            "[functions.a]\nroutes = ['x']\n[functions.b]\nroutes = ['x']",
            "route 'x' is in both 'functions.a.routes' and 'functions.b.routes'",
        ),
    ],
)
def test_mistakes_name_the_key_and_the_file(tmp_path: Path, toml: str, message: str) -> None:
    with pytest.raises(ConfigError) as info:
        settings_for(tmp_path, toml)
    assert message in str(info.value)
    assert str(info.value).startswith(str(tmp_path / "wsgen.toml"))


SPEC = AppSpec("t", (RouteSpec("$default", "app.m"), RouteSpec("join", "app.j")))


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ('[routes."jion"]\nthrottling_burst_limit = 1', "'routes.jion' names route 'jion'"),
        ("[functions.w]\nroutes = ['$connect']", "'functions.w.routes' names route '$connect'"),
        (
            "[stages.prod.functions.w]\nroutes = ['x']",
            "'stages.prod.functions.w.routes' names route 'x'",
        ),
        ("[functions.w]\nauthorizer = true", "the app has no ws_authorizer"),
    ],
)
def test_route_keys_must_be_the_apps(tmp_path: Path, toml: str, message: str) -> None:
    (tmp_path / "wsgen.toml").write_text(toml)
    with pytest.raises(ConfigError) as info:
        load_settings(tmp_path, "api", {"runtime": "python3.12"}, SPEC)
    assert message in str(info.value)
    assert "which the app does not have; its routes: $default, join" in str(info.value) or (
        "authorizer" in message
    )
    assert str(info.value).startswith(str(tmp_path / "wsgen.toml"))


def test_a_route_key_spelled_like_a_marker_is_just_a_route(tmp_path: Path) -> None:
    spec = AppSpec(
        "t",
        (RouteSpec("$default", "app.m"), RouteSpec("(authorizer)", "app.a")),
        authorizer=AuthorizerSpec("app.auth", ("route.request.header.Auth",)),
    )
    toml = '[functions.a]\nroutes = ["(authorizer)"]\n[functions.b]\nauthorizer = true\n'
    (tmp_path / "wsgen.toml").write_text(toml)
    settings = load_settings(tmp_path, "api", {"runtime": "python3.12"}, spec)
    assert sorted(settings.functions) == ["a", "b"]


def test_new_keys_default_and_a_stage_adds_routes_and_functions_per_name(tmp_path: Path) -> None:
    toml = """
runtime = "python3.12"
logging_level = "ERROR"
[routes."join"]
throttling_burst_limit = 5
throttling_rate_limit = 1
[functions.w]
routes = ["join"]
memory_size = 512
[stages.prod]
access_logging = false
[stages.prod.routes."$default"]
throttling_burst_limit = 9
[stages.prod.routes."join"]
throttling_rate_limit = 2
[stages.prod.functions.w]
memory_size = 2048
[stages.prod.domain]
name = "ws.example.com"
certificate_arn = { Ref = "Certificate" }
"""
    dev = settings_for(tmp_path, toml, "api")  # a stage wsgen names, without a table
    assert (dev.access_logging, dev.logging_level, dev.data_trace, dev.domain) == (
        True,
        "ERROR",
        False,
        None,
    )
    assert (dev.content_handling, dev.account_logging_role) == (None, False)
    prod = settings_for(tmp_path, toml, "prod")
    assert prod.access_logging is False
    assert prod.routes == {
        "join": RouteSettings(throttling_burst_limit=5, throttling_rate_limit=2),
        "$default": RouteSettings(throttling_burst_limit=9),
    }
    assert prod.functions == {"w": FunctionSettings(routes=("join",), memory_size=2048)}
    assert prod.domain == DomainSettings("ws.example.com", {"Ref": "Certificate"})
    [(default_name, default), (worker_name, worker)] = prod.function_settings(SPEC)
    assert (default_name, default.routes, worker_name, worker.routes) == (
        None,
        ("$default",),
        "w",
        ("join",),
    )
    assert (worker.memory_size, worker.timeout) == (2048, prod.timeout)


def test_a_named_function_inherits_the_stage_values_but_not_reserved_concurrency(
    tmp_path: Path,
) -> None:
    toml = """
memory_size = 512
reserved_concurrency = 3
environment = { APP = "1" }
policies = ["AWSXrayWriteOnlyAccess"]
[functions.w]
routes = ["join"]
environment = { ROLE = "w" }
[stages.prod]
memory_size = 1024
"""
    (tmp_path / "wsgen.toml").write_text(toml)
    prod = load_settings(tmp_path, "prod", {"runtime": "python3.12"}, SPEC)
    [(default_name, default), (worker_name, worker)] = prod.function_settings(SPEC)
    assert (default_name, worker_name) == (None, "w")
    assert (default.memory_size, default.reserved_concurrency) == (1024, 3)
    assert (worker.memory_size, worker.reserved_concurrency) == (1024, None)
    assert worker.environment == {"APP": "1", "ROLE": "w"}
    assert worker.policies == ["AWSXrayWriteOnlyAccess"]
    assert (default.routes, default.authorizer) == (("$default",), False)


@pytest.mark.parametrize("cls", [Settings, FunctionSettings, RouteSettings, DomainSettings])
def test_every_field_is_a_key_the_file_can_set(cls: type) -> None:
    """A field added without a check in its annotation would silently not be a key."""
    # what the command line and the file decide, and what they make wsgen say
    not_keys = ("stage", "runtime_defaulted", "warnings")
    fields = [field.name for field in dataclasses.fields(cls) if field.name not in not_keys]
    assert list(keys_of(cls)) == fields
    assert all(callable(key.check) for key in keys_of(cls).values())


def test_an_unknown_key_of_a_table_lists_the_keys_of_its_class(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        settings_for(tmp_path, "[functions.w]\nroutes = ['join']\narchitecture = 'arm64'")
    known = ", ".join(field.name for field in dataclasses.fields(FunctionSettings))
    assert f"unknown key 'functions.w.architecture'; known keys: {known}; it is in " in str(
        info.value
    )


def _spec_with_a_queue_handler() -> AppSpec:
    app = App(app_name="t")
    app.experimental_feature_flags.update(["WEBSOCKETS"])
    app.on_ws_message()(lambda event: None)
    app.on_sqs_message(queue="jobs")(jobs := lambda event: None)
    app.on_sqs_message(queue="more", name="jobs2")(jobs)
    return app.spec()


def test_a_misspelt_function_table_suggests_the_handler_it_is_close_to(tmp_path: Path) -> None:
    spec = _spec_with_a_queue_handler()
    (tmp_path / "wsgen.toml").write_text("[functions.josb2]\nmemory_size = 256\n")
    with pytest.raises(ConfigError) as refused:
        load_settings(tmp_path, "api", {"runtime": "python3.12"}, spec)
    assert str(refused.value).endswith(
        "'functions.josb2' needs 'routes' (or authorizer = true), unless it is named after one "
        "of the app's event handlers or tasks (@app.schedule, @app.on_sqs_message, @app.task, "
        "...); did you mean 'functions.jobs2'?"
    )


def test_a_function_table_needs_routes_unless_named_after_an_event_handler(tmp_path: Path) -> None:
    spec = _spec_with_a_queue_handler()
    (tmp_path / "wsgen.toml").write_text("[functions.w]\nmemory_size = 256\n")
    with pytest.raises(ConfigError, match=r"'functions.w' needs 'routes'.*event handlers"):
        load_settings(tmp_path, "api", {"runtime": "python3.12"}, spec)
    (tmp_path / "wsgen.toml").write_text("[functions.jobs2]\nmemory_size = 256\ntimeout = 60\n")
    settings = load_settings(tmp_path, "api", {"runtime": "python3.12"}, spec)
    queue, other = settings.handler_settings(spec.functions[1]), spec.functions[0]
    assert (queue.memory_size, queue.timeout, queue.routes) == (256, 60, ())
    assert settings.handler_settings(other).memory_size == 128  # the top-level default
    assert [name for name, _ in settings.function_settings(spec)] == [None]  # no route function


def test_an_event_handlers_table_takes_no_routes(tmp_path: Path) -> None:
    (tmp_path / "wsgen.toml").write_text("[functions.jobs2]\nroutes = ['$default']\n")
    with pytest.raises(ConfigError, match="event handler 'jobs2', which serves no routes"):
        load_settings(tmp_path, "api", {"runtime": "python3.12"}, _spec_with_a_queue_handler())


def test_a_function_table_does_not_take_the_top_level_routes_table_as_its_routes(
    tmp_path: Path,
) -> None:
    """`[routes."KEY"]` and a function's `routes` share a name, not a meaning."""
    spec = _spec_with_a_queue_handler()
    (tmp_path / "wsgen.toml").write_text(
        '[routes."$default"]\nthrottling_burst_limit = 5\n[functions.jobs2]\ntimeout = 60\n'
    )
    settings = load_settings(tmp_path, "api", {"runtime": "python3.12"}, spec)
    assert settings.functions["jobs2"].routes == ()
    assert settings.handler_settings(spec.functions[1]).timeout == 60


def test_the_template_settings_default_and_a_function_may_trace_on_its_own(tmp_path: Path) -> None:
    defaults = load_settings(tmp_path, "api", {"runtime": "python3.12"})
    assert (defaults.architecture, defaults.tracing, defaults.access_log_deletion_policy) == (
        "x86_64",
        False,
        "Retain",
    )
    assert (defaults.throttling_burst_limit, defaults.throttling_rate_limit) == (500, 1000)
    toml = (
        "tracing = true\narchitecture = 'arm64'\nthrottling_burst_limit = 20\n"
        "[functions.w]\nroutes = ['join']\ntracing = false\n"
        "[stages.prod]\nthrottling_rate_limit = 10\n"
    )
    prod = settings_for(tmp_path, toml, "prod", runtime="python3.12")
    assert (prod.tracing, prod.functions["w"].tracing, prod.architecture) == (True, False, "arm64")
    assert (prod.throttling_burst_limit, prod.throttling_rate_limit) == (20, 10)


def test_a_defaulted_runtime_near_its_deprecation_is_warned_about(tmp_path: Path) -> None:
    from datetime import timedelta

    from wsgen.checks import RUNTIME_DEPRECATION
    from wsgen.settings import RUNTIME_WARNING_DAYS, runtime_warning

    explicit = load_settings(tmp_path, "api", {"runtime": "python3.11"})
    defaulted = dataclasses.replace(explicit, runtime_defaulted=True)
    deprecation = RUNTIME_DEPRECATION["python3.11"]
    early = deprecation - timedelta(days=RUNTIME_WARNING_DAYS + 1)
    near = deprecation - timedelta(days=RUNTIME_WARNING_DAYS)
    assert runtime_warning(defaulted, early) is None
    assert runtime_warning(explicit, near) is None  # the user chose it
    assert runtime_warning(defaulted, near) == (
        "the runtime defaults to python3.11 (the Python running wsgen), which Lambda "
        'deprecates on 2027-06-30; set runtime = "python3.14" in wsgen.toml or pass '
        "--runtime python3.14"
    )
    assert "which Lambda deprecated on 2027-06-30" in str(
        runtime_warning(defaulted, deprecation + timedelta(days=1))
    )
    assert set(RUNTIME_DEPRECATION) == set(RUNTIMES)


def test_only_a_runtime_neither_the_file_nor_a_flag_names_is_defaulted(tmp_path: Path) -> None:
    assert load_settings(tmp_path, "api", {}).runtime_defaulted
    assert not load_settings(tmp_path, "api", {"runtime": "python3.12"}).runtime_defaulted
    assert not settings_for(tmp_path, "runtime = 'python3.13'").runtime_defaulted


def test_49_tags_of_the_longest_keys_and_values_are_taken() -> None:
    """AWS's 50 per resource, less SAM's lambda:createdBy on every function."""
    tags = {f"{i:03d}" + "k" * 125: "v" * 256 for i in range(49)}
    assert settings_from({"tags": tags}).tags == tags


def _spec_with_a_task_and_fan_out() -> AppSpec:
    app = App(app_name="t", fan_out=True)
    app.experimental_feature_flags.update(["WEBSOCKETS"])
    app.on_ws_message()(lambda event: None)
    app.task(name="report")(lambda: None)
    app.on_sqs_message(queue="jobs", name="jobs")(lambda event: None)
    return app.spec()


def test_snap_start_a_tasks_table_sets_itself_is_a_warning(tmp_path: Path) -> None:
    spec = _spec_with_a_task_and_fan_out()
    toml = 'runtime = "python3.12"\n[functions.report]\nsnap_start = true\n'
    (tmp_path / "wsgen.toml").write_text(toml)
    settings = load_settings(tmp_path, "api", None, spec)
    assert settings.warnings == (
        "'functions.report.snap_start' does nothing: task.delay() invokes the task's function "
        "by name, which runs $LATEST, and SnapStart applies only to published versions invoked "
        "through an alias, so the template leaves it out; remove it from [functions.report]",
    )


@pytest.mark.parametrize(
    "toml",
    [
        "snap_start = true\n",  # inherited by the task: documented as not applying to tasks
        "[functions.report]\nsnap_start = false\n",
        "[functions.jobs]\nsnap_start = true\n",  # a queue handler's: through its alias
        "[functions.wsgen_fan_out]\nsnap_start = true\n",
    ],
)
def test_snap_start_elsewhere_is_no_warning(tmp_path: Path, toml: str) -> None:
    (tmp_path / "wsgen.toml").write_text('runtime = "python3.12"\n' + toml)
    settings = load_settings(tmp_path, "api", None, _spec_with_a_task_and_fan_out())
    assert settings.warnings == ()


def test_a_stages_snap_start_on_a_task_is_a_warning_for_that_stage_only(tmp_path: Path) -> None:
    spec = _spec_with_a_task_and_fan_out()
    toml = 'runtime = "python3.12"\n[stages.prod.functions.report]\nsnap_start = true\n'
    (tmp_path / "wsgen.toml").write_text(toml)
    assert (
        load_settings(tmp_path, "prod", None, spec)
        .warnings[0]
        .startswith("'functions.report.snap_start' does nothing")
    )
    assert load_settings(tmp_path, "api", None, spec).warnings == ()


@pytest.mark.parametrize(
    ("table", "message"),
    [
        (
            "reserved_concurrency = 10\n",
            "'functions.wsgen_fan_out.reserved_concurrency' = 10 throttles the fan-out function: "
            "its SQS poller runs up to 1000 batches at once and does not see the cap, so throttled "
            "batches go back to the queue and a shard delivered 5 times moves to the dead-letter "
            "queue unsent; cap the poller with maximum_concurrency = 10",
        ),
        (
            "reserved_concurrency = 0\n",
            "'functions.wsgen_fan_out.reserved_concurrency' = 0 throttles the fan-out function: "
            "its SQS poller runs up to 1000 batches at once and does not see the cap, so throttled "
            "batches go back to the queue and a shard delivered 5 times moves to the dead-letter "
            "queue unsent; remove it and cap the poller with maximum_concurrency = 2",
        ),
        (
            "reserved_concurrency = 10\nmaximum_concurrency = 20\n",
            "'functions.wsgen_fan_out.reserved_concurrency' = 10 throttles the fan-out function: "
            "with maximum_concurrency = 20 its SQS poller runs up to 20 batches at once and does "
            "not see the cap, so throttled batches go back to the queue and a shard delivered 5 "
            "times moves to the dead-letter queue unsent; lower maximum_concurrency to 10 or "
            "raise reserved_concurrency to 20",
        ),
        (
            "reserved_concurrency = 1\nmaximum_concurrency = 2\n",
            "'functions.wsgen_fan_out.reserved_concurrency' = 1 throttles the fan-out function: "
            "with maximum_concurrency = 2 its SQS poller runs up to 2 batches at once and does "
            "not see the cap, so throttled batches go back to the queue and a shard delivered 5 "
            "times moves to the dead-letter queue unsent; raise reserved_concurrency to 2",
        ),
    ],
)
def test_reserved_concurrency_below_the_fan_out_pollers_is_an_error(
    tmp_path: Path, table: str, message: str
) -> None:
    (tmp_path / "wsgen.toml").write_text("[functions.wsgen_fan_out]\n" + table)
    with pytest.raises(ConfigError) as refused:
        load_settings(tmp_path, "api", {"runtime": "python3.12"}, _spec_with_a_task_and_fan_out())
    assert str(refused.value) == f"{tmp_path / 'wsgen.toml'}: {message}"
    with pytest.raises(ConfigError, match="throttles the fan-out function"):  # spec or not
        settings_from({"functions": {"wsgen_fan_out": {"reserved_concurrency": 3}}})


@pytest.mark.parametrize(
    "table",
    [
        "maximum_concurrency = 10\nreserved_concurrency = 10\n",  # reserves what the poller runs
        "reserved_concurrency = 1000\n",  # the poller's most
        "maximum_concurrency = 10\n",
    ],
)
def test_reserved_concurrency_the_fan_out_poller_fits_in_is_allowed(
    tmp_path: Path, table: str
) -> None:
    (tmp_path / "wsgen.toml").write_text("[functions.wsgen_fan_out]\n" + table)
    spec = _spec_with_a_task_and_fan_out()
    settings = load_settings(tmp_path, "api", {"runtime": "python3.12"}, spec)
    assert settings.functions["wsgen_fan_out"].maximum_concurrency in (10, None)


@pytest.mark.parametrize(
    ("table", "warned"),
    [
        (
            "reserved_concurrency = 5\n",
            "'functions.jobs.reserved_concurrency' = 5 throttles its queue's handler: its SQS "
            "poller runs up to 1000 batches at once and does not see the cap, so throttled "
            "batches go back to the queue, each delivery counting toward its dead-letter queue; "
            "cap the poller with maximum_concurrency = 5 (AWS's advice for a queue's handler)",
        ),
        (
            "reserved_concurrency = 5\nmaximum_concurrency = 20\n",
            "'functions.jobs.reserved_concurrency' = 5 throttles its queue's handler: with "
            "maximum_concurrency = 20 its SQS poller runs up to 20 batches at once and does not "
            "see the cap, so throttled batches go back to the queue, each delivery counting "
            "toward its dead-letter queue; lower maximum_concurrency to 5 or raise "
            "reserved_concurrency to 20 (AWS's advice for a queue's handler)",
        ),
        (
            "reserved_concurrency = 1\n",  # a poller runs 2 at least: the fix must say so
            "'functions.jobs.reserved_concurrency' = 1 throttles its queue's handler: its SQS "
            "poller runs up to 1000 batches at once and does not see the cap, so throttled "
            "batches go back to the queue, each delivery counting toward its dead-letter queue; "
            "remove it and cap the poller with maximum_concurrency = 2 (AWS's advice for a "
            "queue's handler)",
        ),
        ("reserved_concurrency = 5\nmaximum_concurrency = 5\n", None),
        ("maximum_concurrency = 5\n", None),
        ("maximum_concurrency = 2\n", None),  # reserved_concurrency removed, as told above
    ],
)
def test_a_queue_handler_reserved_below_its_poller_is_a_warning(
    tmp_path: Path, table: str, warned: str | None
) -> None:
    (tmp_path / "wsgen.toml").write_text("[functions.jobs]\n" + table)
    spec = _spec_with_a_task_and_fan_out()
    settings = load_settings(tmp_path, "api", {"runtime": "python3.12"}, spec)
    assert settings.warnings == ((warned,) if warned else ())


def test_a_fifo_queue_handler_s_reserved_concurrency_is_not_warned_of(tmp_path: Path) -> None:
    """Its poller runs a batch per active message group, which the file cannot know."""
    app = App(app_name="t")
    app.experimental_feature_flags.update(["WEBSOCKETS"])
    app.on_ws_message()(lambda event: None)
    app.on_sqs_message(queue="orders.fifo", name="orders")(lambda event: None)
    (tmp_path / "wsgen.toml").write_text("[functions.orders]\nreserved_concurrency = 5\n")
    assert load_settings(tmp_path, "api", {"runtime": "python3.12"}, app.spec()).warnings == ()


def test_reserved_concurrency_of_a_stages_fan_out_table_is_checked(tmp_path: Path) -> None:
    toml = "[functions.wsgen_fan_out]\nmaximum_concurrency = 4\n"
    toml += "[stages.prod.functions.wsgen_fan_out]\nreserved_concurrency = 2\n"
    (tmp_path / "wsgen.toml").write_text(toml)
    spec = _spec_with_a_task_and_fan_out()
    assert load_settings(tmp_path, "api", {"runtime": "python3.12"}, spec)
    with pytest.raises(ConfigError, match="with maximum_concurrency = 4 its SQS poller runs"):
        load_settings(tmp_path, "prod", {"runtime": "python3.12"}, spec)
