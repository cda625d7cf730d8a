"""`@connections` calls on a boto3 client: when the app assigned a session, no Lambda
credentials are found, or `use_client()` gave one (a Stubber, `wsgen.testing`'s).

Apart from `runtime.management`, whose own client (`runtime.aws`) serves Lambda: a cold start
there does not load this. boto3 itself is the client's, made by `WebsocketAPI.client()`.
"""

from __future__ import annotations

from .common_errors import WebsocketDisconnectedError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


class Boto3Calls:
    """The same three calls on a boto3 client (or one given to `use_client`)."""

    __slots__ = ("client",)

    def __init__(self, client: Any) -> None:
        self.client = client

    def post(self, connection_id: str, message: str | bytes) -> None:
        # A str goes as it is (boto3 sends it UTF-8 encoded), so a client that can tell
        # text from binary, like wsgen.testing's, sees what the app meant.
        self._call("post_to_connection", connection_id, Data=message)

    def delete(self, connection_id: str) -> None:
        self._call("delete_connection", connection_id)

    def get(self, connection_id: str) -> dict[str, Any]:
        response: dict[str, Any] = self._call("get_connection", connection_id)
        response.pop("ResponseMetadata", None)
        return response

    def _call(self, operation: str, connection_id: str, **params: Any) -> Any:
        client = self.client
        try:
            return getattr(client, operation)(ConnectionId=connection_id, **params)
        except client.exceptions.GoneException as exc:
            raise WebsocketDisconnectedError(connection_id, _gone_reason(exc)) from exc
        except Exception as exc:
            answer = getattr(exc, "response", None)  # botocore's ClientError
            if not isinstance(answer, dict) or "Error" not in answer:
                raise
            from .exceptions import management_error

            meta = answer.get("ResponseMetadata", {})
            error = answer["Error"]
            raise management_error(
                operation,
                connection_id,
                int(meta.get("HTTPStatusCode") or 0),
                error.get("Code"),
                error.get("Message"),
                meta.get("RequestId"),
            ) from exc


def _gone_reason(exc: Exception) -> str | None:
    """A 410's message: botocore's `Error.Message`, or the in-memory client's text."""
    answer = getattr(exc, "response", None)
    if isinstance(answer, dict):
        message = answer.get("Error", {}).get("Message")
        return message if isinstance(message, str) else None
    return str(exc) or None
