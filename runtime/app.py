"""The app object: registers handlers by route and is itself the Lambda handler."""

from __future__ import annotations

from .contract import (
    CONNECT,
    DEFAULT,
    DEFAULT_ROUTE_SELECTION_EXPRESSION,
    DISCONNECT,
    FEATURE_FLAG,
    AppSpec,
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
        routes = tuple(
            RouteSpec(key, _handler_name(entry.handler), entry.reply)
            for key, entry in sorted(self._routes.items())
        )
        return AppSpec(self.app_name, routes, self._route_selection_expression)

    def routes(self) -> tuple[RouteSpec, ...]:
        """The registered routes, sorted by key (see `spec`)."""
        return self.spec().routes

    def handler_for(self, route_key: str) -> tuple[Callable[..., Any], bool] | None:
        """The handler serving `route_key` and whether it replies; None when there is none."""
        entry = self._routes.get(route_key)
        return None if entry is None else (entry.handler, entry.reply)

    def __call__(self, event: dict[str, Any], context: Any) -> dict[str, Any]:
        """The Lambda entry point."""
        return handle(self, event, context)


Chalice = App
"""Alias, so that `from runtime import Chalice` ports a Chalice app by changing one word."""
