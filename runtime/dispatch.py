"""The Lambda entry point's work: pick the handler for an event, call it, shape the result."""

from __future__ import annotations

from .auth import to_authorizer_output
from .contract import CONNECT, DEFAULT, DISCONNECT, EVENT_MESSAGE
from .events import AuthorizerEvent, WebsocketEvent, is_authorizer_event
from .exceptions import InvalidEventError, NoAuthorizerError, RouteNotFoundError
from .responses import to_proxy_response

_new = object.__new__

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from .app import App, _Registered


def handle(app: App, event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Dispatch one API Gateway WebSocket event to the app's handler for its route.

    This is `App.__call__`, the Lambda entry point: every event pays for each line here, so
    the common case (a route with its own handler) takes the shortest path.
    """
    try:
        request_context = event["requestContext"]
        entry = app._routes.get(request_context["routeKey"])
    except (KeyError, TypeError):
        raise _invalid(event) from None
    if entry is None or "methodArn" in event:
        resolved = _resolve_unusual(app, event, context)
        if isinstance(resolved, dict):
            return resolved
        entry = resolved
    # Where send() finds the endpoint when nothing else names it (see WebsocketAPI.endpoint).
    app.websocket_api.last_request_context = request_context
    # WebsocketEvent(event, context) without its __init__ call: the requestContext check is
    # done above, and this saves a third of the event's cost (~90 ns) on every invocation.
    ws_event = _new(WebsocketEvent)
    ws_event.raw = event
    ws_event.context = context
    try:
        result = entry.handler(ws_event)
        if result is None:
            return {"statusCode": 200}
        return to_proxy_response(result, reply=entry.reply, route_key=request_context["routeKey"])
    except Exception as exc:  # the handler's, or its result's (an unsendable reply)
        _log_failure("handler for route " + request_context["routeKey"], event, exc)
        raise


def _resolve_unusual(app: App, event: dict[str, Any], context: Any) -> _Registered | dict[str, Any]:
    """The handler for a route without one of its own ($default), or the finished response.

    Covers an authorizer's input, a message for `$default`, and `$connect`/`$disconnect`
    with no handler.
    """
    if is_authorizer_event(event):
        return _authorize(app, event, context)
    request_context = event["requestContext"]
    default = app._routes.get(DEFAULT)
    if default is not None and request_context.get("eventType") == EVENT_MESSAGE:
        return default
    if request_context["routeKey"] in (CONNECT, DISCONNECT):
        return {"statusCode": 200}  # e.g. a $connect route kept only for its authorizer
    raise RouteNotFoundError(request_context["routeKey"])


def _invalid(event: Any) -> InvalidEventError:
    if not isinstance(event, dict) or not isinstance(event.get("requestContext"), dict):
        return InvalidEventError("requestContext")
    return InvalidEventError("requestContext.routeKey")


def _authorize(app: App, event: dict[str, Any], context: Any) -> dict[str, Any]:
    authorizer = app.authorizer()
    if authorizer is None:
        raise NoAuthorizerError()
    auth_event = AuthorizerEvent(event, context)
    try:
        return to_authorizer_output(authorizer(auth_event), auth_event.method_arn)
    except Exception as exc:
        _log_failure("authorizer", event, exc)
        raise


def _log_failure(what: str, event: dict[str, Any], exc: Exception) -> None:
    """One line naming the route and connection; Lambda reports the traceback itself."""
    import logging  # only on failure: Lambda's bootstrap has it loaded anyway

    logging.getLogger("runtime").error(
        "%s failed on connection %s: %s: %s",
        what,
        event["requestContext"].get("connectionId"),
        type(exc).__name__,
        exc,
    )
