"""What a handler may return, and how it becomes the proxy response API Gateway expects."""

from __future__ import annotations

from .contract import CONNECT, MAX_MESSAGE_BYTES

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from .exceptions import ClientError


class Refused(dict[str, "Any"]):
    """The proxy response answering a handler's `ClientError`, carrying that error.

    It is the dict API Gateway reads (Lambda serializes it as any other), and tells those who
    call the entry point in-process (`wsgen local`, `wsgen.testing`) that the handler
    refused, and how: a `$connect` refused with `error.status`, a message answered with the
    error frame. The runtime logs the refusal at INFO; this is the same fact, structured.
    `delivered` is False when a message's client had left before its error frame was sent.
    """

    __slots__ = ("delivered", "error")

    def __init__(
        self, response: dict[str, Any], error: BaseException, delivered: bool = True
    ) -> None:
        super().__init__(response)
        self.error = error
        self.delivered = delivered


class Dropped(dict[str, "Any"]):
    """The proxy response of a one-way route whose handler returned a value: API Gateway
    discards it, as it discards every result of a route without a route response
    (docs/aws-facts.md#route-responses).

    It is the dict Lambda returns (the one the runtime returned before it existed), and
    tells those who call the entry point in-process (`wsgen local`, `wsgen.testing`) that
    the handler's `value` went nowhere, so that they can say so; on AWS nothing does.
    """

    __slots__ = ("route_key", "value")

    def __init__(self, response: dict[str, Any], value: Any, route_key: str) -> None:
        super().__init__(response)
        self.value = value
        self.route_key = route_key


_PROXY_KEYS = frozenset(("statusCode", "headers", "multiValueHeaders", "isBase64Encoded"))
"""A one-way result made of these keys only is a proxy response with nothing for the client
(`{"statusCode": 200}`, as raw Lambda handlers return): nothing to drop."""


class Response:
    """A handler's explicit response: status, headers and (for two-way routes) a body.

    On `$connect`, API Gateway forwards only the status and `Sec-WebSocket-Protocol`; a
    non-2xx status rejects the handshake. Do not return 101: API Gateway sends that itself.
    A header whose value is a list goes into `multiValueHeaders`, as in Chalice.
    """

    def __init__(
        self,
        body: Any = None,
        headers: dict[str, str | list[str]] | None = None,
        status_code: int = 200,
    ) -> None:
        self.body = body
        self.headers = headers or {}
        self.status_code = status_code

    def to_dict(self, *, route_key: str = "") -> dict[str, Any]:
        """The proxy response, with Chalice's keys: `headers`, `multiValueHeaders`,
        `statusCode`, and `body` unless it is None; `route_key` names the route in an
        error about the body.
        """
        single: dict[str, str] = {}
        multi: dict[str, list[str]] = {}
        for name, value in self.headers.items():
            if isinstance(value, list):
                multi[name] = value
            else:
                single[name] = value
        result: dict[str, Any] = {
            "headers": single,
            "multiValueHeaders": multi,
            "statusCode": self.status_code,
        }
        if self.body is not None:
            result.update(encode_body(self.body, route_key))
        return result


def encode_body(value: Any, route_key: str = "") -> dict[str, Any]:
    """The `body` (and `isBase64Encoded`) of a proxy response carrying `value` as a frame.

    str is sent as it is, bytes base64-encoded, anything else as JSON (strict JSON: NaN and
    Infinity are not JSON, and a browser's JSON.parse would refuse them).

    Raises:
        InvalidReplyError: the value is none of those.
    """
    if isinstance(value, str):
        return {"body": value}
    if isinstance(value, bytes | bytearray | memoryview):
        from base64 import b64encode

        return {"body": b64encode(bytes(value)).decode(), "isBase64Encoded": True}
    import json

    try:
        return {"body": json.dumps(value, separators=(",", ":"), allow_nan=False)}
    except (TypeError, ValueError) as exc:
        from .exceptions import InvalidReplyError

        raise InvalidReplyError(route_key, value, str(exc)) from exc


def to_proxy_response(result: Any, *, reply: bool = False, route_key: str = "") -> dict[str, Any]:
    """Turn a handler's return value into what the Lambda function returns to API Gateway.

    A `Response` gives its dict; a dict gets `statusCode: 200` unless it has one. On a
    two-way route any other non-None value is the reply frame. On a one-way message route
    (or `$disconnect`) API Gateway discards the result: one that carries something for the
    client (a body, a value other than a bodiless proxy response) is returned as a
    `Dropped`, the same dict, so that in-process callers can say so. `$connect`'s result is
    the handshake's answer, never dropped.
    """
    if isinstance(result, Response):
        response = result.to_dict(route_key=route_key)
    elif isinstance(result, dict) and not reply:
        response = {"statusCode": 200, **result}
        if route_key == CONNECT or result.keys() <= _PROXY_KEYS:
            return response
        return Dropped(response, result, route_key)
    elif reply and result is not None:
        response = {"statusCode": 200, **encode_body(result, route_key)}
    elif result is None or route_key == CONNECT:
        return {"statusCode": 200}
    else:
        return Dropped({"statusCode": 200}, result, route_key)
    if "body" in response:
        if reply:
            _check_reply_size(response)
        elif route_key != CONNECT:
            return Dropped(response, result, route_key)
    return response


def _check_reply_size(response: dict[str, Any]) -> None:
    """A reply frame `send()` would refuse is refused: over API Gateway's 128 KB message
    limit, or text UTF-8 cannot encode.

    Raises:
        MessageTooLargeError: the frame is over the limit.
        InvalidMessageError: the text holds a lone surrogate.
    """
    body = response["body"]
    if not isinstance(body, str) or (body.isascii() and len(body) <= MAX_MESSAGE_BYTES):
        return  # ASCII (JSON, base64: the common case) is a byte a character; isascii is O(1)
    if response.get("isBase64Encoded"):
        size = len(body) // 4 * 3 - body[-2:].count("=")
    else:
        try:
            size = len(body.encode())
        except UnicodeEncodeError as exc:
            from .exceptions import InvalidMessageError

            raise InvalidMessageError(exc.object[exc.start], exc.start) from exc
    if size > MAX_MESSAGE_BYTES:
        from .exceptions import MessageTooLargeError

        raise MessageTooLargeError(size, MAX_MESSAGE_BYTES)


def client_error_frame(error: ClientError, route_key: str, request_id: str | None) -> str:
    """The JSON frame a client gets for a `ClientError` its message caused."""
    import json

    return json.dumps(
        {
            "error": {
                "code": error.code,
                "message": str(error),
                "route": route_key,
                "requestId": request_id,
            }
        },
        separators=(",", ":"),
    )
