"""The app as `wsgen` reads it: `App.spec()`'s read-only view of its routes, authorizer and
event handlers.

Only the tool and the emulators call `App.spec()`; a Lambda invocation never does, so these
classes are apart from `runtime.contract`'s names and a cold start does not build them.
`runtime.contract` still exports them under their old names.
"""

from __future__ import annotations

from .contract import DEFAULT_ROUTE_SELECTION_EXPRESSION, FAN_OUT_FUNCTION, PREDEFINED_ROUTES

TYPE_CHECKING = False  # typing costs import time; mypy reads this name as typing's
if TYPE_CHECKING:
    from typing import Any


class _Record:
    """An immutable value with named fields; `dataclasses` would cost cold-start time."""

    __slots__: tuple[str, ...] = ()
    _fields: tuple[str, ...] = ()
    """The fields in positional order (each subclass sets `__slots__ = _fields`)."""

    def __init__(self, *args: Any) -> None:
        for name, value in zip(self._fields, args, strict=True):
            object.__setattr__(self, name, value)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"{type(self).__name__} is read-only")

    def _values(self) -> tuple[Any, ...]:
        return tuple(getattr(self, name) for name in self._fields)

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, _Record)
            and type(other) is type(self)
            and self._values() == other._values()
        )

    def __hash__(self) -> int:
        return hash(self._values())

    def __repr__(self) -> str:
        fields = ", ".join(f"{name}={getattr(self, name)!r}" for name in self._fields)
        return f"{type(self).__name__}({fields})"


class RouteSpec(_Record):
    """One registered route: its API Gateway route key and the handler serving it."""

    _fields = ("key", "handler_name", "reply")
    __slots__ = _fields
    key: str
    handler_name: str
    reply: bool
    """Two-way: the handler's return value is sent back to the caller."""

    def __init__(self, key: str, handler_name: str, reply: bool = False) -> None:
        super().__init__(key, handler_name, reply)

    @property
    def predefined(self) -> bool:
        return self.key in PREDEFINED_ROUTES


class AuthorizerSpec(_Record):
    """The REQUEST authorizer that guards `$connect`."""

    _fields = ("handler_name", "identity_sources")
    __slots__ = _fields
    handler_name: str
    identity_sources: tuple[str, ...]

    def __init__(self, handler_name: str, identity_sources: tuple[str, ...]) -> None:
        super().__init__(handler_name, identity_sources)


class FunctionSpec(_Record):
    """One event handler (`@app.schedule`, `@app.on_sqs_message`, ...): its own function.

    `options` holds the decorator's other arguments by their names (`expression`,
    `queue`, `batch_size`, ...), as given; `wsgen` checks them.
    """

    _fields = ("name", "kind", "handler_name", "options")
    __slots__ = _fields
    name: str
    kind: str
    """One of `FUNCTION_KINDS`: the decorator's name."""
    handler_name: str
    options: dict[str, Any]

    def __init__(self, name: str, kind: str, handler_name: str, options: dict[str, Any]) -> None:
        super().__init__(name, kind, handler_name, options)

    def __hash__(self) -> int:
        return hash((self.name, self.kind))


class AppSpec(_Record):
    """A read-only view of a registered app, for the generator and the emulator."""

    _fields = (
        "app_name",
        "routes",
        "route_selection_expression",
        "authorizer",
        "connections",
        "functions",
        "connected",
        "iam_authorization",
        "api_key_required",
    )
    __slots__ = _fields
    app_name: str
    routes: tuple[RouteSpec, ...]
    route_selection_expression: str
    authorizer: AuthorizerSpec | None
    connections: bool
    """The app tracks its connections (`App(..., connections=True)`): it has the table."""
    functions: tuple[FunctionSpec, ...]
    """The event handlers, sorted by name."""
    connected: str | None
    """The `@app.on_ws_connected` handler's name: the function serving `$connect` may
    invoke itself asynchronously."""
    iam_authorization: bool
    """`$connect` is authorized by IAM (`AuthorizationType: AWS_IAM`): SigV4-signed upgrades."""
    api_key_required: bool
    """`$connect` needs an API key in `x-api-key` (`ApiKeyRequired`, a usage plan's key)."""

    def __init__(
        self,
        app_name: str,
        routes: tuple[RouteSpec, ...],
        route_selection_expression: str = DEFAULT_ROUTE_SELECTION_EXPRESSION,
        authorizer: AuthorizerSpec | None = None,
        connections: bool = False,
        functions: tuple[FunctionSpec, ...] = (),
        connected: str | None = None,
        iam_authorization: bool = False,
        api_key_required: bool = False,
    ) -> None:
        super().__init__(
            app_name,
            routes,
            route_selection_expression,
            authorizer,
            connections,
            functions,
            connected,
            iam_authorization,
            api_key_required,
        )

    @property
    def fan_out(self) -> bool:
        """The app fans out through shards (`App(..., fan_out=True)`): it has the queue."""
        return self.function(FAN_OUT_FUNCTION) is not None

    def route(self, key: str) -> RouteSpec | None:
        return next((r for r in self.routes if r.key == key), None)

    def function(self, name: str) -> FunctionSpec | None:
        return next((f for f in self.functions if f.name == name), None)

    def invocable(self) -> list[str]:
        """The names of the app's own event handlers and tasks, which errors list: not the
        fan-out queue's consumer, wsgen's own (it can still be invoked by name)."""
        return [f.name for f in self.functions if f.name != FAN_OUT_FUNCTION]
