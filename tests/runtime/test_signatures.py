"""Handlers that cannot take what the runtime passes are refused at registration, in one
line naming the handler, its file and line, what it takes and the fix."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import pytest

from runtime import App, AsyncHandlerError, HandlerSignatureError, RegistrationError

HERE = "tests/runtime/test_signatures.py"


def no_arguments() -> None:
    pass


def event_and_context(event: Any, context: Any) -> None:
    pass


def app() -> App:
    made = App(app_name="signatures")
    made.experimental_feature_flags.update(["WEBSOCKETS"])
    return made


REGISTRATIONS: list[tuple[str, Callable[[App], Callable[[Any], Any]]]] = [
    ("on_ws_connect", lambda a: a.on_ws_connect()),
    ("on_ws_message", lambda a: a.on_ws_message()),
    ("on_ws_message", lambda a: a.on_ws_message("join", reply=True)),
    ("on_ws_disconnect", lambda a: a.on_ws_disconnect()),
    ("on_ws_connected", lambda a: a.on_ws_connected()),
    ("ws_authorizer", lambda a: a.ws_authorizer(identity_sources=["route.request.header.X"])),
    ("schedule", lambda a: a.schedule("rate(1 minute)")),
    ("on_sqs_message", lambda a: a.on_sqs_message(queue="jobs")),
    ("on_sns_message", lambda a: a.on_sns_message(topic="news")),
    ("on_cw_event", lambda a: a.on_cw_event({"source": ["aws.ec2"]})),
    ("on_dynamodb_record", lambda a: a.on_dynamodb_record(stream_arn="arn:aws:dynamodb:x")),
]


@pytest.mark.parametrize("decorator, register", REGISTRATIONS)
def test_a_handler_taking_no_event_is_refused_at_registration(decorator, register):
    with pytest.raises(HandlerSignatureError) as caught:
        register(app())(no_arguments)
    line = no_arguments.__code__.co_firstlineno
    assert str(caught.value) == (
        f"@app.{decorator}() handler no_arguments at {HERE}:{line} takes no arguments, "
        "but it is called with (event): write def no_arguments(event):"
    )
    assert isinstance(caught.value, RegistrationError)
    assert isinstance(caught.value, TypeError)  # what Python would have raised, later


@pytest.mark.parametrize("decorator, register", REGISTRATIONS)
def test_a_handler_taking_the_event_registers(decorator, register):
    def handler(event: Any) -> None:
        pass

    assert register(app())(handler) is handler


def test_a_lambda_function_takes_the_event_and_the_context():
    made = app()
    assert made.lambda_function()(event_and_context) is event_and_context
    with pytest.raises(
        HandlerSignatureError,
        match=r"called with \(event, context\): write lambda event, context: ...$",
    ):
        made.lambda_function(name="other")(lambda event: None)


def test_middleware_takes_the_event_and_get_response():
    made = app()
    with pytest.raises(HandlerSignatureError) as caught:
        made.middleware("all")(lambda event: None)
    assert str(caught.value).endswith(
        "takes (event), but it is called with (event, get_response): "
        "write lambda event, get_response: ..."
    )
    with pytest.raises(HandlerSignatureError):
        made.register_middleware(no_arguments, "websocket")

    def middleware(event: Any, get_response: Any) -> Any:
        return get_response(event)

    assert made.middleware()(middleware) is middleware


def test_add_route_checks_as_the_decorators_do():
    with pytest.raises(HandlerSignatureError, match=r"@app\.on_ws_disconnect\(\) handler"):
        app().add_route("$disconnect", event_and_context)


class Handlers:
    def method(self, event: Any) -> None:
        pass

    def without_event(self) -> None:
        pass

    def __call__(self, event: Any) -> None:
        pass

    @staticmethod
    def static(event: Any) -> None:
        pass

    @classmethod
    def of_class(cls, event: Any) -> None:
        pass


class NoEventCall:
    def __call__(self) -> None:
        pass


def two(first: Any, event: Any) -> None:
    pass


@pytest.mark.parametrize(
    "handler",
    [
        lambda event: None,
        lambda event, extra=None: None,  # a default: called with the event alone
        lambda *args: None,
        lambda event, *, option=1: None,
        Handlers().method,
        Handlers(),
        Handlers.static,
        Handlers.of_class,
        functools.partial(two, 1),
        functools.partial(lambda event, option: None, option=2),
        functools.wraps(two)(lambda *args, **kwargs: None),  # the wrapper is what is called
        print,  # a builtin: its parameters are not read
        dict,  # a class: neither
    ],
)
def test_callables_that_take_the_event_register(handler):
    app().on_ws_message()(handler)


@pytest.mark.parametrize(
    "handler, takes, fix",
    [
        (lambda: None, "no arguments", "write lambda event: ..."),
        (event_and_context, "(event, context)", "write def event_and_context(event):"),
        (
            lambda event, *, option: None,
            "(event) and keyword-only option without a default",
            "give option a default",
        ),
        (Handlers().without_event, "no arguments", "write def without_event(self, event):"),
        (NoEventCall(), "no arguments", "write def __call__(self, event):"),
        (
            functools.partial(two, 1, 2),
            "no arguments",
            "make it take (event) after its 2 bound argument(s)",
        ),
    ],
)
def test_callables_that_cannot_take_the_event_are_refused_naming_the_fix(handler, takes, fix):
    with pytest.raises(HandlerSignatureError) as caught:
        app().on_ws_message()(handler)
    message = str(caught.value)
    assert f" at {HERE}:" in message
    assert message.endswith(f" takes {takes}, but it is called with (event): {fix}")


async def coroutine_handler(event: Any) -> None:
    pass


async def async_generator_handler(event: Any) -> Any:
    yield event


@pytest.mark.parametrize("decorator, register", REGISTRATIONS)
def test_an_async_handler_is_refused_at_registration(decorator, register):
    """Lambda's Python runtime never awaits a handler's coroutine: the body would never run,
    and the gateway would see a success."""
    with pytest.raises(AsyncHandlerError) as caught:
        register(app())(coroutine_handler)
    line = coroutine_handler.__code__.co_firstlineno
    assert str(caught.value) == (
        f"@app.{decorator}() handler coroutine_handler at {HERE}:{line} is async def, but "
        "Lambda calls handlers without awaiting them, so its body would never run: write "
        "def coroutine_handler(...) and run any coroutine inside with asyncio.run()"
    )
    assert isinstance(caught.value, RegistrationError)


@pytest.mark.parametrize(
    "handler",
    [
        async_generator_handler,
        functools.partial(coroutine_handler),
        type("Handlers", (), {"on": coroutine_handler})().on,
    ],
    ids=["async generator", "partial", "method"],
)
def test_an_async_handler_is_refused_through_its_wrappers(handler):
    with pytest.raises(AsyncHandlerError, match=r"is async def"):
        app().on_ws_message()(handler)


def test_an_async_task_is_refused_and_a_plain_one_registers():
    made = app()
    with pytest.raises(AsyncHandlerError, match=r"^@app\.task\(\) handler coroutine_handler"):
        made.task()(coroutine_handler)
    assert made.task()(no_arguments).name == "no_arguments"


def test_an_async_middleware_is_refused():
    async def middleware(event: Any, get_response: Any) -> Any:
        return get_response(event)

    with pytest.raises(AsyncHandlerError, match=r"^@app\.middleware\(\) handler middleware"):
        app().middleware("all")(middleware)
