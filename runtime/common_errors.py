"""The errors every app meets, apart from the rest of `runtime.exceptions` (cold-start time).

`runtime.exceptions` draws the whole tree and re-exports these: import them from there or
from `runtime`. Their `__module__` is this module, where their source is (`inspect`, a
traceback's `runtime.common_errors.ClientError`); pickles naming `runtime.exceptions` still
load, since it re-exports them.
"""

from __future__ import annotations


class WebsocketError(Exception):
    """Root of every error the runtime raises."""


class WebsocketDisconnectedError(WebsocketError):
    """The client is gone: API Gateway answered 410 for this connection."""

    def __init__(self, connection_id: str, reason: str | None = None) -> None:
        super().__init__(connection_id)
        self.connection_id = connection_id
        self.reason = reason
        """The 410's own message, when it has one (`wsgen local` and `wsgen.testing` say
        why: a send inside `$connect`, for example)."""

    def __str__(self) -> str:
        gone = f"connection {self.connection_id}"
        if not self.reason:
            return f"{gone} is gone"
        return self.reason if self.reason.startswith(gone) else f"{gone} is gone: {self.reason}"


class ClientError(WebsocketError):
    """Raise in a handler to refuse a message with an error the client sees.

    The entry point catches it: on a message route the client gets the JSON frame
    `{"error": {"code": ..., "message": ..., "route": ..., "requestId": ...}}` (as the reply
    of a two-way route, through `send()` otherwise), and the invocation ends normally, with
    one INFO log line. Raised in `$connect`, it refuses the handshake with `status`.

    Args:
        message: what is wrong, for the client to read.
        code: a stable, machine-readable name for the error.
        status: the HTTP status that refuses the connection when raised in `$connect`.
    """

    default_code = "client_error"

    def __init__(self, message: str, code: str | None = None, *, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.code = code or self.default_code
        self.status = status

    def __str__(self) -> str:
        return self.message


class BadRequestError(ClientError, ValueError):
    """The message is not what the handler needs: raise it with what is wrong.

    `event.json_body` raises it for a body that is not JSON, with Chalice's wording.
    """

    default_code = "bad_request"


def refuse_uncalled(decorator: str, first: object, arguments: str = "") -> None:
    """Refuse `@app.task` written without its parentheses: Python then passes the function
    where the decorator's first argument goes (one `callable()` test, at registration).

    Raises:
        RegistrationError: `first` is a function (or another callable).
    """
    if callable(first):
        from .exceptions import RegistrationError  # only for the mistake: cold-start time

        raise RegistrationError(
            f"@app.{decorator} must be called: write @app.{decorator}({arguments})"
        )
