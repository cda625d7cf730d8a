"""What a handler may return, and how it becomes the proxy response API Gateway expects."""

from __future__ import annotations

from .exceptions import InvalidReplyError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


class Response:
    """A handler's explicit response: status, headers and (for two-way routes) a body.

    On `$connect`, API Gateway forwards only the status and `Sec-WebSocket-Protocol`; a
    non-2xx status rejects the handshake. Do not return 101: API Gateway sends that itself.
    """

    def __init__(
        self, body: Any = None, headers: dict[str, str] | None = None, status_code: int = 200
    ) -> None:
        self.body = body
        self.headers = headers or {}
        self.status_code = status_code

    def to_dict(self, route_key: str = "") -> dict[str, Any]:
        """The proxy response; `route_key` names the route in an error about the body."""
        result: dict[str, Any] = {"statusCode": self.status_code}
        if self.headers:
            result["headers"] = dict(self.headers)
        if self.body is not None:
            result.update(encode_body(self.body, route_key))
        return result


def encode_body(value: Any, route_key: str = "") -> dict[str, Any]:
    """The `body` (and `isBase64Encoded`) of a proxy response carrying `value` as a frame.

    str is sent as it is, bytes base64-encoded, anything else as JSON.

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
        return {"body": json.dumps(value, separators=(",", ":"))}
    except (TypeError, ValueError) as exc:
        raise InvalidReplyError(route_key, value) from exc


def to_proxy_response(result: Any, *, reply: bool = False, route_key: str = "") -> dict[str, Any]:
    """Turn a handler's return value into what the Lambda function returns to API Gateway.

    A `Response` gives its dict; a dict gets `statusCode: 200` unless it has one. On a
    two-way route any other non-None value is the reply frame; otherwise it is ignored.
    """
    if isinstance(result, Response):
        return result.to_dict(route_key)
    if isinstance(result, dict) and not reply:
        return {"statusCode": 200, **result}
    if reply and result is not None:
        return {"statusCode": 200, **encode_body(result, route_key)}
    return {"statusCode": 200}
