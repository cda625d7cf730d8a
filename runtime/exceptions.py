"""Errors raised by the runtime.

Every class of the tree is importable from here and from `runtime`. The four every app meets
(`WebsocketError`, `ClientError`, `BadRequestError`, `WebsocketDisconnectedError`) are
defined in `runtime.common_errors`, which the entry point's modules import: a cold start
does not load this module (building its thirty classes, or compiling them from a read-only
layer, costs milliseconds) until an app names one of the others or the runtime raises one.

WebsocketError
├── ClientError                  raised by a handler: the client gets an error frame
│   └── BadRequestError          the message is not what the handler needs (also ValueError)
├── WebsocketDisconnectedError   API Gateway answered 410: the connection is gone
├── ConnectionNotFoundError      no record of the connection: gone or expired (also the above)
├── ConnectionsNotEnabledError   app.connections, app.groups or event.connection without tracking
├── ConnectionsNotConfiguredError no connections table named (WSGEN_CONNECTIONS_TABLE)
├── ConnectionStoreError         the connections table refused a call (its code and message)
├── InvalidGroupError            a group name the store cannot key (also ValueError)
├── InvalidAttributeError        a connection attribute that is not JSON (also TypeError)
├── ManagementApiError           the management API refused a call (status, code, request id)
│   ├── ManagementForbiddenError       403: IAM refused it, or the endpoint is not this API's
│   ├── ManagementThrottledError       429: throttled, or the client's buffer is full
│   └── ManagementPayloadTooLargeError 413: over API Gateway's message size limit
├── MessageTooLargeError         over API Gateway's 128 KB message limit (also ValueError)
├── InvalidMessageError          a text message with a lone surrogate (also ValueError)
├── MessageTypeError             a message that is neither str nor bytes (also TypeError)
├── EndpointNotConfiguredError   no management endpoint could be resolved (also ValueError)
├── CredentialsError             the container credentials endpoint failed or was refused
├── AwsApiError                  an AWS API answered call_aws_json() with an error (its code)
├── BackgroundInvokeError        Lambda refused an asynchronous invocation (or it is too big)
├── TaskArgumentsError           a task's delay() argument is not JSON (also TypeError)
├── FanOutNotEnabledError        websocket_api.fan_out() in an app without fan_out=True
├── FanOutQueueError             SQS refused shards of a fan-out (or no queue is named)
├── AppArgumentError             App(...) or a decorator given a keyword it lacks (TypeError)
├── ExperimentalFeatureError     the app uses WebSockets without the WEBSOCKETS flag
├── InvalidEventError            not an API Gateway WebSocket event (also ValueError)
├── RouteNotFoundError           no handler for the route and no $default
├── RegistrationError            a registration the app refuses (also ValueError)
│   ├── DuplicateHandlerError    a second handler for a route, or a second authorizer
│   ├── InvalidRouteError        a route key API Gateway would reject
│   │   └── InvalidSelectionExpressionError  a route selection expression it would reject
│   ├── InvalidIdentitySourceError  an authorizer identity source API Gateway would reject
│   ├── ConflictingAuthorizationError  IAM and a Lambda authorizer both on $connect
│   ├── HandlerSignatureError    a handler that cannot take the event (also TypeError)
│   ├── AsyncHandlerError        an `async def` handler, which Lambda would never await
│   └── InvalidMiddlewareError   middleware for an event type no app has
├── HandlerResultError           a handler returned what cannot be used (also TypeError)
│   ├── InvalidReplyError            a two-way reply that cannot be sent
│   └── InvalidAuthorizerResultError an authorizer returned neither allow nor deny
├── InvalidAuthorizerContextError  an authorizer context value API Gateway refuses (TypeError)
├── NoAuthorizerError            an authorizer's input reached an app without one
├── FunctionNotFoundError        no event handler of that name (also LookupError)
└── UnauthorizedError            (in runtime.auth) raised by an authorizer: 401
"""

from __future__ import annotations

from .common_errors import BadRequestError as BadRequestError
from .common_errors import ClientError as ClientError
from .common_errors import ResultOfAHandler
from .common_errors import WebsocketDisconnectedError as WebsocketDisconnectedError
from .common_errors import WebsocketError as WebsocketError
from .common_errors import refuse_uncalled as refuse_uncalled
from .contract import CONNECTIONS_TABLE_ENV, FEATURE_FLAG, FEATURE_FLAG_LINE

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable
    from typing import Any


class ManagementApiError(WebsocketError):
    """API Gateway's management API answered an error other than 410 (gone).

    Attributes carry what AWS said: `status` (HTTP), `code` (AWS's error code, such as
    `ForbiddenException`, or None), `request_id` (for AWS support), `message`, and which
    call failed (`operation`: `post_to_connection`, `get_connection`, `delete_connection`)
    for which `connection_id`.
    """

    def __init__(
        self,
        operation: str,
        connection_id: str,
        status: int,
        code: str | None = None,
        message: str | None = None,
        request_id: str | None = None,
    ) -> None:
        super().__init__(operation, connection_id, status, code)
        self.operation = operation
        self.connection_id = connection_id
        self.status = status
        self.code = code
        self.message = message
        self.request_id = request_id

    def __str__(self) -> str:
        what = f"HTTP {self.status}" + (f" {self.code}" if self.code else "")
        said = f": {self.message}" if self.message else ""
        rid = f" (request id {self.request_id})" if self.request_id else ""
        return f"{self.operation} for connection {self.connection_id} failed, {what}{said}{rid}"


class ManagementForbiddenError(ManagementApiError):
    """403: the function may not manage this API's connections, or the endpoint is wrong."""


class ManagementThrottledError(ManagementApiError):
    """429 after the retries: too many requests, or the client is not reading its messages."""


class ManagementPayloadTooLargeError(ManagementApiError):
    """413: API Gateway refused the message as too large."""


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


class InvalidMessageError(WebsocketError, ValueError):
    """A text message holding a lone surrogate (`"\\ud800"`), which UTF-8 cannot encode, so
    API Gateway cannot carry it; refused before any network call or queued shard.

    JSON allows such escapes, so `json.loads` of a client's message can make one; so do
    `errors="surrogateescape"` decodes (`os.fsdecode`).
    """

    def __init__(self, character: str, index: int) -> None:
        super().__init__(character, index)
        self.character = character
        self.index = index
        """Where the first one is, in characters from the start of the message."""

    def __str__(self) -> str:
        return (
            f"text message holds a lone surrogate ({self.character!r} at index {self.index}), "
            "which UTF-8 cannot encode; replace it (text.encode('utf-8', 'replace').decode()) "
            "or send bytes as a binary message"
        )


class MessageTypeError(WebsocketError, TypeError):
    """A message that is neither text (`str`) nor bytes: a dict, a number, None... The
    management API carries bytes, so a structured message is serialised by the app first
    (as Chalice's `send()` leaves it to the app); refused before any network call."""

    def __init__(self, message: object) -> None:
        super().__init__(type(message).__name__)
        self.type_name = type(message).__name__

    def __str__(self) -> str:
        fixes = {
            "dict": "json.dumps() it first",
            "list": "json.dumps() it first",
            "tuple": "json.dumps() it first",
            "NoneType": "the message to send is missing",
            "memoryview": "pass bytes() of it",
        }
        fix = fixes.get(self.type_name, "pass str() of it, or bytes")
        return f"a message is str or bytes, not {self.type_name}: {fix}"


class EndpointNotConfiguredError(WebsocketError, ValueError):
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


class AwsApiError(WebsocketError):
    """An AWS API answered a `runtime.call_aws_json()` call with an error.

    `code` is AWS's error code (`ParameterNotFound`; None when the answer named none),
    `details` the error's JSON body (DynamoDB's `CancellationReasons`, say; {} if none).
    """

    def __init__(
        self,
        target: str,
        status: int,
        code: str | None,
        message: str | None,
        request_id: str | None = None,
        details: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(target, status, code, message, request_id, details)
        self.target = target
        self.status = status
        self.code = code
        self.message = message
        self.request_id = request_id
        self.details: dict[str, Any] = details or {}

    def __str__(self) -> str:
        message = f": {self.message}" if self.message else ""
        return f"{self.target} failed with {self.code or 'an error'} (HTTP {self.status}){message}"


class BackgroundInvokeError(WebsocketError):
    """Lambda refused an asynchronous invocation (`app.background`), or it cannot be made.

    `status` is Lambda's HTTP status (None when no request was sent or boto3 made it).
    """

    def __init__(self, function_name: str, status: int | None, reason: str) -> None:
        super().__init__(function_name, status, reason)
        self.function_name = function_name
        self.status = status
        self.reason = reason

    def __str__(self) -> str:
        status = "" if self.status is None else f" (HTTP {self.status})"
        return f"cannot invoke {self.function_name} asynchronously{status}: {self.reason}"


class _FeatureOffError(WebsocketError):
    """`what` needs a feature its app was created without (`App(..., FLAG=True)`).

    `arguments` are the app's own other arguments (`("connections=True",)`), kept in the
    suggested `App(...)` so following it does not turn another feature off.
    """

    _needs = _flag = _instead = ""

    def __init__(self, app_name: str | None, what: str, arguments: tuple[str, ...] = ()) -> None:
        super().__init__(app_name, what)
        self.app_name = app_name
        self.what = what
        self.arguments = arguments

    def __str__(self) -> str:
        name = "..." if self.app_name is None else repr(self.app_name)
        kept = "".join(f", {argument}" for argument in self.arguments)
        return (
            f"{self.what} needs {self._needs}, which this app does not have; create the app "
            f"with App(app_name={name}{kept}, {self._flag}=True){self._instead}"
        )


class FanOutNotEnabledError(_FeatureOffError):
    """`fan_out()` (or `connections.send_all()`) in an app created without `fan_out=True`."""

    _needs, _flag, _instead = "the fan-out queue", "fan_out", ", or use broadcast()"


class FanOutQueueError(WebsocketError):
    """The fan-out queue refused shard messages, or no queue URL is configured.

    `code` is SQS's error code (None when no request was made); the ids of the shards it
    refused are in the `BroadcastResult`'s `failed`, with this error.
    """

    def __init__(self, code: str | None, reason: str) -> None:
        super().__init__(code, reason)
        self.code = code
        self.reason = reason

    def __str__(self) -> str:
        code = "" if self.code is None else f" ({self.code})"
        return f"cannot queue fan-out shards{code}: {self.reason}"


class TaskArgumentsError(WebsocketError, TypeError):
    """`task.delay()` was given an argument JSON cannot carry; nothing was started."""

    def __init__(self, task: str, reason: str) -> None:
        super().__init__(task, reason)
        self.task = task
        self.reason = reason

    def __str__(self) -> str:
        return (
            f"task {self.task}: delay() takes JSON-serialisable arguments only ({self.reason}); "
            "pass ids and plain values, and load the rest inside the task"
        )


class AppArgumentError(WebsocketError, TypeError):
    """`App(...)`, one of its decorators or a registration method was given a keyword
    argument it does not take (a typo, most likely).

    `call` is what was called (`App`, `@app.on_ws_message`, `app.add_route`), `argument`
    the keyword, `known` the keywords it takes, `suggestion` the closest of them (or None).
    """

    def __init__(self, call: str, argument: str, known: tuple[str, ...]) -> None:
        super().__init__(call, argument, known)
        import difflib  # for this error only

        self.call = call
        self.argument = argument
        self.known = known
        close = difflib.get_close_matches(argument, known, n=1)
        self.suggestion = close[0] if close else None

    def __str__(self) -> str:
        hint = f"did you mean '{self.suggestion}'? " if self.suggestion else ""
        return (
            f"{self.call}() got an unexpected keyword argument '{self.argument}'; {hint}"
            f"it takes {', '.join(self.known)}"
        )


def unknown_keyword(code: Any, unknown: dict[str, Any]) -> AppArgumentError:
    """The error for the method of `code` (`App.__init__`, `App.on_ws_message`, ...) given
    the keywords of `unknown`, which it does not take: its `**unknown` caught them. It
    takes its parameters after `self`.
    """
    name = code.co_name
    if name == "__init__":
        call = code.co_qualname.partition(".")[0]  # App
    else:
        call = ("app." if name.startswith(("add_", "register_")) else "@app.") + name
    known = code.co_varnames[1 : code.co_argcount + code.co_kwonlyargcount]
    return AppArgumentError(call, next(iter(unknown)), known)


class ExperimentalFeatureError(WebsocketError):
    """The app registers WebSocket handlers but has not opted in with the WEBSOCKETS flag.

    `near_miss` is a flag the app has close to it (`"WEBSOCKET"`, `"websockets"`), or None;
    `letters` is true when its flags are the letters of `WEBSOCKETS`, as
    `update("WEBSOCKETS")` leaves them (it adds each character of a string).
    """

    def __init__(self, app_name: str, flags: Iterable[object] = ()) -> None:
        super().__init__(app_name)
        self.app_name = app_name
        names = {flag.upper(): flag for flag in flags if isinstance(flag, str)}
        self.letters = set(FEATURE_FLAG) <= names.keys() and all(len(n) == 1 for n in names)
        self.near_miss: str | None = None
        if names and not self.letters:
            import difflib  # for this error only

            close = difflib.get_close_matches(FEATURE_FLAG, names, n=1, cutoff=0.8)
            self.near_miss = names[close[0]] if close else None

    def __str__(self) -> str:
        missing = (
            f"app '{self.app_name}' has WebSocket handlers but not the '{FEATURE_FLAG}' "
            "feature flag"
        )
        if self.near_miss is not None:
            return (
                f"{missing}: it has '{self.near_miss}'; did you mean '{FEATURE_FLAG}'? "
                f"write {FEATURE_FLAG_LINE}"
            )
        if self.letters:
            return (
                f"{missing}: it has the letters of '{FEATURE_FLAG}' (update() adds each item "
                f"it is given, and a string's items are its characters); pass a list: "
                f"{FEATURE_FLAG_LINE}"
            )
        return f"{missing}; add this line after creating the app: {FEATURE_FLAG_LINE}"


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


class RegistrationError(WebsocketError, ValueError):
    """A handler, route or middleware the app refuses to register."""


class DuplicateHandlerError(RegistrationError):
    """A second handler for a route (or a second authorizer): an API has one of each.

    For a route the message starts with Chalice's, so code matching it keeps working.
    """

    def __init__(self, decorator: str, route_key: str, existing: str) -> None:
        super().__init__(decorator, route_key, existing)
        self.decorator = decorator
        self.route_key = route_key
        self.existing = existing

    def __str__(self) -> str:
        if self.decorator == "ws_authorizer":
            return (
                f"ws_authorizer registered a second authorizer (already {self.existing}); "
                f"an API has one {self.route_key} authorizer"
            )
        return (
            f"Duplicate websocket handler: '{self.decorator}'. There can only be one handler "
            f"for each websocket decorator: route '{self.route_key}' is already served by "
            f"{self.existing}; keep one"
        )


class InvalidIdentitySourceError(RegistrationError):
    """An authorizer identity source API Gateway would not accept, or none at all."""

    def __init__(self, source: object, reason: str) -> None:
        super().__init__(source, reason)
        self.source = source
        """The offending source; None when the authorizer was given no list of them."""
        self.reason = reason

    def __str__(self) -> str:
        if self.source is None:
            return f"ws_authorizer needs a list of identity sources, {self.reason}"
        return f"identity source {self.source!r} {self.reason}"


class ConflictingAuthorizationError(RegistrationError):
    """`$connect` given IAM authorization and a Lambda authorizer: a route has one type."""

    def __str__(self) -> str:
        return (
            "$connect has one authorization type on API Gateway: IAM "
            "(on_ws_connect(authorizer=IAMAuthorizer())) or a Lambda authorizer "
            "(@app.ws_authorizer), not both; keep one"
        )


class InvalidMiddlewareError(RegistrationError):
    """Middleware registered for an event type that is not one of Chalice's."""

    def __init__(self, event_type: object, known: tuple[str, ...]) -> None:
        super().__init__(event_type, known)
        self.event_type = event_type
        self.known = known

    def __str__(self) -> str:
        return (
            f"middleware event type {self.event_type!r} is not one of {', '.join(self.known)}; "
            "use 'websocket' for WebSocket handlers, 'all' for every handler"
        )


class HandlerSignatureError(RegistrationError, TypeError):
    """A handler that cannot be called as the runtime calls it (`@app.on_ws_message()` on
    `def h():`, say): refused at registration rather than at its first event."""

    def __init__(
        self,
        decorator: str,
        handler: object,
        code: Any,
        bound: int,
        called_with: tuple[str, ...],
        keyword_only: tuple[str, ...] = (),
    ) -> None:
        super().__init__(decorator, handler, called_with, keyword_only)
        self.decorator = decorator
        self.handler = handler
        self.code = code
        """The code object the call reaches (a method's function's, a partial's function's)."""
        self.bound = bound
        """How many of its positional parameters are bound already (`self`, a partial's)."""
        self.called_with = called_with
        """The arguments the runtime passes, by position."""
        self.keyword_only = keyword_only
        """Its keyword-only parameters without a default (never passed)."""

    def __str__(self) -> str:
        code = self.code
        positional = code.co_varnames[: code.co_argcount]
        own = positional[self.bound :]
        takes = f"({', '.join(own)})" if own else "no arguments"
        called = ", ".join(self.called_with)
        missing = ", ".join(self.keyword_only)
        if missing:
            takes += f" and keyword-only {missing} without a default"
        if missing and len(own) == len(self.called_with):
            fix = f"give {missing} a default"
        elif self.bound > len(positional) or set(positional[: self.bound]) & set(
            self.called_with
        ):  # a partial binding more than the parameters the call needs
            fix = f"make it take ({called}) after its {self.bound} bound argument(s)"
        else:
            parameters = ", ".join((*positional[: self.bound], called))
            lambda_ = code.co_name == "<lambda>"
            fix = (
                f"write lambda {parameters}: ..."
                if lambda_
                else f"write def {code.co_name}({parameters}):"
            )
        return (
            f"@app.{self.decorator}() handler {code.co_name} at {_where(code)} takes {takes}, "
            f"but it is called with ({called}): {fix}"
        )


class AsyncHandlerError(RegistrationError, TypeError):
    """An `async def` handler: Lambda's Python runtime calls a handler and never awaits what
    it returns, so its body would never run (and under wsgen local nor would it)."""

    def __init__(self, decorator: str, handler: object, code: Any) -> None:
        super().__init__(decorator, handler)
        self.decorator = decorator
        self.handler = handler
        self.code = code
        """The `async def`'s code object."""

    def __str__(self) -> str:
        code = self.code
        return (
            f"@app.{self.decorator}() handler {code.co_name} at {_where(code)} is async def, "
            "but Lambda calls handlers without awaiting them, so its body would never run: "
            f"write def {code.co_name}(...) and run any coroutine inside with asyncio.run()"
        )


def _where(code: Any) -> str:
    """`file:line` of a code object, the file relative to the working directory under it."""
    import os

    path = code.co_filename
    relative = os.path.relpath(path) if path.startswith(os.getcwd() + os.sep) else path
    return f"{relative}:{code.co_firstlineno}"


class InvalidRouteError(RegistrationError):
    """A route key or route selection expression API Gateway would refuse."""

    def __init__(self, value: str, reason: str) -> None:
        super().__init__(value, reason)
        self.value = value
        self.reason = reason

    def __str__(self) -> str:
        return f"invalid route '{self.value}': {self.reason}"


class InvalidSelectionExpressionError(InvalidRouteError):
    """A route selection expression API Gateway would refuse."""

    def __str__(self) -> str:
        return f"invalid route selection expression '{self.value}': {self.reason}"


class HandlerResultError(ResultOfAHandler, WebsocketError, TypeError):
    """A handler returned something the runtime cannot use: the message names the handler
    and the fix, and the traceback (the runtime's own frames, after the handler returned)
    tells nothing more.

    `result_of` is the handler, set by the entry point as the error leaves the invocation
    (`ResultOfAHandler.name_handler`; None until then); the message then names its file and
    line.
    """

    def _where(self) -> str:
        """ " (handler NAME at FILE:LINE)" once `result_of` is known, else ""."""
        code = getattr(self.result_of, "__code__", None)
        if code is None:
            return ""
        name = getattr(self.result_of, "__qualname__", code.co_name)
        return f" (handler {name} at {_where(code)})"


class InvalidReplyError(HandlerResultError):
    """A two-way handler returned something that cannot be sent as a frame."""

    def __init__(self, route_key: str, value: object, reason: str = "") -> None:
        super().__init__(route_key, value, reason)
        self.route_key = route_key
        self.type_name = type(value).__name__
        self.reason = reason
        """What JSON refused in it (json's message: a set, NaN or Infinity...), if known."""

    def __str__(self) -> str:
        why = f" ({self.reason})" if self.reason else ""
        return (
            f"reply of route '{self.route_key}' is a {self.type_name}, which is not str, "
            f"bytes or JSON-serialisable{why}; return one of those{self._where()}"
        )


class InvalidAuthorizerResultError(HandlerResultError):
    """An authorizer returned something that is neither an allow nor a deny."""

    def __init__(self, value: object) -> None:
        super().__init__(value)
        self.type_name = type(value).__name__

    def __str__(self) -> str:
        return (
            f"authorizer returned a {self.type_name}; return AuthResponse.allow(principal_id) "
            f"or AuthResponse.deny(), or raise UnauthorizedError{self._where()}"
        )


class InvalidAuthorizerContextError(WebsocketError, TypeError):
    """An authorizer context value that is not a string, number or boolean."""

    def __init__(self, key: str, value: object) -> None:
        super().__init__(key, value)
        self.key = key
        self.type_name = type(value).__name__

    def __str__(self) -> str:
        return (
            f"authorizer context value '{self.key}' is a {self.type_name}; API Gateway accepts "
            "only strings, numbers and booleans (serialise it with json.dumps)"
        )


class NoAuthorizerError(WebsocketError):
    """A REQUEST authorizer's input reached an app that registers no authorizer."""

    def __str__(self) -> str:
        return (
            "an authorizer event reached an app without @app.ws_authorizer; register one, "
            "or remove the authorizer from the API's $connect route"
        )


class ConnectionNotFoundError(WebsocketDisconnectedError):
    """The connections store has no record of the connection: it is gone, or expired."""

    def __str__(self) -> str:
        return (
            f"connection {self.connection_id} is not connected (it disconnected, or its record "
            "expired after API Gateway's 2 hours)"
        )


class ConnectionsNotEnabledError(_FeatureOffError):
    """Connection tracking is used by an app that did not turn it on."""

    _needs, _flag = "connection tracking", "connections"


class ConnectionsNotConfiguredError(WebsocketError):
    """Tracking is on, but no store was given and no table is named in the environment."""

    def __str__(self) -> str:
        return (
            f"no connections table: {CONNECTIONS_TABLE_ENV} is not set (wsgen template sets it "
            "on every function); locally, run under wsgen local or wsgen.testing.Client, or "
            "call app.connections.use_store(...)"
        )


class ConnectionStoreError(WebsocketError):
    """The connections table answered a call with an error."""

    def __init__(
        self, operation: str, code: str, message: str, reasons: tuple[str, ...] = ()
    ) -> None:
        super().__init__(operation, code, message, reasons)
        self.operation = operation
        self.code = code
        """DynamoDB's error code, such as `ConditionalCheckFailedException`."""
        self.message = message
        self.reasons = reasons
        """For a cancelled transaction, each item's reason (`None` for those that passed)."""

    def __str__(self) -> str:
        return f"connections table: {self.operation} failed with {self.code}: {self.message}"


class InvalidGroupError(WebsocketError, ValueError):
    """A group name the connections store cannot use as a key."""

    def __init__(self, group: object, reason: str) -> None:
        super().__init__(group, reason)
        self.group = group
        self.reason = reason

    def __str__(self) -> str:
        return f"invalid group {self.group!r}: {self.reason}"


class InvalidAttributeError(WebsocketError, TypeError):
    """A connection attribute the store cannot keep: its value is not JSON-serialisable."""

    def __init__(self, connection_id: str, name: str, reason: str) -> None:
        super().__init__(connection_id, name, reason)
        self.connection_id = connection_id
        self.name = name
        self.reason = reason

    def __str__(self) -> str:
        return f"attribute {self.name!r} of connection {self.connection_id}: {self.reason}"


class FunctionNotFoundError(WebsocketError, LookupError):
    """No event handler (schedule, queue, ...) of that name is registered."""

    def __init__(self, name: str, known: list[str]) -> None:
        super().__init__(name, known)
        self.name = name
        self.known = known

    def __str__(self) -> str:
        have = ", ".join(self.known) if self.known else "none"
        return f"no event handler named '{self.name}'; the app's event handlers: {have}"


def management_error(
    operation: str,
    connection_id: str,
    status: int,
    code: str | None,
    message: str | None,
    request_id: str | None,
) -> WebsocketError:
    """The runtime's exception for an error answer of the management API (either client's)."""
    if status == 410 or code == "GoneException":
        return WebsocketDisconnectedError(connection_id, message)
    kind = _MANAGEMENT_ERRORS.get(status, ManagementApiError)
    return kind(operation, connection_id, status, code, message, request_id)


_MANAGEMENT_ERRORS: dict[int, type[ManagementApiError]] = {
    403: ManagementForbiddenError,
    413: ManagementPayloadTooLargeError,
    429: ManagementThrottledError,
}
