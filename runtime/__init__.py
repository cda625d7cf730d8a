"""wsgen's runtime: the code that runs in AWS Lambda behind an API Gateway WebSocket API.

An app registers handlers by route and is itself the Lambda handler (`Handler: app.app`):

    >>> from runtime import App
    >>> app = App(app_name="echo")
    >>> app.experimental_feature_flags.update(["WEBSOCKETS"])
    >>> @app.on_ws_message(route="ping", reply=True)  # two-way: the result is the reply
    ... def ping(event):
    ...     return {"pong": event.json_body["n"]}
    >>> event = {"requestContext": {"routeKey": "ping", "eventType": "MESSAGE",
    ...          "connectionId": "Xq4mT2rLpNcFa8w="}, "body": '{"action": "ping", "n": 1}'}
    >>> app(event, None)  # what Lambda calls; API Gateway sends the body to the client
    {'statusCode': 200, 'body': '{"pong":1}'}

`app.websocket_api.send(connection_id, data)` pushes to any client. Test an app with
`wsgen.testing.Client`, run it with `wsgen local`, deploy it with `wsgen template`.

Standard library only at import time; boto3 only when no Lambda credentials are found or
the app assigned `app.websocket_api.session`.
"""

from .app import App, Chalice
from .common_errors import (
    BadRequestError,
    ClientError,
    WebsocketDisconnectedError,
    WebsocketError,
)
from .dispatch import Route
from .events import AuthorizerEvent, WebsocketEvent
from .management import WebsocketAPI

TYPE_CHECKING = False
if TYPE_CHECKING:
    from .auth import AuthResponse, IAMAuthorizer, UnauthorizedError
    from .aws_json import call_aws_json
    from .background import Background
    from .broadcast import BroadcastResult
    from .connection import Connection
    from .connections import Connections, Groups
    from .exceptions import (
        AppArgumentError,
        AsyncHandlerError,
        AwsApiError,
        BackgroundInvokeError,
        ConflictingAuthorizationError,
        ConnectionNotFoundError,
        ConnectionsNotConfiguredError,
        ConnectionsNotEnabledError,
        ConnectionStoreError,
        CredentialsError,
        DuplicateHandlerError,
        EndpointNotConfiguredError,
        ExperimentalFeatureError,
        FanOutNotEnabledError,
        FanOutQueueError,
        FunctionNotFoundError,
        HandlerResultError,
        HandlerSignatureError,
        InvalidAttributeError,
        InvalidAuthorizerContextError,
        InvalidAuthorizerResultError,
        InvalidEventError,
        InvalidGroupError,
        InvalidIdentitySourceError,
        InvalidMessageError,
        InvalidMiddlewareError,
        InvalidReplyError,
        InvalidRouteError,
        InvalidSelectionExpressionError,
        ManagementApiError,
        ManagementForbiddenError,
        ManagementPayloadTooLargeError,
        ManagementThrottledError,
        MessageTooLargeError,
        MessageTypeError,
        NoAuthorizerError,
        RegistrationError,
        RouteNotFoundError,
        TaskArgumentsError,
    )
    from .headers import Headers
    from .responses import Response
    from .schedules import Cron, Rate
    from .sources import (
        CloudWatchEvent,
        DynamoDBEvent,
        DynamoDBRecord,
        SNSEvent,
        SQSEvent,
        SQSRecord,
    )
    from .spec import AppSpec, AuthorizerSpec, RouteSpec
    from .tasks import Task

_LAZY = {
    "AppSpec": "spec",
    "AuthorizerSpec": "spec",
    "RouteSpec": "spec",
    "AuthResponse": "auth",
    "IAMAuthorizer": "auth",
    "UnauthorizedError": "auth",
    "call_aws_json": "aws_json",
    "Background": "background",
    "BroadcastResult": "broadcast",
    "Connection": "connection",
    "Connections": "connections",
    "Groups": "connections",
    "Headers": "headers",
    "Response": "responses",
    "Cron": "schedules",
    "Rate": "schedules",
    "AppArgumentError": "exceptions",
    "AsyncHandlerError": "exceptions",
    "AwsApiError": "exceptions",
    "BackgroundInvokeError": "exceptions",
    "ConflictingAuthorizationError": "exceptions",
    "ConnectionNotFoundError": "exceptions",
    "ConnectionStoreError": "exceptions",
    "ConnectionsNotConfiguredError": "exceptions",
    "ConnectionsNotEnabledError": "exceptions",
    "CredentialsError": "exceptions",
    "DuplicateHandlerError": "exceptions",
    "EndpointNotConfiguredError": "exceptions",
    "ExperimentalFeatureError": "exceptions",
    "FanOutNotEnabledError": "exceptions",
    "FanOutQueueError": "exceptions",
    "FunctionNotFoundError": "exceptions",
    "HandlerResultError": "exceptions",
    "HandlerSignatureError": "exceptions",
    "InvalidAttributeError": "exceptions",
    "InvalidAuthorizerContextError": "exceptions",
    "InvalidAuthorizerResultError": "exceptions",
    "InvalidEventError": "exceptions",
    "InvalidGroupError": "exceptions",
    "InvalidIdentitySourceError": "exceptions",
    "InvalidMessageError": "exceptions",
    "InvalidMiddlewareError": "exceptions",
    "InvalidReplyError": "exceptions",
    "InvalidRouteError": "exceptions",
    "InvalidSelectionExpressionError": "exceptions",
    "ManagementApiError": "exceptions",
    "ManagementForbiddenError": "exceptions",
    "ManagementPayloadTooLargeError": "exceptions",
    "ManagementThrottledError": "exceptions",
    "MessageTooLargeError": "exceptions",
    "MessageTypeError": "exceptions",
    "NoAuthorizerError": "exceptions",
    "RegistrationError": "exceptions",
    "RouteNotFoundError": "exceptions",
    "TaskArgumentsError": "exceptions",
    "CloudWatchEvent": "sources",
    "DynamoDBEvent": "sources",
    "DynamoDBRecord": "sources",
    "SNSEvent": "sources",
    "SQSEvent": "sources",
    "SQSRecord": "sources",
    "Task": "tasks",
}
"""Names whose modules only some apps use, imported on first access (cold-start time):
`from runtime import Task` works as for the others; so do the errors few invocations meet
(all but `runtime.common_errors`', see `runtime.exceptions`)."""


def __getattr__(name: str) -> object:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'runtime' has no attribute {name!r}")
    value = getattr(__import__(f"{__name__}.{module}", fromlist=[name]), name)
    globals()[name] = value
    return value


__all__ = [
    "App",
    "AppArgumentError",
    "AppSpec",
    "AsyncHandlerError",
    "AuthResponse",
    "AuthorizerEvent",
    "AuthorizerSpec",
    "AwsApiError",
    "Background",
    "BackgroundInvokeError",
    "BadRequestError",
    "BroadcastResult",
    "Chalice",
    "ClientError",
    "CloudWatchEvent",
    "ConflictingAuthorizationError",
    "Connection",
    "ConnectionNotFoundError",
    "ConnectionStoreError",
    "Connections",
    "ConnectionsNotConfiguredError",
    "ConnectionsNotEnabledError",
    "CredentialsError",
    "Cron",
    "DuplicateHandlerError",
    "DynamoDBEvent",
    "DynamoDBRecord",
    "EndpointNotConfiguredError",
    "ExperimentalFeatureError",
    "FanOutNotEnabledError",
    "FanOutQueueError",
    "FunctionNotFoundError",
    "Groups",
    "HandlerResultError",
    "HandlerSignatureError",
    "Headers",
    "IAMAuthorizer",
    "InvalidAttributeError",
    "InvalidAuthorizerContextError",
    "InvalidAuthorizerResultError",
    "InvalidEventError",
    "InvalidGroupError",
    "InvalidIdentitySourceError",
    "InvalidMessageError",
    "InvalidMiddlewareError",
    "InvalidReplyError",
    "InvalidRouteError",
    "InvalidSelectionExpressionError",
    "ManagementApiError",
    "ManagementForbiddenError",
    "ManagementPayloadTooLargeError",
    "ManagementThrottledError",
    "MessageTooLargeError",
    "MessageTypeError",
    "NoAuthorizerError",
    "Rate",
    "RegistrationError",
    "Response",
    "Route",
    "RouteNotFoundError",
    "RouteSpec",
    "SNSEvent",
    "SQSEvent",
    "SQSRecord",
    "Task",
    "TaskArgumentsError",
    "UnauthorizedError",
    "WebsocketAPI",
    "WebsocketDisconnectedError",
    "WebsocketError",
    "WebsocketEvent",
    "call_aws_json",
]
