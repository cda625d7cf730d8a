"""Read-only wrappers over the events API Gateway sends to the Lambda function.

Field presence per event type follows real captures: headers and query strings only on
CONNECT (and a fixed small header set on DISCONNECT), `body` and `messageId` only on MESSAGE,
`disconnectStatusCode`/`disconnectReason` only on DISCONNECT, `identity.userAgent` only when
the client sent one. Absent keys read as None or an empty mapping.
"""

from __future__ import annotations

from .common_errors import BadRequestError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping
    from datetime import datetime
    from typing import Any, NotRequired, Protocol, TypedDict

    from .connection import Connection
    from .headers import Headers

    class Records(Protocol):
        def for_event(self, raw: RawEvent) -> Connection: ...

    class Tracker(Protocol):
        """What `event.connection` reads the record through: the app (its `connections`)."""

        @property
        def connections(self) -> Records: ...

    class RawIdentity(TypedDict):
        """`requestContext.identity`."""

        sourceIp: str
        userAgent: NotRequired[str]  # only when the client sent a User-Agent
        accountId: NotRequired[str]  # an IAM-authorized connection's caller
        caller: NotRequired[str]
        user: NotRequired[str]
        userArn: NotRequired[str]
        accessKey: NotRequired[str]
        apiKey: NotRequired[str]  # a connection that needed an API key
        apiKeyId: NotRequired[str]

    class RawRequestContext(TypedDict):
        """`requestContext`: what every event of a connection carries.

        Required are the keys the runtime indexes; the others it reads with `.get`.
        """

        routeKey: str
        eventType: str
        stage: str
        domainName: str
        connectionId: str
        apiId: str
        extendedRequestId: NotRequired[str]
        requestTime: NotRequired[str]
        messageDirection: NotRequired[str]
        connectedAt: NotRequired[int]
        requestTimeEpoch: NotRequired[int]
        identity: NotRequired[RawIdentity]
        requestId: NotRequired[str]
        messageId: NotRequired[str]  # MESSAGE
        authorizer: NotRequired[dict[str, Any]]  # every event after an allowing authorizer
        disconnectStatusCode: NotRequired[int]  # DISCONNECT
        disconnectReason: NotRequired[str]  # DISCONNECT

    class RawEvent(TypedDict):
        """A Lambda event from an API Gateway WebSocket API, as the runtime reads it.

        One shape for CONNECT, MESSAGE, DISCONNECT and the authorizer's input; which keys
        each has is in the module docstring. `wsgen.gateway.events` builds its events as
        this type, so mypy checks that the emulator builds what the runtime reads.
        """

        requestContext: RawRequestContext
        headers: NotRequired[dict[str, str]]
        multiValueHeaders: NotRequired[dict[str, list[str]]]
        queryStringParameters: NotRequired[dict[str, str]]
        multiValueQueryStringParameters: NotRequired[dict[str, list[str]]]
        stageVariables: NotRequired[dict[str, str]]
        body: NotRequired[str]  # MESSAGE
        isBase64Encoded: NotRequired[bool]
        type: NotRequired[str]  # the authorizer's input: "REQUEST"
        methodArn: NotRequired[str]  # the authorizer's input

else:  # names for wsgen to import at run time; plain dicts then
    RawIdentity = RawRequestContext = RawEvent = dict

_EMPTY: Mapping[str, Any] = {}


def _datetime_from_ms(ms: int | None) -> datetime | None:
    if ms is None:
        return None
    from datetime import UTC, datetime

    return datetime.fromtimestamp(ms / 1000, tz=UTC)


class _RequestContextEvent:
    """What every event of a WebSocket connection shares: the `requestContext`.

    Events are slotted and cache parsed values in slots: the entry point builds one per
    invocation, so construction is kept to two attribute stores.
    """

    __slots__ = ("_headers", "context", "raw")

    def __init__(self, raw: RawEvent, context: Any = None) -> None:
        if "requestContext" not in raw:
            from .exceptions import InvalidEventError

            raise InvalidEventError("requestContext")
        self.raw = raw
        self.context = context
        """The Lambda context object passed to the function, as in Chalice."""

    @property
    def _rc(self) -> RawRequestContext:
        return self.raw["requestContext"]

    def to_dict(self) -> RawEvent:
        """The raw event dict, as API Gateway sent it (not a copy)."""
        return self.raw

    @property
    def connection_id(self) -> str:
        return self._rc["connectionId"]

    @property
    def route_key(self) -> str:
        return self._rc["routeKey"]

    @property
    def event_type(self) -> str:
        return self._rc["eventType"]

    @property
    def domain_name(self) -> str:
        return self._rc["domainName"]

    @property
    def stage(self) -> str:
        return self._rc["stage"]

    @property
    def api_id(self) -> str:
        return self._rc["apiId"]

    @property
    def request_id(self) -> str | None:
        return self._rc.get("requestId")

    @property
    def source_ip(self) -> str | None:
        return (self._rc.get("identity") or _EMPTY).get("sourceIp")

    @property
    def user_agent(self) -> str | None:
        return (self._rc.get("identity") or _EMPTY).get("userAgent")

    @property
    def connected_at(self) -> datetime | None:
        return _datetime_from_ms(self._rc.get("connectedAt"))

    @property
    def request_time(self) -> datetime | None:
        return _datetime_from_ms(self._rc.get("requestTimeEpoch"))

    @property
    def headers(self) -> Headers:
        """The upgrade request's headers, case-insensitive; empty on messages."""
        try:
            return self._headers
        except AttributeError:
            from .headers import Headers

            self._headers: Headers = Headers(self.raw.get("headers"))
            return self._headers

    @property
    def query_params(self) -> Mapping[str, str]:
        return self.raw.get("queryStringParameters") or _EMPTY

    @property
    def multi_value_query_params(self) -> Mapping[str, list[str]]:
        return self.raw.get("multiValueQueryStringParameters") or _EMPTY

    @property
    def stage_variables(self) -> Mapping[str, str]:
        return self.raw.get("stageVariables") or _EMPTY


class WebsocketEvent(_RequestContextEvent):
    """An API Gateway WebSocket event (CONNECT, MESSAGE or DISCONNECT) for a handler."""

    __slots__ = ("_connection", "_json_body", "_raw_body", "tracker")

    def __init__(self, raw: RawEvent, context: Any = None, tracker: Tracker | None = None) -> None:
        super().__init__(raw, context)
        self.tracker = tracker
        """Whose connections `connection` reads: the app, which the entry point passes (a
        test building an event passes its own); None, outside an app."""

    @property
    def connection(self) -> Connection:
        """The tracked connection (`App(..., connections=True)`), read once per event.

        Raises:
            ConnectionsNotEnabledError: the app does not track connections.
            ConnectionNotFoundError: the store has no record of this connection.
        """
        try:
            return self._connection
        except AttributeError:
            pass
        tracker = self.tracker
        if tracker is None:
            from .exceptions import ConnectionsNotEnabledError

            raise ConnectionsNotEnabledError(None, "event.connection")
        self._connection: Connection = tracker.connections.for_event(self.raw)
        return self._connection

    @property
    def message_id(self) -> str | None:
        return self._rc.get("messageId")

    @property
    def authorizer(self) -> Mapping[str, Any]:
        """The `$connect` authorizer's output (principalId and context); empty when none."""
        value = self._rc.get("authorizer")
        return value if isinstance(value, dict) else _EMPTY

    @property
    def disconnect_status_code(self) -> int | None:
        return self._rc.get("disconnectStatusCode")

    @property
    def disconnect_reason(self) -> str | None:
        return self._rc.get("disconnectReason")

    @property
    def is_base64_encoded(self) -> bool:
        return bool(self.raw.get("isBase64Encoded"))

    @property
    def body(self) -> str | None:
        """The message as API Gateway sent it (base64 text for a binary frame); None if absent."""
        return self.raw.get("body")

    @property
    def raw_body(self) -> bytes:
        """The message's bytes, base64-decoded when the event says so; empty if absent."""
        try:
            return self._raw_body
        except AttributeError:
            pass
        body = self.body
        if body is None:
            data = b""
        elif self.is_base64_encoded:
            from base64 import b64decode

            data = b64decode(body)
        else:
            data = body.encode()
        self._raw_body: bytes = data
        return data

    @property
    def json_body(self) -> Any:
        """The message parsed as JSON (once); None without a body.

        Raises:
            BadRequestError: the body is not valid JSON.
        """
        try:
            return self._json_body
        except AttributeError:
            pass
        if self.body is None:
            value = None
        else:
            import json

            try:
                value = json.loads(self.raw_body if self.is_base64_encoded else self.body)
            except ValueError as exc:  # binascii.Error and JSONDecodeError are ValueErrors
                raise BadRequestError(
                    f"Error Parsing JSON: the message body is not valid JSON ({exc})"
                ) from exc
        self._json_body: Any = value
        return value

    def __repr__(self) -> str:
        return f"WebsocketEvent(route_key={self.route_key!r}, connection_id={self.connection_id!r})"


class AuthorizerEvent(_RequestContextEvent):
    """The input of a `$connect` REQUEST authorizer: the client's headers and query string.

    https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-websocket-api-lambda-auth.html
    """

    __slots__ = ()

    @property
    def method_arn(self) -> str:
        """`arn:aws:execute-api:{region}:{account}:{apiId}/{stage}/$connect`."""
        return self.raw["methodArn"]

    @property
    def type(self) -> str:
        return self.raw["type"]

    def __repr__(self) -> str:
        return f"AuthorizerEvent(connection_id={self.connection_id!r})"


def is_authorizer_event(raw: RawEvent) -> bool:
    """A REQUEST authorizer's input rather than a route's event."""
    return raw.get("type") == "REQUEST" and "methodArn" in raw
