"""What the test client raises when a connection does not behave as the test expected.

WebsocketTestError
├── ConnectionRejected     API Gateway refused the handshake: 401, 403, 500 or $connect's status
├── HandshakeFailed        the client (like a browser) failed the handshake: subprotocol mismatch
├── ConnectionClosedError  sending on, or receiving from, a closed connection with nothing left
├── NoMessageError         receive() on an open connection that has nothing waiting
├── ClientClosedError      connect() on a closed Client            (also a RuntimeError)
├── FragmentsError         send_*(fragments=N) with N out of range  (also a ValueError)
├── QueueMessageError      send_sqs_message() to no queue of the app, or a message SQS refuses
│                                                                   (also a ValueError)
└── UnexpectedFrameError   receive_text() got a binary frame        (also a TypeError)

The four marked "also" have a builtin as a second base: ClientClosedError, FragmentsError
and UnexpectedFrameError the one they were raised as before, so that `except ValueError` in
existing tests still catches them, and QueueMessageError a ValueError, as a bad argument.

Two warnings (UserWarnings, not raised) say what the test would otherwise not see:
UnroutedMessageWarning     why a message got the Forbidden frame
DroppedResultWarning       a one-way route's handler returned a value, which went nowhere
"""

from __future__ import annotations


class WebsocketTestError(Exception):
    """Root of every error `wsgen.testing` raises."""


class ConnectionRejected(WebsocketTestError):  # noqa: N818  (an outcome, named as the test reads it)
    """API Gateway answered the upgrade with an HTTP error instead of 101."""

    def __init__(self, status_code: int, reason: str) -> None:
        super().__init__(status_code, reason)
        self.status_code = status_code
        self.reason = reason

    def __str__(self) -> str:
        return f"connection rejected with {self.status_code}: {self.reason}"


class HandshakeFailed(WebsocketTestError):  # noqa: N818
    """$connect accepted, but a browser would fail the handshake on its subprotocol answer."""

    def __init__(self, offered: list[str], chosen: str | None) -> None:
        super().__init__(offered, chosen)
        self.offered = offered
        self.chosen = chosen

    def __str__(self) -> str:
        if self.chosen is None:
            return (
                f"the client offered subprotocols {self.offered} and the $connect handler chose "
                "none; return one of them in the Sec-WebSocket-Protocol header "
                "(browsers fail the handshake otherwise)"
            )
        return (
            f"the $connect handler chose subprotocol '{self.chosen}', which the client did not "
            f"offer ({self.offered or 'none'}); browsers fail such a handshake"
        )


class ConnectionClosedError(WebsocketTestError):
    """The connection is closed: nothing can be sent, and nothing is left to receive."""

    def __init__(self, connection_id: str, code: int | None, reason: str | None) -> None:
        super().__init__(connection_id, code, reason)
        self.connection_id = connection_id
        self.code = code
        self.reason = reason

    def __str__(self) -> str:
        reason = f" ({self.reason})" if self.reason else ""
        return f"connection {self.connection_id} is closed with code {self.code}{reason}"


class NoMessageError(WebsocketTestError):
    """`receive()` found nothing: everything the app sent has been read already."""

    def __init__(self, connection_id: str, received: int) -> None:
        super().__init__(connection_id, received)
        self.connection_id = connection_id
        self.received = received

    def __str__(self) -> str:
        return (
            f"connection {self.connection_id} has no message waiting "
            f"({self.received} received and read so far)"
        )


class ClientClosedError(WebsocketTestError, RuntimeError):
    """`connect()` on a `Client` that was closed. (A `RuntimeError` too, as it was.)"""

    def __str__(self) -> str:
        return "this Client is closed; create a new one"


class FragmentsError(WebsocketTestError, ValueError):
    """`fragments=N` cannot split the message so. (A `ValueError` too, as it was.)"""

    def __init__(self, fragments: int, size: int) -> None:
        super().__init__(fragments, size)
        self.fragments = fragments
        self.size = size

    def __str__(self) -> str:
        return f"fragments must be between 1 and {max(self.size, 1)}: {self.fragments}"


class QueueMessageError(WebsocketTestError, ValueError):
    """`send_sqs_message()` named a queue the app has no handler of, or a message SQS would
    refuse (`reason` says which, and the fix)."""

    def __init__(self, queue: str, reason: str) -> None:
        super().__init__(queue, reason)
        self.queue = queue
        self.reason = reason

    def __str__(self) -> str:
        return f"cannot send to SQS queue {self.queue!r}: {self.reason}"


class UnexpectedFrameError(WebsocketTestError, TypeError):
    """`receive_text()` found a binary frame. (A `TypeError` too, as it was.)"""


class UnroutedMessageWarning(UserWarning):
    """A message matched no route and the app has no `$default`: it got API Gateway's
    Forbidden frame. Warned, not raised, as the frame is what AWS sends; the message says
    what the selection expression gave, the app's routes and the fix."""


class DroppedResultWarning(UserWarning):
    """A handler on a one-way route (or `$disconnect`) returned a value, which API Gateway
    discards: the client got nothing. Warned, not raised, as that is what AWS does; the
    message names the route and the fix (`reply=True`, or return None). Warned at every
    such message: Python's warning filters show it once per place by default, and
    `pytest.warns` or `-W error::wsgen.testing.DroppedResultWarning` check it."""
