"""The app object: registers handlers by route and is itself the Lambda handler."""

from __future__ import annotations

import sys

from .common_errors import EVENT_ONLY, refuse_uncalled, refuse_unknown, refuse_wrong_signature
from .contract import (
    ACCEPT_HANDLER_NAME,
    CONNECT,
    DEFAULT,
    DEFAULT_ROUTE_SELECTION_EXPRESSION,
    DISCONNECT,
    FAN_OUT,
    FAN_OUT_FUNCTION,
    FEATURE_FLAG,
    MIDDLEWARE_EVENT_TYPES,
    TASK,
)
from .dispatch import ConnectedStep, Route, handle
from .functions import EventSources
from .management import WebsocketAPI
from .routing import validate_route_key

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from logging import Logger
    from typing import Any, Never, TypeVar

    from .auth import IAMAuthorizer
    from .background import Background
    from .connections import Connections, Groups
    from .events import AuthorizerEvent, WebsocketEvent
    from .spec import AppSpec, RouteSpec
    from .tasks import Task

    H = TypeVar("H", bound=Callable[..., Any])
    Handler = Callable[[WebsocketEvent], Any]
    Middleware = Callable[[Any, Callable[[Any], Any]], Any]
    """`middleware(event, get_response)`: returns a response, from `get_response(event)` or not."""
    M = TypeVar("M", bound=Middleware)

LOG_FORMAT = "%(name)s - %(levelname)s - %(message)s"
"""`app.log`'s line format, Chalice's (Lambda adds the time itself)."""

FAN_OUT_OPTIONS = {"queue": None, "queue_arn": None}
"""The fan-out function's event source: the template's fan-out queue (`FAN_OUT_BATCH_SIZE`
shards a batch)."""


def _fan_out(event: Any) -> Any:
    """The fan-out function's handler (`runtime.functions` runs `runtime.fanout.consume`)."""
    raise AssertionError("the fan-out function runs runtime.fanout.consume")


_DECORATORS = {CONNECT: "on_ws_connect", DISCONNECT: "on_ws_disconnect"}
"""The decorator registering each predefined route; every other key is `on_ws_message`'s."""

_MIDDLEWARE = ("event", "get_response")
"""What middleware is called with."""


def _handler_name(handler: Callable[..., Any]) -> str:
    return f"{getattr(handler, '__module__', '?')}.{getattr(handler, '__qualname__', handler)}"


def _check_event_type(event_type: str) -> None:
    if event_type not in MIDDLEWARE_EVENT_TYPES:
        from .exceptions import InvalidMiddlewareError

        raise InvalidMiddlewareError(event_type, MIDDLEWARE_EVENT_TYPES)


def chain(
    handler: Callable[[Any], Any], middleware: tuple[Middleware, ...]
) -> Callable[[Any], Any]:
    """`handler` behind `middleware`, the first registered outermost (Chalice's order): each
    middleware is called with the event and the rest of the chain (`get_response`).

    The event handlers' functions chain theirs here too (`runtime.sources`).
    """
    call = handler
    for func in reversed(middleware):
        call = _link(func, call)
    return call


def _link(middleware: Middleware, get_response: Callable[[Any], Any]) -> Callable[[Any], Any]:
    return lambda event: middleware(event, get_response)


class App(EventSources):
    """A WebSocket app: decorate handlers with `on_ws_*`; the app is the Lambda handler.

    Deploy with `Handler: app.app` (module `app`, attribute `app`). The event handlers
    (`schedule`, `on_sqs_message`, ...) come from `EventSources`, each a function of its own.
    """

    def __init__(
        self,
        app_name: str,
        debug: bool = False,
        configure_logs: bool = True,
        connections: bool = False,
        fan_out: bool = False,
        **unknown: Never,
    ) -> None:
        if unknown:
            # A misspelt keyword (App(conections=True)): Python's TypeError would name no
            # close one. Looked at only when there is one; an empty dict costs a construction
            # tens of nanoseconds, where a wrapper catching the TypeError costs hundreds, and
            # a __getattr__ on App would slow every attribute read. `Never` makes type
            # checkers refuse any such keyword, as they would without `**unknown`. The
            # decorators and registration methods with an optional keyword do the same.
            refuse_unknown(unknown)
        self.app_name = app_name
        self._debug = debug
        self._debug_assigned = False
        self.configure_logs = configure_logs
        """Give `app.log` Chalice's stdout handler and level when it is first used."""
        self._log: Logger | None = None
        self.experimental_feature_flags: set[str] = set()
        self.websocket_api = WebsocketAPI()
        self.tracks_connections = connections
        """`App(..., connections=True)`: the entry point records and deletes connections."""
        self._connections: Connections | None = None
        self._groups: Groups | None = None
        if connections:
            self.websocket_api.on_gone = self.connections.forget
        self.websocket_api.app_name = app_name
        if debug or connections or fan_out or not configure_logs:
            # Kept in the App(...) a feature-off error suggests (see _FeatureOffError).
            self.websocket_api.app_arguments = tuple(
                f"{name}={value}"
                for name, value, default in (
                    ("debug", debug, False),
                    ("configure_logs", configure_logs, True),
                    ("connections", connections, False),
                    ("fan_out", fan_out, False),
                )
                if value != default
            )
        self._route_selection_expression = DEFAULT_ROUTE_SELECTION_EXPRESSION
        self.route_table: dict[str, Route] = {}
        """Route key → `Route`, what the entry point reads. Read-only: register with
        `add_route` or the decorators, which check what they are given."""
        self._authorizer: tuple[Callable[[AuthorizerEvent], Any], tuple[str, ...]] | None = None
        self._functions = {}
        self._connected: Callable[[WebsocketEvent], Any] | None = None
        self._background: Background | None = None
        self._middleware: list[tuple[Middleware, str]] = []
        self._iam_authorization = False
        self._api_key_required = False
        if fan_out:
            # Large audiences go to shards: the queue's consumer is a function of its own.
            self.websocket_api.on_shards = self._shards
            if connections:
                self.websocket_api.on_enqueued = self.connections.fan_out_started
            self._function(FAN_OUT, FAN_OUT_FUNCTION, **FAN_OUT_OPTIONS)(_fan_out)

    def _shards(self, bodies: list[str], delay_s: int) -> dict[int, Exception]:
        """Queue shard messages through the background in use (see `use_background`)."""
        return self.background.shards(bodies, delay_s)

    # Made on first use: an app that never tracks connections or starts background work
    # does not import their modules (cold-start time).

    @property
    def connections(self) -> Connections:
        """The tracked connections (with `connections=True`): get, update, count, reach."""
        if self._connections is None:
            from .connections import Connections

            self._connections = Connections(
                self.app_name, self.tracks_connections, self.websocket_api
            )
        return self._connections

    @property
    def groups(self) -> Groups:
        """Named sets of tracked connections: join, leave, members, count, send."""
        if self._groups is None:
            from .connections import Groups

            self._groups = Groups(self.connections, self.websocket_api)
        return self._groups

    @property
    def background(self) -> Background:
        """Starts asynchronous invocations: `@app.on_ws_connected`'s (see `use_background`)."""
        if self._background is None:
            from .background import Background

            self._background = Background()
        return self._background

    @property
    def debug(self) -> bool:
        """Chalice's debug flag: `app.log` logs DEBUG and up when set, ERROR and up when not."""
        return self._debug

    @debug.setter
    def debug(self, value: bool) -> None:
        self._debug = value
        self._debug_assigned = True
        if self._log is not None:  # else `log` sets the level when it makes the logger
            import logging  # loaded already: the logger exists

            self._log.setLevel(logging.DEBUG if value else logging.ERROR)

    @property
    def log(self) -> Logger:
        """The app's logger, named after the app, as in Chalice.

        Made on first use (importing `logging` costs cold-start time): with
        `configure_logs` it writes `name - LEVEL - message` lines to stdout, does not
        propagate, and logs from DEBUG with `debug=True`, from ERROR otherwise.
        """
        if self._log is None:
            import logging

            log = logging.getLogger(self.app_name)
            if self.configure_logs:
                # Once per logger: an app made again (wsgen local --reload) adds no second one.
                if not any(
                    isinstance(h, logging.StreamHandler) and h.stream is sys.stdout
                    for h in log.handlers
                ):
                    handler = logging.StreamHandler(sys.stdout)
                    handler.setFormatter(logging.Formatter(LOG_FORMAT))
                    log.addHandler(handler)
                log.propagate = False
            if self.configure_logs or self._debug_assigned:
                log.setLevel(logging.DEBUG if self._debug else logging.ERROR)
            self._log = log
        return self._log

    @property
    def route_selection_expression(self) -> str:
        """How API Gateway picks a message's route; `$request.body.action` by default."""
        return self._route_selection_expression

    @route_selection_expression.setter
    def route_selection_expression(self, value: str) -> None:
        from .selection import validate_selection_expression

        validate_selection_expression(value)
        self._route_selection_expression = value

    def on_ws_connect(
        self,
        authorizer: IAMAuthorizer | None = None,
        api_key_required: bool = False,
        **unknown: Never,
    ) -> Callable[[H], H]:
        """Register the `$connect` handler; it may return a `Response` or a dict.

        As on Chalice's routes, `authorizer=IAMAuthorizer()` lets only SigV4-signed upgrade
        requests of callers IAM allows connect, and `api_key_required=True` only those
        sending one of the usage plan's API keys in `x-api-key`; API Gateway refuses the
        others with 403 before the handler runs. (A Lambda authorizer is `ws_authorizer`'s;
        a route has one authorization type.)

        Raises:
            InvalidRouteError: `authorizer` is not an `IAMAuthorizer`, or `api_key_required`
                is not a bool.
            ConflictingAuthorizationError: IAM, and the app has a `ws_authorizer`.
            RegistrationError: written `@app.on_ws_connect`, without its parentheses.
        """
        refuse_uncalled("on_ws_connect", authorizer, unknown=unknown)
        if authorizer is not None:
            from .auth import IAMAuthorizer  # only apps that use it pay for the module

            if not isinstance(authorizer, IAMAuthorizer):
                from .exceptions import InvalidRouteError

                raise InvalidRouteError(
                    CONNECT,
                    f"authorizer must be IAMAuthorizer(), not {authorizer!r}; a Lambda authorizer "
                    "is registered with @app.ws_authorizer(identity_sources=[...])",
                )
        if not isinstance(api_key_required, bool):
            from .exceptions import InvalidRouteError

            raise InvalidRouteError(
                CONNECT, f"api_key_required must be True or False, not {api_key_required!r}"
            )
        if authorizer is not None and self._authorizer is not None:
            from .exceptions import ConflictingAuthorizationError

            raise ConflictingAuthorizationError()

        def register(handler: H) -> H:
            self.add_route(CONNECT, handler)
            self._iam_authorization = authorizer is not None
            self._api_key_required = api_key_required
            return handler

        return register

    def on_ws_message(
        self, route: str = DEFAULT, *, reply: bool = False, **unknown: Never
    ) -> Callable[[H], H]:
        """Register a message handler for `route` (`$default` when not given).

        With `reply=True` the route is two-way: the handler's return value (str, bytes or
        a JSON-serialisable value) is sent back to the caller.
        """
        refuse_uncalled(
            "on_ws_message",
            route,
            'route="NAME"',
            "@app.on_ws_message() for $default",
            unknown=unknown,
        )
        validate_route_key(route)
        return self._decorator(route, reply=reply)

    def on_ws_disconnect(self, _uncalled: object = None, /) -> Callable[[H], H]:
        """Register the `$disconnect` handler (API Gateway calls it on a best-effort basis)."""
        refuse_uncalled("on_ws_disconnect", _uncalled)
        return self._decorator(DISCONNECT, reply=False)

    def on_ws_connected(self, _uncalled: object = None, /) -> Callable[[H], H]:
        """Register the handler that runs once a connection is open, where `send()` works.

        It gets the `$connect` event (`event.connection_id`, headers, query string,
        authorizer context) after `$connect` accepted the connection. On AWS the entry
        point starts it in an asynchronous invocation of the same function; under
        `wsgen local` and `wsgen.testing.Client` it runs right after the handshake. Its
        return value is ignored.
        """
        refuse_uncalled("on_ws_connected", _uncalled)

        def register(handler: H) -> H:
            self.add_connected(handler)
            return handler

        return register

    def add_connected(self, handler: Callable[[WebsocketEvent], Any]) -> None:
        """Run `handler` once each connection is open: what `on_ws_connected` does.

        Raises:
            DuplicateHandlerError: the app has an `on_ws_connected` handler already.
        """
        if self._connected is not None:
            existing = _handler_name(self._connected)
            from .exceptions import DuplicateHandlerError

            raise DuplicateHandlerError("on_ws_connected", CONNECT, existing)
        refuse_wrong_signature("on_ws_connected", handler, EVENT_ONLY)
        self._connected = handler
        connect = self.route_table.get(CONNECT)
        if connect is not None:
            self._set_call(connect)

    def connected_handler(self) -> Callable[[WebsocketEvent], Any] | None:
        """The `on_ws_connected` handler, if one is registered."""
        return self._connected

    def task(
        self, name: str | None = None, **unknown: Never
    ) -> Callable[[Callable[..., Any]], Task]:
        """Make the function a background task: `task.delay(*args, **kwargs)` starts it.

        The task is a Lambda function of its own, named `name` (the function's name by
        default; also its `[functions.NAME]` in wsgen.toml). `delay()` returns at once; the
        task runs in an asynchronous invocation, up to its function's timeout (at most 15
        minutes), and may `send()` its progress and result. Arguments must be JSON values.
        """
        refuse_uncalled("task", name, unknown=unknown)

        def register(function: Callable[..., Any]) -> Task:
            from .tasks import Task

            self._function(TASK, name)(function)
            return Task(self, function.__name__ if name is None else name, function)

        return register

    def use_background(self, background: Background) -> Background:
        """Start asynchronous invocations with `background` (wsgen local and the test
        client run them in their process); returns the one used until now."""
        previous, self._background = self.background, background
        return previous

    def ws_authorizer(self, identity_sources: list[str]) -> Callable[[H], H]:
        """Register the REQUEST authorizer that API Gateway runs before `$connect`.

        The handler gets an `AuthorizerEvent` and returns `AuthResponse.allow(principal_id,
        context)` or `AuthResponse.deny()`, or raises `UnauthorizedError` (401). A client
        missing any identity source is refused with 401 before the authorizer runs.
        """
        from .auth import validate_identity_sources

        refuse_uncalled("ws_authorizer", identity_sources, "identity_sources=[...]")
        sources = validate_identity_sources(identity_sources)

        def register(handler: H) -> H:
            self.add_authorizer(handler, sources)
            return handler

        return register

    def _decorator(self, route_key: str, *, reply: bool) -> Callable[[H], H]:
        def register(handler: H) -> H:
            self.add_route(route_key, handler, reply=reply)
            return handler

        return register

    def add_route(
        self,
        route_key: str,
        handler: Callable[[WebsocketEvent], Any],
        *,
        reply: bool = False,
        **unknown: Never,
    ) -> None:
        """Serve `route_key` with `handler`: what the `on_ws_*` decorators do.

        Raises:
            InvalidRouteError: a key API Gateway would refuse, `reply` not a bool, or `reply`
                on `$connect` or `$disconnect` (only messages have replies).
            DuplicateHandlerError: the route already has a handler.
        """
        if unknown:
            refuse_unknown(unknown)
        validate_route_key(route_key)
        if not isinstance(reply, bool):
            from .exceptions import InvalidRouteError

            raise InvalidRouteError(route_key, f"reply must be True or False, not {reply!r}")
        if reply and route_key in _DECORATORS:
            from .exceptions import InvalidRouteError

            raise InvalidRouteError(route_key, "only message routes can reply")
        existing = self.route_table.get(route_key)
        if existing is not None:
            decorator = _DECORATORS.get(route_key, "on_ws_message")
            from .exceptions import DuplicateHandlerError

            raise DuplicateHandlerError(decorator, route_key, _handler_name(existing.handler))
        refuse_wrong_signature(_DECORATORS.get(route_key, "on_ws_message"), handler, EVENT_ONLY)
        route = Route(route_key, handler, reply)
        self._set_call(route)
        self.route_table[route_key] = route

    def _set_call(self, route: Route) -> None:
        """What the entry point calls for `route`: its handler behind the middleware, and on
        `$connect` of an app with `on_ws_connected`, the step starting it (decided here, at
        registration, so that no other event pays for the check)."""
        route.chain = chain(route.handler, self.middleware_for("websocket"))
        connected = route.key == CONNECT and self._connected is not None
        route.call = ConnectedStep(self, route.chain) if connected else route.chain

    def add_authorizer(
        self,
        handler: Callable[[AuthorizerEvent], Any],
        identity_sources: list[str] | tuple[str, ...],
    ) -> None:
        """Guard `$connect` with `handler`: what `ws_authorizer` does.

        Raises:
            InvalidIdentitySourceError: a source API Gateway would refuse.
            DuplicateHandlerError: the app has an authorizer already.
        """
        from .auth import validate_identity_sources

        sources = validate_identity_sources(identity_sources)
        if self._iam_authorization:
            from .exceptions import ConflictingAuthorizationError

            raise ConflictingAuthorizationError()
        if self._authorizer is not None:
            existing = _handler_name(self._authorizer[0])
            from .exceptions import DuplicateHandlerError

            raise DuplicateHandlerError("ws_authorizer", CONNECT, existing)
        refuse_wrong_signature("ws_authorizer", handler, EVENT_ONLY)
        self._authorizer = (handler, sources)

    def middleware(self, event_type: str = "all", **unknown: Never) -> Callable[[M], M]:
        """Register middleware for `event_type`'s handlers (`register_middleware`)."""
        if unknown:
            refuse_unknown(unknown)
        _check_event_type(event_type)

        def register(func: M) -> M:
            self.register_middleware(func, event_type)
            return func

        return register

    def register_middleware(
        self, func: Middleware, event_type: str = "all", **unknown: Never
    ) -> None:
        """Run `func(event, get_response)` around every handler of `event_type`, as Chalice.

        `"websocket"` and `"all"` wrap the `on_ws_*` handlers (not the authorizer):
        `get_response(event)` runs the rest of the chain and the handler, and returns what
        the handler returned; middleware returns that, or its own response without calling
        it. Middleware runs in registration order, the first outermost, and applies to
        handlers registered before and after it. Chalice's other event types are accepted
        for the handlers that take them.

        Raises:
            InvalidMiddlewareError: `event_type` is not one of Chalice's.
        """
        if unknown:
            refuse_unknown(unknown)
        _check_event_type(event_type)
        refuse_wrong_signature("middleware", func, _MIDDLEWARE)
        self._middleware.append((func, event_type))
        for route in self.route_table.values():
            self._set_call(route)

    def middleware_for(self, event_type: str) -> tuple[Middleware, ...]:
        """The middleware for `event_type`'s handlers (its own and `"all"`), outermost first."""
        return tuple(func for func, kind in self._middleware if kind in (event_type, "all"))

    def spec(self) -> AppSpec:
        """A read-only view of the registered routes, for the generator and the emulator.

        Raises:
            ExperimentalFeatureError: handlers are registered without the WEBSOCKETS flag.
        """
        if self.route_table and FEATURE_FLAG not in self.experimental_feature_flags:
            from .exceptions import ExperimentalFeatureError

            raise ExperimentalFeatureError(self.app_name, self.experimental_feature_flags)
        from .spec import AppSpec, AuthorizerSpec, FunctionSpec, RouteSpec  # wsgen's, not Lambda's

        routes = {
            key: RouteSpec(key, _handler_name(entry.handler), entry.reply)
            for key, entry in self.route_table.items()
        }
        authorizer = None
        if self._authorizer is not None:
            handler, sources = self._authorizer
            authorizer = AuthorizerSpec(_handler_name(handler), sources)
            # An authorizer guards the $connect route, so the API needs one even when the
            # app has no connect handler; the entry point then accepts the connection.
            routes.setdefault(CONNECT, RouteSpec(CONNECT, ACCEPT_HANDLER_NAME))
        if self._connected is not None:
            # $connect's invocation starts the connected step: the API needs the route.
            routes.setdefault(CONNECT, RouteSpec(CONNECT, ACCEPT_HANDLER_NAME))
        if self.tracks_connections:
            # Tracking needs both events: the entry point records and deletes connections.
            routes.setdefault(CONNECT, RouteSpec(CONNECT, ACCEPT_HANDLER_NAME))
            routes.setdefault(DISCONNECT, RouteSpec(DISCONNECT, ACCEPT_HANDLER_NAME))
        functions = tuple(
            FunctionSpec(f.name, f.kind, _handler_name(f.handler), f.options)
            for _, f in sorted(self._functions.items())
        )
        return AppSpec(
            self.app_name,
            tuple(routes[key] for key in sorted(routes)),
            self._route_selection_expression,
            authorizer,
            self.tracks_connections,
            functions,
            None if self._connected is None else _handler_name(self._connected),
            self._iam_authorization,
            self._api_key_required,
        )

    def routes(self) -> tuple[RouteSpec, ...]:
        """The registered routes, sorted by key (see `spec`)."""
        return self.spec().routes

    def authorizer(self) -> Callable[[AuthorizerEvent], Any] | None:
        """The `$connect` authorizer's handler, if one is registered."""
        return None if self._authorizer is None else self._authorizer[0]

    __call__ = handle
    """The Lambda entry point: `app(event, context)` (see `dispatch.handle`)."""


Chalice = App
"""Alias, so that `from runtime import Chalice` ports a Chalice app by changing one word."""
