"""The Lambda entry point's work: pick the handler for an event, call it, shape the result."""

from __future__ import annotations

from .auth import to_authorizer_output
from .contract import CONNECT, DEFAULT, DISCONNECT, EVENT_MESSAGE
from .events import AuthorizerEvent, WebsocketEvent, is_authorizer_event
from .exceptions import InvalidEventError, RouteNotFoundError
from .management import current_event
from .responses import to_proxy_response

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from .app import App


def route_key_of(event: Any) -> str:
    """The event's `requestContext.routeKey`, or an error naming what is missing."""
    if not isinstance(event, dict) or not isinstance(event.get("requestContext"), dict):
        raise InvalidEventError("requestContext")
    route_key = event["requestContext"].get("routeKey")
    if not isinstance(route_key, str):
        raise InvalidEventError("requestContext.routeKey")
    return route_key


def handle(app: App, event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Dispatch one API Gateway WebSocket event to the app's handler for its route."""
    route_key = route_key_of(event)
    if is_authorizer_event(event):
        return _authorize(app, event, context)
    found = app.handler_for(route_key)
    if found is None and event["requestContext"].get("eventType") == EVENT_MESSAGE:
        found = app.handler_for(DEFAULT)
    if found is None:
        if route_key in (CONNECT, DISCONNECT):
            return {"statusCode": 200}  # e.g. $connect kept only for an authorizer
        raise RouteNotFoundError(route_key)
    handler, reply = found
    ws_event = WebsocketEvent(event, context)
    token = current_event.set(ws_event)
    try:
        result = handler(ws_event)
    except Exception as exc:
        _log_failure("handler for route " + route_key, event, exc)
        raise
    finally:
        current_event.reset(token)
    return to_proxy_response(result, reply=reply, route_key=route_key)


def _authorize(app: App, event: dict[str, Any], context: Any) -> dict[str, Any]:
    authorizer = app.authorizer()
    if authorizer is None:
        raise RouteNotFoundError("authorizer for $connect")
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
