"""What API Gateway makes of the app's answers: the handshake verdict, reply and error frames.

An invocation gives an `Outcome`; the handshake ends in a `Verdict` saying which `Step`
decided it, so the front ends never re-derive a decision from its words.

`$connect` (https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-websocket-api-route-keys-connect-disconnect.html,
docs/aws-facts.md#connect): a non-2xx `statusCode` rejects the handshake with that status; only
`Sec-WebSocket-Protocol` goes back, never a body or other headers, and API Gateway never
picks a subprotocol itself. A function error fails the Lambda-proxy integration: 502. A
result without `statusCode` is accepted, as Chalice does (AWS's behaviour is unknown).

Messages: a two-way route sends the proxy result's `body` back as one frame, binary when
`isBase64Encoded`, text otherwise (https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-websocket-api-route-response.html);
a one-way route sends nothing back, whatever its handler returned (`dropped_note` says so).
No route gives the frame `{"message": "Forbidden", ...}`, a failed integration
`{"message": "Internal server error", ...}`, with API Gateway's own spacing.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from enum import Enum
from typing import Any

from runtime.contract import DEFAULT, DISCONNECT
from runtime.responses import Dropped, Refused

from .timeouts import GATEWAY_TIMEOUT, TIMED_OUT_MESSAGE, IntegrationTimeoutError

Frame = str | bytes
"""A WebSocket message: str for a text frame, bytes for a binary one."""

UNAUTHORIZED = 401
FORBIDDEN = 403
INTERNAL_SERVER_ERROR = 500
CONNECT_FAILED = 502
"""The handshake status when the `$connect` function raises: a failed Lambda-proxy call."""

FORBIDDEN_MESSAGE = "Forbidden"
INTERNAL_ERROR_MESSAGE = "Internal server error"

# Close codes and the `disconnectReason`s API Gateway reports with them.
GOING_AWAY = (1001, "Going away")
"""Idle timeout, maximum duration, or the server shutting down."""
DELETE_CLOSE = (1000, "Connection Closed Normally")
"""What `@connections` DELETE closes with: the code and reason AWS logs (aws/chalice#2060)."""
NO_STATUS_REASON = "Client-side close frame status not set"
"""API Gateway's `disconnectReason` for a close frame without a code (captured, with 1005)."""
ABNORMAL_CLOSE = (1006, "Connection closed abnormally")
"""Our reason for a drop without a close frame; AWS's text is unknown."""
MESSAGE_TOO_BIG = (
    1009,
    "Message too big: API Gateway takes frames up to 32 KB, messages up to 128 KB",
)
"""A frame over 32 KB or a message over 128 KB (docs/aws-facts.md#quotas). The reason text is
ours, the same in `wsgen local` and `wsgen.testing`; AWS documents only the code."""
BINARY_REFUSED = (1003, "Binary frames are not supported")
"""How API Gateway answers a binary frame from a client: it closes the connection with 1003.
https://docs.aws.amazon.com/apigateway/latest/developerguide/websocket-api-develop-binary-media-types.html
(The reason text is ours; AWS documents only the code.)"""


@dataclass(frozen=True)
class Outcome:
    """What one invocation gave: the function's result, or the exception it raised."""

    result: Any = None
    error: BaseException | None = None


class Step(Enum):
    """Which step of the handshake decided a `Verdict`."""

    IDENTITY_SOURCE = "identity source"
    """An identity source is missing or empty: 401, and the authorizer did not run."""
    AUTHORIZER = "authorizer"
    """The authorizer's output or exception (an allowing authorizer is followed by `$connect`)."""
    NO_CONNECT_ROUTE = "no $connect route"
    """The API has no `$connect` route: API Gateway accepts without invoking anything."""
    CONNECT = "$connect"
    """The `$connect` handler's result, exception or refusal (its `ClientError`)."""
    THROTTLED = "throttled"
    """Over the new-connection rate or `$connect`'s throttling: 429, nothing invoked."""
    IAM = "iam"
    """`$connect` is IAM-authorized and the upgrade's SigV4 signature is missing or wrong: 403."""
    API_KEY = "api key"
    """`$connect` needs an API key and `x-api-key` holds none of the stage's: 403."""

    @property
    def before_connect(self) -> bool:
        """Whether the handshake ended before `$connect` would run (a refusal at the door)."""
        return self in (
            Step.IDENTITY_SOURCE,
            Step.AUTHORIZER,
            Step.THROTTLED,
            Step.IAM,
            Step.API_KEY,
        )


class Verdict:
    """How the handshake ends: 2xx accepts, anything else is answered with `status`.

    Attributes:
        step: which step decided it.
        reason: what decided it, in words, for logs and test failures.
        message: the `{"message": ...}` of API Gateway's own error response, or None when
            the app's `$connect` chose the status (its body is never forwarded).
        subprotocol: the `Sec-WebSocket-Protocol` `$connect` returned (2xx only).
        authorizer: `requestContext.authorizer` of later events, when an authorizer allowed.
        error: the exception the authorizer or `$connect` raised, when that decided it.
        error_is_refusal: the error is the app's way to refuse (the authorizer's
            `Unauthorized`, 401; `$connect`'s `ClientError`, its status), not a failure of
            the app; see `failure`.
    """

    def __init__(
        self,
        status: int,
        reason: str,
        message: str | None = None,
        *,
        step: Step,
        subprotocol: str | None = None,
        authorizer: dict[str, Any] | None = None,
        error: BaseException | None = None,
        error_is_refusal: bool = False,
    ) -> None:
        self.status = status
        self.reason = reason
        self.message = message
        self.step = step
        self.subprotocol = subprotocol
        self.authorizer = authorizer
        self.error = error
        self.error_is_refusal = error_is_refusal

    @property
    def accepted(self) -> bool:
        return 200 <= self.status < 300

    @property
    def failure(self) -> BaseException | None:
        """The exception that is a failure of the app's code, or None (a refusal is not)."""
        return None if self.error_is_refusal else self.error

    @property
    def body(self) -> bytes:
        """The HTTP response body: `{"message":"..."}` for API Gateway's own errors."""
        return gateway_response(self.message) if self.message is not None else b""

    def __repr__(self) -> str:
        return f"Verdict({self.status}, {self.reason!r}, step={self.step.name})"


def gateway_response(message: str) -> bytes:
    """API Gateway's default gateway-response body, `{"message":"Forbidden"}`."""
    return json.dumps({"message": message}, separators=(",", ":")).encode()


def connect_verdict(result: Any, error: BaseException | None) -> Verdict:
    """The handshake's answer from the `$connect` function's result or exception."""
    if isinstance(error, IntegrationTimeoutError):
        reason = f"the $connect handler did not return in time: {error}"
        return Verdict(GATEWAY_TIMEOUT, reason, TIMED_OUT_MESSAGE, step=Step.CONNECT, error=error)
    if error is not None:
        reason = f"the $connect handler raised {type(error).__name__}: {error}"
        return Verdict(
            CONNECT_FAILED, reason, INTERNAL_ERROR_MESSAGE, step=Step.CONNECT, error=error
        )
    if not isinstance(result, dict) or "statusCode" not in result:
        return Verdict(200, "accepted", step=Step.CONNECT)
    status = _status(result["statusCode"])
    if status is None:
        return _malformed(f"statusCode {_shown(result['statusCode'])}, not an HTTP status")
    if not 200 <= status < 300:
        refusal = refusal_of(result)
        if refusal is not None:
            reason = f"the $connect handler refused: {described(refusal)}"
            return Verdict(status, reason, step=Step.CONNECT, error=refusal, error_is_refusal=True)
        return Verdict(status, f"the $connect handler returned {status}", step=Step.CONNECT)
    headers = result.get("headers")
    protocol = next(
        (
            value
            for key, value in (headers.items() if isinstance(headers, dict) else ())
            if str(key).lower() == "sec-websocket-protocol"
        ),
        None,
    )
    if isinstance(protocol, str) and not _is_protocol_list(protocol):
        shown = _shown(protocol)
        return _malformed(f"Sec-WebSocket-Protocol {shown}, not a subprotocol name")
    subprotocol = protocol if isinstance(protocol, str) and protocol else None
    return Verdict(status, "accepted", step=Step.CONNECT, subprotocol=subprotocol)


def subprotocol_mismatch(
    offered: str | None, chosen: str | None, connect: bool = True
) -> str | None:
    """Why a browser fails a handshake API Gateway accepted, or None: the subprotocol the
    `$connect` handler answered (`chosen`, passed through as API Gateway does) against the
    client's `Sec-WebSocket-Protocol` (`offered`); `connect`: the app has a `$connect` route."""
    protocols = [p.strip() for p in (offered or "").split(",") if p.strip()]
    if chosen is None:
        if not protocols:
            return None
        listed = ", ".join(f"'{p}'" for p in protocols)
        if not connect:
            return (
                f"the client offered subprotocols {listed} and the app has no $connect route "
                "to choose one: browsers fail such a handshake; add @app.on_ws_connect() "
                "returning one of them in the Sec-WebSocket-Protocol header"
            )
        return (
            f"the client offered subprotocols {listed} and the $connect handler chose none: "
            "browsers fail such a handshake; return one of them in the "
            "Sec-WebSocket-Protocol header"
        )
    if chosen in protocols:
        return None
    listed = ", ".join(f"'{p}'" for p in protocols) or "none"
    return (
        f"the $connect handler chose subprotocol '{chosen}', which the client did not offer "
        f"(it offered {listed}): browsers fail such a handshake; return one the client "
        "offered in its Sec-WebSocket-Protocol header, and none when it offered none"
    )


def refusal_of(result: Any) -> BaseException | None:
    """The `ClientError` the handler refused with, when the entry point answered one.

    The runtime's answer to it is an ordinary proxy response (`$connect`'s status, a 200
    after the error frame), the same as Lambda returns; in-process, it is a
    `runtime.responses.Refused` carrying the error.
    """
    return result.error if isinstance(result, Refused) else None


def refusal_delivered(result: Any) -> bool:
    """Whether the client got the error frame of a refusal (False: it had left before)."""
    return not isinstance(result, Refused) or result.delivered


def dropped_of(result: Any) -> Dropped | None:
    """The value a one-way route's handler returned, which API Gateway discarded, as the
    entry point reports it in-process (`runtime.responses.Dropped`); None when none was."""
    return result if isinstance(result, Dropped) else None


def dropped_note(dropped: Dropped) -> str:
    """The one line saying that a handler's return value went nowhere, and the fix.

    API Gateway sends a result back only on a two-way route, one with a route response
    (docs/aws-facts.md#route-responses); `reply=True` makes a message route one.
    """
    route_key = dropped.route_key
    what = type(dropped.value).__name__
    said = f"the handler for route {route_key} returned a {what}, which API Gateway discards: "
    if route_key == DISCONNECT:
        return said + "$disconnect is always one-way (its client is gone); return None"
    said += "the route is one-way, so nothing goes back to the client; "
    decorator = (
        "@app.on_ws_message(reply=True)"
        if route_key == DEFAULT
        else f"@app.on_ws_message(route={route_key!r}, reply=True)"
    )
    return said + f"make it two-way with {decorator} to send it back, or return None"


def described(refusal: BaseException) -> str:
    """A refusal for a log line: `ClientError closed: not today` (its class, code, message)."""
    code = getattr(refusal, "code", None)
    return " ".join(str(part) for part in (type(refusal).__name__, code) if part) + f": {refusal}"


def _status(value: Any) -> int | None:
    """An HTTP status the handshake can answer with (200-599), from an int or its digits.

    A bool, a float, infinity, a negative or a huge number is no status: API Gateway answers
    a malformed Lambda-proxy result with 502, and a 1xx would claim the upgrade happened.
    """
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) == 3:
        value = int(value)
    if isinstance(value, int) and not isinstance(value, bool) and 200 <= value <= 599:
        return value
    return None


def _is_protocol_list(value: str) -> bool:
    """A header value of RFC 6455 subprotocol tokens: printable ASCII, no CR, LF or controls."""
    return all(" " <= ch <= "~" for ch in value)


def _shown(value: Any) -> str:
    """A value for a log line: its repr, cut short (a 5,000-digit int stays one line)."""
    try:
        text = repr(value)
    except ValueError:  # an int too large for repr
        text = f"<an int of {value.bit_length()} bits>"
    return text if len(text) <= 60 else text[:57] + "..."


def _malformed(what: str) -> Verdict:
    """A `$connect` result API Gateway cannot answer with: a malformed integration response."""
    reason = f"the $connect handler returned {what}: malformed Lambda proxy response"
    return Verdict(CONNECT_FAILED, reason, INTERNAL_ERROR_MESSAGE, step=Step.CONNECT)


def message_body(data: bytes | str, binary: bool) -> tuple[str, bool]:
    """A message's `body` and `isBase64Encoded`: text as it is (decoded already when `str`),
    binary frames base64-encoded.

    AWS's handling of binary frames is undocumented (docs/aws-facts.md#binary-frames); base64
    with the flag set is what `WebsocketEvent.raw_body` decodes.
    """
    if isinstance(data, str):
        return data, False
    if binary:
        return base64.b64encode(data).decode(), True
    return data.decode("utf-8"), False


def reply_frame(result: Any) -> Frame | None:
    """The frame a two-way route sends back: the proxy result's `body`, or None for no body."""
    if not isinstance(result, dict) or result.get("body") is None:
        return None
    if result.get("isBase64Encoded"):
        return base64.b64decode(result["body"])
    return str(result["body"])


def answer_frame(
    result: Any, error: BaseException | None, two_way: bool, connection_id: str, request_id: str
) -> Frame | None:
    """What the client gets after a message's integration ran: the Endpoint request timed
    out frame when API Gateway stopped waiting, the Internal server error frame when it
    failed, the reply of a two-way route, or nothing."""
    if isinstance(error, IntegrationTimeoutError):
        return error_frame(TIMED_OUT_MESSAGE, connection_id, request_id)
    if error is not None:
        return error_frame(INTERNAL_ERROR_MESSAGE, connection_id, request_id)
    return reply_frame(result) if two_way else None


def is_text(data: bytes) -> bool:
    """Whether `@connections` POST data goes out as a text frame: when it is valid UTF-8.

    The POST carries no frame type, so API Gateway can only go by content (its exact rule
    is undocumented).
    """
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def error_frame(message: str, connection_id: str, request_id: str) -> str:
    """API Gateway's own error frame, byte for byte as clients see it.

    docs/aws-facts.md#routing
    """
    return (
        f'{{"message": "{message}", "connectionId":"{connection_id}", "requestId":"{request_id}"}}'
    )
