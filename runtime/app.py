"""The app object: registers handlers by route and is itself the Lambda handler."""

from __future__ import annotations

from .auth import validate_identity_sources
from .contract import (
    ACCEPT_HANDLER_NAME,
    CONNECT,
    DEFAULT,
    DEFAULT_ROUTE_SELECTION_EXPRESSION,
    DISCONNECT,
    FEATURE_FLAG,
    AppSpec,
    AuthorizerSpec,
    RouteSpec,
)
from .dispatch import handle
from .exceptions import ExperimentalFeatureError
from .management import WebsocketAPI
from .routing import validate_route_key, validate_selection_expression

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any, TypeVar

    H = TypeVar("H", bound=Callable[..., Any])


class _Registered:
    __slots__ = ("handler", "reply")

    def __init__(self, handler: Callable[..., Any], reply: bool) -> None:
        self.handler = handler
        self.reply = reply


def _handler_name(handler: Callable[..., Any]) -> str:
    return f"{getattr(handler, '__module__', '?')}.{getattr(handler, '__qualname__', handler)}"


class App:
    """A WebSocket app: decorate handlers with `on_ws_*`; the app is the Lambda handler.

    Deploy with `Handler: app.app` (module `app`, attribute `app`).
    """

    def __init__(self, app_name: str, debug: bool = False) -> None:
        self.app_name = app_name
        self.debug = debug
        self.experimental_feature_flags: set[str] = set()
        self.websocket_api = WebsocketAPI()
        self._route_selection_expression = DEFAULT_ROUTE_SELECTION_EXPRESSION
        self._routes: dict[str, _Registered] = {}
        self._authorizer: tuple[Callable[..., Any], tuple[str, ...]] | None = None

    @property
    def route_selection_expression(self) -> str:
        """How API Gateway picks a message's route; `$request.body.action` by default."""
        return self._route_selection_expression

    @route_selection_expression.setter
    def route_selection_expression(self, value: str) -> None:
        validate_selection_expression(value)
        self._route_selection_expression = value

    def on_ws_connect(self) -> Callable[[H], H]:
        """Register the `$connect` handler; it may return a `Response` or a dict."""
        return self._register(CONNECT, "on_ws_connect", reply=False)

    def on_ws_message(self, route: str = DEFAULT, *, reply: bool = False) -> Callable[[H], H]:
        """Register a message handler for `route` (`$default` when not given).

        With `reply=True` the route is two-way: the handler's return value (str, bytes or
        a JSON-serialisable value) is sent back to the caller.
        """
        validate_route_key(route)
        return self._register(route, "on_ws_message", reply=reply)

    def on_ws_disconnect(self) -> Callable[[H], H]:
        """Register the `$disconnect` handler (API Gateway calls it on a best-effort basis)."""
        return self._register(DISCONNECT, "on_ws_disconnect", reply=False)

    def ws_authorizer(self, identity_sources: list[str]) -> Callable[[H], H]:
        """Register the REQUEST authorizer that API Gateway runs before `$connect`.

        The handler gets an `AuthorizerEvent` and returns `AuthResponse.allow(principal_id,
        context)` or `AuthResponse.deny()`, or raises `UnauthorizedError` (401). A client
        missing any identity source is refused with 401 before the authorizer runs.
        """
        sources = validate_identity_sources(identity_sources)

        def register(handler: H) -> H:
            if self._authorizer is not None:
                existing = _handler_name(self._authorizer[0])
                raise ValueError(
                    f"ws_authorizer registered a second authorizer (already {existing}); "
                    "an API has one $connect authorizer"
                )
            self._authorizer = (handler, sources)
            return handler

        return register

    def _register(self, route_key: str, decorator: str, *, reply: bool) -> Callable[[H], H]:
        def register(handler: H) -> H:
            if route_key in self._routes:
                existing = _handler_name(self._routes[route_key].handler)
                raise ValueError(
                    f"{decorator} registered a second handler for route '{route_key}' "
                    f"(already served by {existing}); keep one"
                )
            self._routes[route_key] = _Registered(handler, reply)
            return handler

        return register

    def spec(self) -> AppSpec:
        """A read-only view of the registered routes, for the generator and the emulator.

        Raises:
            ExperimentalFeatureError: handlers are registered without the WEBSOCKETS flag.
        """
        if self._routes and FEATURE_FLAG not in self.experimental_feature_flags:
            raise ExperimentalFeatureError(self.app_name)
        routes = {
            key: RouteSpec(key, _handler_name(entry.handler), entry.reply)
            for key, entry in self._routes.items()
        }
        authorizer = None
        if self._authorizer is not None:
            handler, sources = self._authorizer
            authorizer = AuthorizerSpec(_handler_name(handler), sources)
            # An authorizer guards the $connect route, so the API needs one even when the
            # app has no connect handler; the entry point then accepts the connection.
            routes.setdefault(CONNECT, RouteSpec(CONNECT, ACCEPT_HANDLER_NAME))
        return AppSpec(
            self.app_name,
            tuple(routes[key] for key in sorted(routes)),
            self._route_selection_expression,
            authorizer,
        )

    def routes(self) -> tuple[RouteSpec, ...]:
        """The registered routes, sorted by key (see `spec`)."""
        return self.spec().routes

    def authorizer(self) -> Callable[..., Any] | None:
        """The `$connect` authorizer's handler, if one is registered."""
        return None if self._authorizer is None else self._authorizer[0]

    def handler_for(self, route_key: str) -> tuple[Callable[..., Any], bool] | None:
        """The handler serving `route_key` and whether it replies; None when there is none."""
        entry = self._routes.get(route_key)
        return None if entry is None else (entry.handler, entry.reply)

    __call__ = handle
    """The Lambda entry point: `app(event, context)` (see `dispatch.handle`)."""


Chalice = App
"""Alias, so that `from runtime import Chalice` ports a Chalice app by changing one word."""
