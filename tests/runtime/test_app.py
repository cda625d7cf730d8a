"""Registering handlers, the app's spec, and the entry point's dispatch and results."""

from __future__ import annotations

import logging
import sys

import pytest

from runtime import (
    App,
    AppArgumentError,
    AppSpec,
    Chalice,
    DuplicateHandlerError,
    EndpointNotConfiguredError,
    ExperimentalFeatureError,
    InvalidIdentitySourceError,
    RegistrationError,
    Response,
    Route,
    RouteSpec,
    WebsocketError,
)
from runtime.contract import ACCEPT_HANDLER_NAME
from runtime.exceptions import (
    InvalidEventError,
    InvalidReplyError,
    InvalidRouteError,
    RouteNotFoundError,
)
from tests.support.builders import MISSPELT_KEYWORDS, new_app


def test_chalice_is_an_alias_of_app():
    assert Chalice is App


@pytest.mark.parametrize(
    ("keyword", "close"),
    [("conections", "connections"), ("fanout", "fan_out"), ("configure_log", "configure_logs")],
)
def test_a_misspelt_keyword_names_the_closest_one(keyword, close):
    with pytest.raises(AppArgumentError) as caught:
        App("chat", **{keyword: True})
    assert isinstance(caught.value, TypeError)  # what Python raises for a bad keyword
    assert (caught.value.argument, caught.value.suggestion) == (keyword, close)
    assert str(caught.value) == (
        f"App() got an unexpected keyword argument '{keyword}'; did you mean '{close}'? "
        "it takes app_name, debug, configure_logs, connections, fan_out"
    )


def test_an_unknown_keyword_with_no_close_one_lists_them_all():
    with pytest.raises(
        AppArgumentError,
        match=r"^App\(\) got an unexpected keyword argument "
        r"'region'; it takes app_name, debug, configure_logs, connections, fan_out$",
    ):
        Chalice(app_name="chat", region="eu-west-1")


def test_the_keywords_an_unknown_one_is_checked_against_are_app_inits():
    import inspect

    with pytest.raises(AppArgumentError) as caught:
        App("chat", nope=1)
    parameters = inspect.signature(App).parameters
    assert caught.value.known == tuple(name for name in parameters if name != "unknown")


def test_other_argument_errors_stay_pythons():
    with pytest.raises(TypeError) as missing:
        App()
    with pytest.raises(TypeError) as twice:
        App("chat", app_name="chat")
    assert not isinstance(missing.value, AppArgumentError)
    assert "app_name" in str(missing.value) and "multiple values" in str(twice.value)


def _keywords(name: str) -> tuple[str, ...]:
    """The keywords `App.name` takes, as inspect reads its signature."""
    import inspect

    parameters = inspect.signature(getattr(App, name)).parameters.values()
    return tuple(
        p.name
        for p in parameters
        if p.name != "self" and p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)
    )


@pytest.mark.parametrize("name", MISSPELT_KEYWORDS)
def test_a_misspelt_keyword_of_a_decorator_names_the_closest_one(name):
    call, close = MISSPELT_KEYWORDS[name]
    app = new_app()
    with pytest.raises(AppArgumentError) as caught:
        call(app)
    error = caught.value
    assert isinstance(error, TypeError)  # what Python raises for a bad keyword
    assert (error.suggestion, error.known) == (close, _keywords(name))
    shown = f"app.{name}()" if name.startswith(("add_", "register_")) else f"@app.{name}()"
    hint = f"did you mean '{close}'? " if close else ""
    assert str(error) == (
        f"{shown} got an unexpected keyword argument '{error.argument}'; {hint}"
        f"it takes {', '.join(error.known)}"
    )
    assert app.spec().routes == () and app.spec().functions == ()  # nothing registered


def test_the_misspelt_keyword_reads_as_python_would_say_it():
    with pytest.raises(AppArgumentError) as caught:
        new_app().on_ws_message(rout="join")
    assert str(caught.value) == (
        "@app.on_ws_message() got an unexpected keyword argument 'rout'; did you mean 'route'? "
        "it takes route, reply"
    )


def test_every_method_with_an_optional_keyword_refuses_unknown_ones():
    # A method added later gets the same treatment, or the test says which. One that takes
    # no optional keyword has nothing to suggest: a misspelt required one is missing first
    # (below), any other gets Python's TypeError, which says as much.
    import inspect

    for name, member in inspect.getmembers(App, inspect.isfunction):
        if name.startswith("_") and name != "__init__":
            continue
        parameters = list(inspect.signature(member).parameters.values())
        optional = [
            p
            for p in parameters
            if p.default is not p.empty and p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)
        ]
        caught = any(p.kind is p.VAR_KEYWORD for p in parameters)
        assert caught == bool(optional), name
        assert caught == (name in MISSPELT_KEYWORDS or name == "__init__"), name


def test_a_right_call_registers_as_before():
    app = new_app()
    app.on_ws_message(route="join", reply=True)(lambda event: None)
    app.on_sqs_message(queue="q", batch_size=5)(lambda event: None)
    assert [route.key for route in app.spec().routes] == ["join"]
    assert app.spec().functions[0].options["batch_size"] == 5


def test_a_misspelt_required_keyword_is_still_pythons_missing_argument():
    # Python binds the arguments before the body runs: the required one is missing first.
    with pytest.raises(TypeError, match="missing 1 required positional argument: 'topic'"):
        new_app().on_sns_message(topik="news")


def test_decorators_return_the_function_unchanged():
    app = new_app()

    def connect(event):
        return "called"

    assert app.on_ws_connect()(connect) is connect
    assert connect(None) == "called"


def test_decorators_register_predefined_routes():
    app = new_app()
    app.on_ws_connect()(lambda e: None)
    app.on_ws_message()(lambda e: None)
    app.on_ws_disconnect()(lambda e: None)
    assert [r.key for r in app.routes()] == ["$connect", "$default", "$disconnect"]


def test_custom_route_and_two_way_flag_are_in_the_spec():
    app = new_app()

    @app.on_ws_message(route="ping", reply=True)
    def ping(event):
        return "pong"

    spec = app.spec()
    assert isinstance(spec, AppSpec)
    assert spec.route("ping") == RouteSpec("ping", f"{__name__}.{ping.__qualname__}", True)
    assert spec.route_selection_expression == "$request.body.action"


@pytest.mark.parametrize(
    ("decorator", "args", "key"),
    [
        ("on_ws_connect", {}, "$connect"),
        ("on_ws_disconnect", {}, "$disconnect"),
        ("on_ws_message", {}, "$default"),
        ("on_ws_message", {"route": "join"}, "join"),
    ],
)
def test_second_handler_for_a_route_says_what_chalice_says_then_names_both(decorator, args, key):
    app = new_app()

    def first(event):
        return None

    getattr(app, decorator)(**args)(first)
    with pytest.raises(DuplicateHandlerError) as caught:
        getattr(app, decorator)(**args)(lambda e: None)
    chalice = (
        f"Duplicate websocket handler: '{decorator}'. There can only be one handler for each "
        "websocket decorator"
    )
    assert str(caught.value).startswith(chalice)
    assert f"route '{key}' is already served by {__name__}.{first.__qualname__}" in str(
        caught.value
    )
    assert app.route_table[key].handler is first


def test_registration_mistakes_are_websocket_errors_and_value_errors():
    app = new_app()
    app.add_route("join", lambda e: None)
    app.ws_authorizer(["route.request.header.Authorization"])(lambda e: None)
    mistakes = [
        lambda: app.add_route("join", lambda e: None),
        lambda: app.add_route("$join", lambda e: None),
        lambda: app.add_route("$connect", lambda e: None, reply=True),
        lambda: app.ws_authorizer(["route.request.header.X"])(lambda e: None),
        lambda: app.ws_authorizer(["header.Authorization"]),
        lambda: app.ws_authorizer([]),
    ]
    for mistake in mistakes:
        with pytest.raises(RegistrationError) as caught:
            mistake()
        assert isinstance(caught.value, WebsocketError)
        assert isinstance(caught.value, ValueError)


def test_a_second_authorizer_names_the_first():
    app = new_app()

    def gate(event):
        return None

    app.ws_authorizer(["route.request.header.Authorization"])(gate)
    with pytest.raises(DuplicateHandlerError, match=r"second authorizer \(already .*gate\)"):
        app.ws_authorizer(["route.request.header.Authorization"])(lambda e: None)


def test_identity_source_errors_name_the_source_and_the_fix():
    app = new_app()
    with pytest.raises(InvalidIdentitySourceError, match=r"'header\.X' must start with one of"):
        app.ws_authorizer(["header.X"])
    with pytest.raises(InvalidIdentitySourceError, match="needs a list of identity sources"):
        app.ws_authorizer("route.request.header.X")  # type: ignore[arg-type]


def test_add_route_is_what_the_decorators_do(load_event):
    app = new_app()
    seen = []

    def join(event):
        seen.append(event.route_key)
        return {"joined": True}

    app.add_route("join", join, reply=True)
    assert app.route_table["join"].handler is join
    assert app.spec().route("join") == RouteSpec("join", f"{__name__}.{join.__qualname__}", True)
    assert app(load_event("message_custom_route.json"), None)["body"] == '{"joined":true}'
    assert seen == ["join"]


def test_the_route_table_holds_what_the_entry_point_calls():
    app = new_app()

    @app.on_ws_message(route="ping", reply=True)
    def ping(event):
        return "pong"

    [(key, route)] = app.route_table.items()
    assert key == "ping" and isinstance(route, Route)
    assert (route.key, route.handler, route.reply, route.call) == ("ping", ping, True, ping)


def test_invalid_route_key_is_refused_at_registration():
    with pytest.raises(InvalidRouteError, match="reserved"):
        new_app().on_ws_message(route="$join")


def test_invalid_selection_expression_is_refused():
    app = new_app()
    with pytest.raises(InvalidRouteError):
        app.route_selection_expression = "$request.header.action"
    app.route_selection_expression = "action"  # a static expression, valid on AWS
    app.route_selection_expression = "$request.body.type"
    assert app.spec().route_selection_expression == "$request.body.type"


def test_spec_refuses_an_app_without_the_feature_flag():
    app = App(app_name="noflag")
    app.on_ws_message()(lambda e: None)
    with pytest.raises(ExperimentalFeatureError) as caught:
        app.routes()
    assert "app.experimental_feature_flags.update(['WEBSOCKETS'])" in str(caught.value)


@pytest.mark.parametrize("flag", ["WEBSOCKET", "websockets", "WEB_SOCKETS"])
def test_a_near_miss_of_the_feature_flag_is_named(flag):
    app = App(app_name="chat")
    app.experimental_feature_flags.update(["BLUEPRINTS", flag])
    app.on_ws_message()(lambda e: None)
    with pytest.raises(ExperimentalFeatureError) as caught:
        app.spec()
    assert caught.value.near_miss == flag
    assert str(caught.value) == (
        "app 'chat' has WebSocket handlers but not the 'WEBSOCKETS' feature flag: it has "
        f"'{flag}'; did you mean 'WEBSOCKETS'? write "
        "app.experimental_feature_flags.update(['WEBSOCKETS'])"
    )


def test_the_feature_flag_given_as_a_string_is_named():
    app = App(app_name="chat")
    app.experimental_feature_flags.update("WEBSOCKETS")  # each letter a flag
    app.on_ws_message()(lambda e: None)
    with pytest.raises(ExperimentalFeatureError, match=r"it has the letters of 'WEBSOCKETS'"):
        app.spec()


@pytest.mark.parametrize("flags", [[], ["BLUEPRINTS"], ["WS"]])
def test_flags_far_from_the_feature_flag_get_the_plain_message(flags):
    app = App(app_name="chat")
    app.experimental_feature_flags.update(flags)
    app.on_ws_message()(lambda e: None)
    with pytest.raises(ExperimentalFeatureError) as caught:
        app.spec()
    assert caught.value.near_miss is None and not caught.value.letters
    assert str(caught.value) == (
        "app 'chat' has WebSocket handlers but not the 'WEBSOCKETS' feature flag; add this "
        "line after creating the app: app.experimental_feature_flags.update(['WEBSOCKETS'])"
    )


def test_decorators_and_entry_point_work_without_the_flag(load_event):
    app = App(app_name="noflag")
    app.on_ws_message()(lambda e: None)
    assert app(load_event("message_default.json"), None) == {"statusCode": 200}


def test_dispatch_by_route_key_with_default_fallback(load_event):
    app = new_app()
    seen = []
    app.on_ws_message()(lambda e: seen.append(("default", e.route_key)))
    app.on_ws_connect()(lambda e: seen.append(("connect", e.route_key)))
    app(load_event("connect.json"), None)
    app(load_event("message_custom_route.json"), None)  # no 'join' handler: $default
    assert seen == [("connect", "$connect"), ("default", "join")]


def test_custom_route_handler_is_preferred(load_event):
    app = new_app()
    app.on_ws_message()(lambda e: pytest.fail("went to $default"))
    got = []
    app.on_ws_message(route="join")(lambda e: got.append(e.json_body["room"]))
    app(load_event("message_custom_route.json"), None)
    assert got == ["lobby"]


def test_message_route_without_handler_or_default_names_the_route(load_event):
    app = new_app()
    app.on_ws_connect()(lambda e: None)
    with pytest.raises(RouteNotFoundError, match="no handler for route 'join' and no \\$default"):
        app(load_event("message_custom_route.json"), None)


@pytest.mark.parametrize("fixture", ["connect.json", "disconnect_1001.json"])
def test_connect_and_disconnect_without_handler_are_accepted(load_event, fixture):
    assert new_app()(load_event(fixture), None) == {"statusCode": 200}


@pytest.mark.parametrize(
    ("returned", "expected"),
    [
        (None, {"statusCode": 200}),
        ("ignored", {"statusCode": 200}),
        (
            {"headers": {"Sec-WebSocket-Protocol": "My-Protocol"}},
            {"statusCode": 200, "headers": {"Sec-WebSocket-Protocol": "My-Protocol"}},
        ),
        ({"statusCode": 403}, {"statusCode": 403}),
        (
            Response(body=None, status_code=401),
            {"headers": {}, "multiValueHeaders": {}, "statusCode": 401},
        ),
        (
            Response(body="x", headers={"Sec-WebSocket-Protocol": "p", "X-Many": ["a", "b"]}),
            {
                "headers": {"Sec-WebSocket-Protocol": "p"},
                "multiValueHeaders": {"X-Many": ["a", "b"]},
                "statusCode": 200,
                "body": "x",
            },
        ),
    ],
)
def test_results_become_proxy_responses(load_event, returned, expected):
    app = new_app()
    app.on_ws_connect()(lambda e: returned)
    assert app(load_event("connect.json"), None) == expected


def test_a_returned_dict_is_not_modified(load_event):
    app = new_app()
    mine = {"headers": {"Sec-WebSocket-Protocol": "p"}}
    app.on_ws_connect()(lambda e: mine)
    app(load_event("connect.json"), None)
    assert mine == {"headers": {"Sec-WebSocket-Protocol": "p"}}


@pytest.mark.parametrize(
    ("returned", "body", "b64"),
    [("pong", "pong", False), ({"n": 1}, '{"n":1}', False), (b"\x00\x01", "AAE=", True)],
)
def test_two_way_route_returns_the_reply_as_body(load_event, returned, body, b64):
    app = new_app()
    app.on_ws_message(route="join", reply=True)(lambda e: returned)
    result = app(load_event("message_custom_route.json"), None)
    assert result["statusCode"] == 200
    assert result["body"] == body
    assert result.get("isBase64Encoded", False) is b64


def test_two_way_route_with_unserialisable_reply_is_a_clear_error(load_event):
    app = new_app()
    app.on_ws_message(route="join", reply=True)(lambda e: object())
    with pytest.raises(InvalidReplyError, match="route 'join' is a object"):
        app(load_event("message_custom_route.json"), None)


def test_a_reply_holding_nan_says_json_refused_nan(load_event):
    app = new_app()
    app.on_ws_message(route="join", reply=True)(lambda e: {"x": float("nan")})
    with pytest.raises(InvalidReplyError) as err:
        app(load_event("message_custom_route.json"), None)
    assert "is a dict, which is not str, bytes or JSON-serialisable (Out of range float" in str(
        err.value
    )


def test_unsendable_reply_is_logged_names_its_route_and_propagates(load_event, caplog):
    app = new_app()
    app.on_ws_message(route="join", reply=True)(lambda e: Response(body={1, 2}))
    with caplog.at_level(logging.ERROR, logger="runtime"), pytest.raises(InvalidReplyError) as err:
        app(load_event("message_custom_route.json"), None)
    assert "route 'join' is a set" in str(err.value)
    [record] = caplog.records
    assert record.getMessage().startswith("handler for route join failed on connection")


def test_an_unsendable_reply_names_its_handler_file_and_line(load_event):
    app = new_app()

    @app.on_ws_message(route="join", reply=True)
    def join(event):
        return {1, 2}

    with pytest.raises(InvalidReplyError) as err:
        app(load_event("message_custom_route.json"), None)
    line = join.__code__.co_firstlineno
    assert str(err.value).endswith(
        f"return one of those (handler {join.__qualname__} at {_shown(__file__)}:{line})"
    )


def test_an_authorizers_unusable_result_names_its_handler_file_and_line(load_event):
    from runtime import InvalidAuthorizerResultError

    app = new_app()

    @app.ws_authorizer(identity_sources=["route.request.querystring.token"])
    def authorize(event):
        return None

    with pytest.raises(InvalidAuthorizerResultError) as err:
        app(load_event("authorizer_request.json"), None)
    line = authorize.__code__.co_firstlineno
    assert str(err.value) == (
        "authorizer returned a NoneType; return AuthResponse.allow(principal_id) or "
        "AuthResponse.deny(), or raise UnauthorizedError"
        f" (handler {authorize.__qualname__} at {_shown(__file__)}:{line})"
    )


def _shown(path: str) -> str:
    """A handler's file as the runtime's errors show it: relative to the working directory."""
    import os

    return os.path.relpath(path) if path.startswith(os.getcwd() + os.sep) else path


def test_every_documented_error_is_importable_from_runtime():
    import runtime
    from runtime import exceptions

    documented = [
        line.split("── ")[1].split()[0] for line in exceptions.__doc__.splitlines() if "── " in line
    ]
    assert len(documented) > 15 and all(name in runtime.__all__ for name in documented)
    defined = [
        name
        for name, value in vars(exceptions).items()
        if isinstance(value, type)
        and issubclass(value, Exception)
        and name != "WebsocketError"
        and not name.startswith("_")  # a private base is no API
    ]
    assert sorted(defined) == sorted(set(documented) - {"UnauthorizedError"})


def test_the_package_docstring_example_runs():
    import doctest

    import runtime

    outcome = doctest.testmod(runtime)
    assert outcome.attempted >= 5 and outcome.failed == 0


def test_handler_exception_propagates_after_one_log_line(load_event, caplog):
    app = new_app()

    @app.on_ws_message()
    def boom(event):
        raise RuntimeError("kaput")

    with caplog.at_level(logging.ERROR, logger="runtime"), pytest.raises(RuntimeError):
        app(load_event("message_default.json"), None)
    [record] = caplog.records
    assert record.getMessage() == (
        "handler for route $default failed on connection Xq4mT2rLpNcFa8w=: RuntimeError: kaput"
    )


@pytest.mark.parametrize(
    ("event", "missing"),
    [({}, "requestContext"), ({"requestContext": {}}, "requestContext.routeKey"), ([], "")],
)
def test_non_websocket_events_raise_value_error_naming_what_is_missing(event, missing):
    with pytest.raises(ValueError, match=f"not an API Gateway WebSocket event.*{missing}"):
        new_app()(event, None)
    with pytest.raises(InvalidEventError):
        new_app()(event, None)


def test_authorizer_adds_a_connect_route_to_the_spec():
    app = new_app()
    app.ws_authorizer(identity_sources=["route.request.querystring.token"])(lambda e: None)
    spec = app.spec()
    assert spec.authorizer is not None
    assert spec.authorizer.identity_sources == ("route.request.querystring.token",)
    assert spec.route("$connect") == RouteSpec("$connect", ACCEPT_HANDLER_NAME)


def _stdout_handlers(log: logging.Logger) -> list[logging.Handler]:
    return [
        h for h in log.handlers if isinstance(h, logging.StreamHandler) and h.stream is sys.stdout
    ]


@pytest.fixture
def fresh_logger():
    """A logger name no other test uses, removed afterwards."""
    names = []

    def make(name: str) -> str:
        names.append(name)
        return name

    yield make
    for name in names:
        logging.Logger.manager.loggerDict.pop(name, None)


def test_app_log_is_chalices_per_app_logger(fresh_logger, capsys):
    app = App(app_name=fresh_logger("log-default"))
    log = app.log
    assert log is logging.getLogger("log-default") and app.log is log
    assert log.level == logging.ERROR and log.propagate is False
    assert len(_stdout_handlers(log)) == 1
    log.debug("quiet")
    log.error("loud %s", 1)
    assert capsys.readouterr().out == "log-default - ERROR - loud 1\n"


def test_debug_logs_from_debug_and_assigning_it_later_changes_the_level(fresh_logger, capsys):
    app = App(app_name=fresh_logger("log-debug"), debug=True)
    assert app.log.level == logging.DEBUG
    app.log.debug("details")
    app.debug = False
    assert app.log.level == logging.ERROR
    app.log.info("hidden")
    assert capsys.readouterr().out == "log-debug - DEBUG - details\n"


def test_an_app_made_again_adds_no_second_handler(fresh_logger):
    name = fresh_logger("log-reloaded")
    App(app_name=name).log.error("first")
    assert len(_stdout_handlers(App(app_name=name).log)) == 1


def test_without_configure_logs_the_logger_is_left_alone_until_debug_is_set(fresh_logger):
    app = App(app_name=fresh_logger("log-plain"), configure_logs=False)
    assert app.log.level == logging.NOTSET and app.log.propagate is True
    assert _stdout_handlers(app.log) == []
    app.debug = True
    assert app.log.level == logging.DEBUG


@pytest.mark.slow  # fresh interpreters
def test_logging_is_imported_only_when_app_log_is_used():
    from tests.support.probe import imported_after

    assert "logging" not in imported_after("app = runtime.App('x'); app.debug = True")
    assert "logging" in imported_after("runtime.App('x').log")


def test_sending_before_any_endpoint_is_known_is_a_value_error_as_in_chalice(aws_env):
    app = new_app()
    with pytest.raises(ValueError) as caught:  # before any network call
        app.websocket_api.send("Xq4mT2rLpNcFa8w=", "hi")
    assert isinstance(caught.value, EndpointNotConfiguredError)


def test_a_two_way_reply_over_128_kb_is_refused_like_send(load_event):
    from runtime.contract import MAX_MESSAGE_BYTES
    from runtime.exceptions import MessageTooLargeError

    app = new_app()

    @app.on_ws_message(reply=True)
    def big(event):
        return event.body * (MAX_MESSAGE_BYTES // len(event.body) + 1)

    with pytest.raises(MessageTooLargeError, match="over API Gateway's limit of 131072"):
        app(load_event("message_default.json"), None)


@pytest.mark.parametrize("reply", ["news \ud800", Response(body="news \ud800")])
def test_a_two_way_reply_with_a_lone_surrogate_is_refused_like_send(load_event, reply):
    from runtime.exceptions import InvalidMessageError

    app = new_app()
    app.on_ws_message(reply=True)(lambda event: reply)
    with pytest.raises(InvalidMessageError, match=r"lone surrogate \('\\ud800' at index 5\)"):
        app(load_event("message_default.json"), None)


def test_a_non_ascii_reply_is_sent_as_it_is_and_measured_in_utf_8(load_event):
    from runtime.contract import MAX_MESSAGE_BYTES
    from runtime.exceptions import MessageTooLargeError

    app = new_app()
    replies = ["h\u00e9llo \u2713", "\u00e9" * (MAX_MESSAGE_BYTES // 2 + 1)]
    app.on_ws_message(reply=True)(lambda event: replies.pop(0))
    assert app(load_event("message_default.json"), None)["body"] == "h\u00e9llo \u2713"
    with pytest.raises(MessageTooLargeError):  # 2 bytes a character: over 128 KB
        app(load_event("message_default.json"), None)


@pytest.mark.parametrize("value", [float("nan"), {"x": float("inf")}, [float("-inf")]])
def test_a_two_way_reply_that_is_not_strict_json_is_refused(load_event, value):
    app = new_app()

    @app.on_ws_message(reply=True)
    def odd(event):
        return value

    with pytest.raises(InvalidReplyError):
        app(load_event("message_default.json"), None)


def test_a_reply_of_exactly_128_kb_goes_through(load_event):
    from runtime.contract import MAX_MESSAGE_BYTES

    app = new_app()

    @app.on_ws_message(reply=True)
    def full(event):
        return b"\x00" * MAX_MESSAGE_BYTES

    assert app(load_event("message_default.json"), None)["isBase64Encoded"] is True


UNCALLED = {
    "task": "@app.task()",
    "on_sqs_message": '@app.on_sqs_message(queue="NAME")',
    "on_sns_message": '@app.on_sns_message(topic="NAME")',
    "on_cw_event": "@app.on_cw_event(event_pattern={...})",
    "on_dynamodb_record": '@app.on_dynamodb_record(stream_arn="ARN")',
    "lambda_function": "@app.lambda_function()",
    "schedule": '@app.schedule("rate(5 minutes)")',
    "on_ws_message": '@app.on_ws_message(route="NAME"), or @app.on_ws_message() for $default',
    "on_ws_connect": "@app.on_ws_connect()",
    "on_ws_disconnect": "@app.on_ws_disconnect()",
    "on_ws_connected": "@app.on_ws_connected()",
    "ws_authorizer": "@app.ws_authorizer(identity_sources=[...])",
}


@pytest.mark.parametrize(("decorator", "written"), UNCALLED.items())
def test_a_decorator_used_without_parentheses_is_refused(decorator: str, written: str):
    app = App("uncalled")

    def handler(event: object) -> None: ...

    with pytest.raises(RegistrationError) as caught:
        getattr(app, decorator)(handler)
    assert str(caught.value) == f"@app.{decorator} must be called: write {written}"
    assert isinstance(caught.value, WebsocketError)
    assert app.spec().routes == () and app.spec().functions == ()


def test_a_bad_route_selection_expression_is_named_as_one():
    app = App("selection")
    with pytest.raises(InvalidRouteError) as caught:
        app.route_selection_expression = "${request.body.action"
    assert str(caught.value) == (
        "invalid route selection expression '${request.body.action': '${' without its closing '}'"
    )


def test_reply_must_be_a_bool():
    app = App("replies")
    with pytest.raises(InvalidRouteError) as caught:
        app.on_ws_message("ask", reply="yes")(lambda event: None)  # type: ignore[arg-type]
    assert str(caught.value) == "invalid route 'ask': reply must be True or False, not 'yes'"
    assert "ask" not in app.route_table


def test_only_an_error_about_a_handlers_result_is_told_whose_it_is(load_event):
    """The entry point names the handler on a HandlerResultError, by its kind, not on any
    exception that happens to have a `result_of` attribute."""

    class MineError(Exception):
        result_of = None

    app = App(app_name="t")

    @app.on_ws_message()
    def message(event):
        raise MineError()

    with pytest.raises(MineError) as caught:
        app(load_event("message_default.json"), None)
    assert caught.value.result_of is None


def test_an_app_has_no_getattr_hook():
    """A class with `__getattr__` loses the interpreter's fast attribute reads on all its
    instances (a fifth of a dispatch): wsgen's loader suggests misspelled names instead."""
    assert not hasattr(App, "__getattr__")
