"""wsgen's runtime: the code that runs in AWS Lambda behind an API Gateway WebSocket API.

Standard library only at import time; boto3 is imported on the first management call.
"""

from .app import App, Chalice
from .auth import AuthResponse, UnauthorizedError
from .events import AuthorizerEvent, WebsocketEvent
from .exceptions import (
    BadRequestError,
    CredentialsError,
    EndpointNotConfiguredError,
    ExperimentalFeatureError,
    InvalidAuthorizerResultError,
    InvalidEventError,
    InvalidReplyError,
    InvalidRouteError,
    MessageTooLargeError,
    NoAuthorizerError,
    RouteNotFoundError,
    WebsocketDisconnectedError,
    WebsocketError,
)
from .management import BroadcastResult, WebsocketAPI
from .responses import Response

__all__ = [
    "App",
    "AuthResponse",
    "AuthorizerEvent",
    "BadRequestError",
    "BroadcastResult",
    "Chalice",
    "CredentialsError",
    "EndpointNotConfiguredError",
    "ExperimentalFeatureError",
    "InvalidAuthorizerResultError",
    "InvalidEventError",
    "InvalidReplyError",
    "InvalidRouteError",
    "MessageTooLargeError",
    "NoAuthorizerError",
    "Response",
    "RouteNotFoundError",
    "UnauthorizedError",
    "WebsocketAPI",
    "WebsocketDisconnectedError",
    "WebsocketError",
    "WebsocketEvent",
]
