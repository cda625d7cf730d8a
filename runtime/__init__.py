"""wsgen's runtime: the code that runs in AWS Lambda behind an API Gateway WebSocket API.

Standard library only at import time; boto3 is imported on the first management call.
"""

from .app import App, Chalice
from .events import WebsocketEvent
from .exceptions import (
    BadRequestError,
    ExperimentalFeatureError,
    WebsocketDisconnectedError,
    WebsocketError,
)
from .management import WebsocketAPI
from .responses import Response

__all__ = [
    "App",
    "BadRequestError",
    "Chalice",
    "ExperimentalFeatureError",
    "Response",
    "WebsocketAPI",
    "WebsocketDisconnectedError",
    "WebsocketError",
    "WebsocketEvent",
]
