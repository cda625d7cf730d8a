"""The Lambda entry point's work: pick the handler for an event, call it, shape the result.

The entry point sees an app only through `Dispatchable`: its route table (`Route` entries
the app's `add_route` fills), its authorizer, its `on_ws_connected` handler, its
`websocket_api`, its `background` and its `connections` (which it records and deletes when
the app tracks them). It imports nothing from `runtime.app`, which imports `handle` from here.
"""

from __future__ import annotations

from .common_errors import ClientError, ResultOfAHandler, WebsocketDisconnectedError
from .contract import CONNECT, CONNECTED_KEY, DEFAULT, DISCONNECT, EVENT_MESSAGE
from .events import AuthorizerEvent, WebsocketEvent, is_authorizer_event

_new = object.__new__

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from typing import Any, Protocol

    from .background import Background
    from .connections import Connections
    from .events import RawEvent, RawRequestContext
    from .management import WebsocketAPI
    from .responses import Refused

    class Dispatchable(Protocol):
        """What the entry point reads from an app (`App` is one).

        `route_table` maps route keys to their `Route` (`$default`'s serves the messages of
        other keys); `authorizer()` is the `$connect` authorizer's handler, if any.
        """

        @property
        def route_table(self) -> Mapping[str, Route]: ...

        @property
        def websocket_api(self) -> WebsocketAPI: ...

        @property
        def background(self) -> Background: ...

        @property
        def connections(self) -> Connections: ...

        @property
        def tracks_connections(self) -> bool: ...

        def authorizer(self) -> Callable[[AuthorizerEvent], Any] | None: ...

        def connected_handler(self) -> Callable[[WebsocketEvent], Any] | None: ...


def _first_shape(result: Any, *, reply: bool = False, route_key: str = "") -> dict[str, Any]:
    """`_shape` until a handler first returns something: loads `runtime.responses`, then
    hands over to its `to_proxy_response`, which every later result goes to directly.

    So an app whose handlers return nothing (most message and connect handlers) never
    loads the module (cold-start time), and one that does pays no import per event.
    """
    global _shape
    from .responses import to_proxy_response

    _shape = to_proxy_response
    return to_proxy_response(result, reply=reply, route_key=route_key)


_shape: Callable[..., dict[str, Any]] = _first_shape
"""What a handler's non-None result becomes: `responses.to_proxy_response`, once loaded."""


class Route:
    """One entry of an app's route table: what the entry point calls for a route key."""

    __slots__ = ("call", "chain", "handler", "key", "reply")

    def __init__(
        self,
        key: str,
        handler: Callable[[WebsocketEvent], Any],
        reply: bool = False,
    ) -> None:
        self.key = key
        self.handler = handler
        """The function the app registered."""
        self.reply = reply
        """Two-way: the handler's return value is sent back to the caller."""
        self.chain: Callable[[WebsocketEvent], Any] = handler
        """The handler, or middleware around it."""
        self.call = self.chain
        """What the entry point calls with the event: `chain`, or on `$connect` of an app
        with `on_ws_connected`, a `ConnectedStep` around it."""

    def __repr__(self) -> str:
        return f"Route({self.key!r}, {self.handler!r}, reply={self.reply})"


def handle(app: Dispatchable, event: RawEvent, context: Any) -> dict[str, Any]:
    """Dispatch one API Gateway WebSocket event to the app's handler for its route.

    This is `App.__call__`, the Lambda entry point: every event pays for each line here, so
    the common case (a route with its own handler) takes the shortest path. It also runs
    the asynchronous invocation `$connect` starts for `@app.on_ws_connected`.
    """
    try:
        request_context = event["requestContext"]
        entry = app.route_table.get(request_context["routeKey"])
    except (KeyError, TypeError):
        payload: Any = event  # an invocation's payload, not an API Gateway event
        if isinstance(payload, dict) and CONNECTED_KEY in payload:
            return _connected(app, payload[CONNECTED_KEY], context)
        raise _invalid(event) from None
    if entry is None or "methodArn" in event:
        resolved = _resolve_unusual(app, event, context)
        if isinstance(resolved, dict):
            return resolved
        entry = resolved
    # Where send() finds the endpoint when nothing else names it (see WebsocketAPI.endpoint).
    app.websocket_api.last_request_context = request_context
    # WebsocketEvent(event, context, app) without its __init__ call: the requestContext check
    # is done above, and this saves a third of the event's cost (~90 ns) on every invocation.
    ws_event = _new(WebsocketEvent)
    ws_event.raw = event
    ws_event.context = context
    ws_event.tracker = app  # event.connection (which says how to turn tracking on)
    if app.tracks_connections:
        return _tracked(app, app.connections, entry, ws_event, request_context)
    try:
        result = entry.call(ws_event)
        if result is None:
            return {"statusCode": 200}
        return _shape(result, reply=entry.reply, route_key=request_context["routeKey"])
    except ClientError as exc:  # the handler refused the message: the client is told why
        return _refuse(app, entry, event, exc)
    except Exception as exc:  # the handler's, or its result's (an unsendable reply)
        _log_failure("handler for route " + request_context["routeKey"], event, exc, entry)
        raise


class ConnectedStep:
    """`$connect`'s call in an app with `@app.on_ws_connected`: the route's handler (and
    middleware), then, once its response accepts the connection, the connected step.

    `App` installs it when it registers the route or the handler, so only `$connect` of
    such an app pays for it. Returns the proxy response (which the entry point leaves as
    it is); the handler's `ClientError` and failures propagate as the handler's own.
    """

    __slots__ = ("app", "chain")

    def __init__(self, app: Dispatchable, chain: Callable[[WebsocketEvent], Any]) -> None:
        self.app = app
        self.chain = chain

    def __call__(self, ws_event: WebsocketEvent) -> dict[str, Any]:
        response, accepted = _connect_response(self.chain(ws_event))
        if accepted:
            _start_connected(self.app, ws_event.raw)
        return response


def _connect_response(result: Any) -> tuple[dict[str, Any], bool]:
    """`$connect`'s handler result as its proxy response, and whether that accepts the
    connection: a 2xx status (docs/aws-facts.md#connect)."""
    response = {"statusCode": 200} if result is None else _shape(result, route_key=CONNECT)
    return response, 200 <= response.get("statusCode", 200) < 300


def _start_connected(app: Dispatchable, event: RawEvent) -> None:
    """Start `@app.on_ws_connected` for the accepted `$connect` `event`."""
    try:
        app.background.connected(event)
    except Exception as exc:
        # The connection stands (the client may be greeted late or not at all); the
        # failure is logged, not turned into a refused handshake.
        _log_failure("starting on_ws_connected", event, exc, raised=False)


def _connect(
    app: Dispatchable, entry: Route, ws_event: WebsocketEvent, tracked: Connections
) -> dict[str, Any]:
    """`$connect` of a tracked app: the handler's response; once it accepts, the connection
    is recorded and then the connected step starts."""
    event = ws_event.raw
    try:
        response, accepted = _connect_response(entry.chain(ws_event))
    except ClientError as exc:  # the handler refused the connection, with its status
        return _refuse(app, entry, event, exc)
    except Exception as exc:
        _log_failure("handler for route " + CONNECT, event, exc, entry)
        raise
    if accepted:
        # Before the connected step, which may read or join the connection at once.
        _track(tracked.connected, event["requestContext"]["connectionId"], ws_event)
        if app.connected_handler() is not None:
            _start_connected(app, event)
    return response


def _connected(app: Dispatchable, connect_event: RawEvent, context: Any) -> dict[str, Any]:
    """The asynchronous invocation `$connect` started: run `@app.on_ws_connected`.

    Its `send()`s to the new connection retry a 410 (the handshake may not be finished
    yet) for a short while (`WebsocketAPI.opening`).
    """
    handler = app.connected_handler()
    if handler is None:  # a deployment without the handler took over meanwhile
        return {"statusCode": 200}
    try:
        request_context = connect_event["requestContext"]
        connection_id = request_context["connectionId"]
    except (KeyError, TypeError):
        from .exceptions import InvalidEventError

        raise InvalidEventError(CONNECTED_KEY + ".requestContext.connectionId") from None
    api = app.websocket_api
    api.last_request_context = request_context
    ws_event = WebsocketEvent(connect_event, context, app)
    with api.opening(connection_id):
        try:
            handler(ws_event)
        except Exception as exc:
            _log_failure("on_ws_connected handler", connect_event, exc)
            raise
    return {"statusCode": 200}  # Lambda discards an asynchronous invocation's result


def _refuse(app: Dispatchable, entry: Route, event: RawEvent, error: ClientError) -> Refused:
    """Answer a `ClientError`: refuse `$connect` with its status, else send the error frame.

    On a two-way route the frame is the reply; otherwise it goes through `send()` (a
    client gone meanwhile needs no frame). `$disconnect` has no one left to tell. The
    response carries `error` (`Refused`) for the emulator's and the test client's accounts.
    """
    import logging  # an expected outcome, but not a per-event cost

    from .responses import Refused, client_error_frame

    request_context = event["requestContext"]
    route_key = request_context["routeKey"]
    logging.getLogger("runtime").info(
        "handler for route %s refused on connection %s: %s: %s",
        route_key,
        request_context.get("connectionId"),
        error.code,
        error,
    )
    if route_key == CONNECT:
        return Refused({"statusCode": error.status}, error)
    if route_key == DISCONNECT:
        return Refused({"statusCode": 200}, error)
    frame = client_error_frame(error, route_key, request_context.get("requestId"))
    if entry.reply:
        return Refused({"statusCode": 200, "body": frame}, error)
    try:
        app.websocket_api.send(request_context["connectionId"], frame)
    except WebsocketDisconnectedError:  # the client left meanwhile: no one to tell
        return Refused({"statusCode": 200}, error, delivered=False)
    return Refused({"statusCode": 200}, error)


def _run(
    app: Dispatchable, entry: Route, ws_event: WebsocketEvent, request_context: RawRequestContext
) -> dict[str, Any]:
    """Call the route's handler and shape its result (the tracked path; `handle` inlines it)."""
    try:
        result = entry.call(ws_event)
        if result is None:
            return {"statusCode": 200}
        return _shape(result, reply=entry.reply, route_key=request_context["routeKey"])
    except ClientError as exc:
        return _refuse(app, entry, ws_event.raw, exc)
    except Exception as exc:
        _log_failure("handler for route " + request_context["routeKey"], ws_event.raw, exc, entry)
        raise


def _tracked(
    app: Dispatchable,
    connections: Connections,
    entry: Route,
    ws_event: WebsocketEvent,
    request_context: RawRequestContext,
) -> dict[str, Any]:
    """An event of an app that tracks connections (`App(..., connections=True)`).

    `$connect`'s handler sees a record not stored yet (its updates and joins included),
    stored once the handler accepts (a 2xx); `$disconnect`'s handler still sees the record,
    deleted after it, whatever it does.
    """
    route_key = request_context["routeKey"]
    connection_id = request_context["connectionId"]
    if route_key == CONNECT:
        connections.connecting(ws_event.raw)
        try:
            return _connect(app, entry, ws_event, connections)
        finally:
            connections.refused(connection_id)  # unless accepted (and stored) meanwhile
    if route_key == DISCONNECT:
        try:
            return _run(app, entry, ws_event, request_context)
        finally:
            _track(connections.disconnected, connection_id, ws_event)
    connections.seen(request_context)
    return _run(app, entry, ws_event, request_context)


def _track(step: Callable[[str], None], connection_id: str, ws_event: WebsocketEvent) -> None:
    """Store or delete a record; a failure is logged with the connection, then raised."""
    try:
        step(connection_id)
    except Exception as exc:
        _log_failure("connection tracking", ws_event.raw, exc)
        raise


def _resolve_unusual(app: Dispatchable, event: RawEvent, context: Any) -> Route | dict[str, Any]:
    """The handler for a route without one of its own ($default), or the finished response.

    Covers an authorizer's input, a message for `$default`, and `$connect`/`$disconnect`
    with no handler.
    """
    if is_authorizer_event(event):
        return _authorize(app, event, context)
    request_context = event["requestContext"]
    default = app.route_table.get(DEFAULT)
    if default is not None and request_context.get("eventType") == EVENT_MESSAGE:
        return default
    if request_context["routeKey"] in (CONNECT, DISCONNECT):
        route_key = request_context["routeKey"]
        if app.tracks_connections:  # the entry point records, or deletes, it
            return Route(route_key, _accept)
        if route_key == CONNECT and app.connected_handler() is not None:
            accept = Route(route_key, _accept)
            accept.call = ConnectedStep(app, _accept)
            return accept
        return {"statusCode": 200}  # e.g. a $connect route kept only for its authorizer
    from .exceptions import RouteNotFoundError

    raise RouteNotFoundError(request_context["routeKey"])


def _accept(event: WebsocketEvent) -> None:
    """`$connect` (or `$disconnect`) with no handler of its own, kept for `on_ws_connected`
    or for tracking connections: it accepts."""


def _invalid(event: Any) -> Exception:
    from .exceptions import InvalidEventError

    if not isinstance(event, dict) or not isinstance(event.get("requestContext"), dict):
        return InvalidEventError("requestContext")
    return InvalidEventError("requestContext.routeKey")


def _authorize(app: Dispatchable, event: RawEvent, context: Any) -> dict[str, Any]:
    from .auth import to_authorizer_output

    authorizer = app.authorizer()
    if authorizer is None:
        from .exceptions import NoAuthorizerError

        raise NoAuthorizerError()
    auth_event = AuthorizerEvent(event, context)
    try:
        return to_authorizer_output(authorizer(auth_event), auth_event.method_arn)
    except Exception as exc:
        _log_failure("authorizer", event, exc, authorizer)
        raise


def _log_failure(
    what: str, event: RawEvent, exc: Exception, handler: Any = None, raised: bool = True
) -> None:
    """One line naming the route and connection; Lambda reports the traceback itself.

    `handler` (a `Route`, or the authorizer) is whose result a `HandlerResultError` is
    about: the error names it from then on. `raised`: the exception leaves the invocation
    (the record's `raised` says so, for a log that reports such exceptions itself).
    """
    import logging  # only on failure: Lambda's bootstrap has it loaded anyway

    from .auth import UnauthorizedError

    if isinstance(exc, ResultOfAHandler):  # a HandlerResultError
        exc.name_handler(handler.handler if isinstance(handler, Route) else handler)
    # An authorizer's 401 is how it refuses a client, every day: not an error of the app.
    level = logging.INFO if isinstance(exc, UnauthorizedError) else logging.ERROR
    logging.getLogger("runtime").log(
        level,
        "%s failed on connection %s: %s: %s",
        what,
        event["requestContext"].get("connectionId"),
        type(exc).__name__,
        exc,
        extra={"raised": raised},
    )
