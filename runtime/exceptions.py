"""Errors raised by the runtime.

WebsocketError
├── WebsocketDisconnectedError   API Gateway answered 410: the connection is gone
├── MessageTooLargeError         over API Gateway's 128 KB message limit (also ValueError)
├── EndpointNotConfiguredError   no management endpoint could be resolved
├── CredentialsError             the container credentials endpoint failed or was refused
├── BadRequestError              the message body is not valid JSON (also ValueError)
├── ExperimentalFeatureError     the app uses WebSockets without the WEBSOCKETS flag
├── InvalidEventError            not an API Gateway WebSocket event (also ValueError)
├── RouteNotFoundError           no handler for the route and no $default
├── InvalidRouteError            a route key API Gateway would reject (also ValueError)
├── InvalidReplyError            a two-way reply that cannot be sent (also TypeError)
├── InvalidAuthorizerResultError an authorizer returned neither allow nor deny (TypeError)
├── NoAuthorizerError            an authorizer's input reached an app without one
└── UnauthorizedError            (in runtime.auth) raised by an authorizer: 401
"""

from __future__ import annotations

from .contract import FEATURE_FLAG, FEATURE_FLAG_LINE


class WebsocketError(Exception):
    """Root of every error the runtime raises."""


class WebsocketDisconnectedError(WebsocketError):
    """The client is gone: API Gateway answered 410 for this connection."""

    def __init__(self, connection_id: str) -> None:
        super().__init__(connection_id)
        self.connection_id = connection_id

    def __str__(self) -> str:
        return f"connection {self.connection_id} is gone"


class MessageTooLargeError(WebsocketError, ValueError):
    """A message larger than API Gateway accepts, refused before any network call."""

    def __init__(self, size: int, limit: int) -> None:
        super().__init__(size, limit)
        self.size = size
        self.limit = limit

    def __str__(self) -> str:
        return (
            f"message of {self.size} bytes is over API Gateway's limit of {self.limit} bytes; "
            "split it into several messages"
        )


class EndpointNotConfiguredError(WebsocketError):
    """No management endpoint: not configured, not in the environment, no current event."""

    def __str__(self) -> str:
        return (
            "no WebSocket management endpoint: call app.websocket_api.configure_endpoint(url), "
            "set WSGEN_WEBSOCKET_ENDPOINT, or send from inside a WebSocket handler"
        )


class CredentialsError(WebsocketError):
    """AWS credentials could not be read: the container endpoint failed, or its token."""

    def __init__(self, source: str, reason: str) -> None:
        super().__init__(source, reason)
        self.source = source
        self.reason = reason

    def __str__(self) -> str:
        return f"cannot get AWS credentials from {self.source}: {self.reason}"


class BadRequestError(WebsocketError, ValueError):
    """The message body is not the JSON the handler asked for."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason

    def __str__(self) -> str:
        return f"message body is not valid JSON: {self.reason}"


class ExperimentalFeatureError(WebsocketError):
    """The app registers WebSocket handlers but has not opted in with the WEBSOCKETS flag."""

    def __init__(self, app_name: str) -> None:
        super().__init__(app_name)
        self.app_name = app_name

    def __str__(self) -> str:
        return (
            f"app '{self.app_name}' has WebSocket handlers but not the '{FEATURE_FLAG}' "
            f"feature flag; add this line after creating the app: {FEATURE_FLAG_LINE}"
        )


class InvalidEventError(WebsocketError, ValueError):
    """The Lambda event is not an API Gateway WebSocket event."""

    def __init__(self, missing: str) -> None:
        super().__init__(missing)
        self.missing = missing

    def __str__(self) -> str:
        return f"not an API Gateway WebSocket event: it has no {self.missing}"


class RouteNotFoundError(WebsocketError):
    """An event for a route with no handler, and no $default to fall back to."""

    def __init__(self, route_key: str) -> None:
        super().__init__(route_key)
        self.route_key = route_key

    def __str__(self) -> str:
        return f"no handler for route '{self.route_key}' and no $default"


class InvalidRouteError(WebsocketError, ValueError):
    """A route key or route selection expression API Gateway would refuse."""

    def __init__(self, value: str, reason: str) -> None:
        super().__init__(value, reason)
        self.value = value
        self.reason = reason

    def __str__(self) -> str:
        return f"invalid route '{self.value}': {self.reason}"


class InvalidReplyError(WebsocketError, TypeError):
    """A two-way handler returned something that cannot be sent as a frame."""

    def __init__(self, route_key: str, value: object) -> None:
        super().__init__(route_key, value)
        self.route_key = route_key
        self.type_name = type(value).__name__

    def __str__(self) -> str:
        return (
            f"reply of route '{self.route_key}' is a {self.type_name}, which is not str, "
            "bytes or JSON-serialisable; return one of those"
        )


class InvalidAuthorizerResultError(WebsocketError, TypeError):
    """An authorizer returned something that is neither an allow nor a deny."""

    def __init__(self, value: object) -> None:
        super().__init__(value)
        self.type_name = type(value).__name__

    def __str__(self) -> str:
        return (
            f"authorizer returned a {self.type_name}; return AuthResponse.allow(principal_id) "
            "or AuthResponse.deny(), or raise UnauthorizedError"
        )


class NoAuthorizerError(WebsocketError):
    """A REQUEST authorizer's input reached an app that registers no authorizer."""

    def __str__(self) -> str:
        return (
            "an authorizer event reached an app without @app.ws_authorizer; register one, "
            "or remove the authorizer from the API's $connect route"
        )
