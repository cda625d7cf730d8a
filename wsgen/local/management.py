"""The management API (`@connections`) on the emulator's port, as boto3 sees API Gateway's.

`POST|GET|DELETE /{stage}/@connections/{id}`; the whole path is URL-decoded (boto3 sends
`%3D` for `=`, the AWS docs' awscurl example even `%40` for `@`). Errors carry
`x-amzn-ErrorType`, so boto3 raises its modelled exceptions (`GoneException`,
`PayloadTooLargeException`, `ForbiddenException`).

Calls must be SigV4-signed for `execute-api`, as on AWS ("you must sign them",
docs/aws-facts.md#management-api): without an `Authorization` header the answer is API
Gateway's 403 `MissingAuthenticationTokenException` "Missing Authentication Token", a header
that is not SigV4 403 `IncompleteSignatureException`, one scoped to another service 403
`InvalidSignatureException`. The signature itself is not verified: the emulator knows no
secret keys, and handlers run with dummy ones.
https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-how-to-call-websocket-api-connections.html
"""

from __future__ import annotations

import asyncio
import email.utils
import json
import time
from collections.abc import Callable, Container, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote

from runtime.contract import ENDPOINT_ENV, MAX_MESSAGE_BYTES

from ..gateway.events import new_uuid
from ..gateway.outcomes import DELETE_CLOSE, is_text
from ..gateway.sigv4 import shape_refusal
from ..gateway.state import ConnectionState, gone_message
from .connection import BufferFullError, Connection, GoneError
from .log import EventLog


@dataclass
class HttpResponse:
    status: int
    body: bytes = b""
    headers: list[tuple[str, str]] = field(default_factory=list)


_date: tuple[int, str] = (0, "")


def http_date() -> str:
    """`Date`'s value now (RFC 9110 5.6.7), made once a second rather than per call."""
    global _date
    second = int(time.time())
    if _date[0] != second:
        _date = (second, email.utils.formatdate(second, usegmt=True))
    return _date[1]


def error(status: int, error_type: str, message: str) -> HttpResponse:
    """An API Gateway error: `x-amzn-ErrorType` plus a JSON `message`."""
    body = json.dumps({"message": message}).encode()
    return HttpResponse(status, body, [("x-amzn-ErrorType", error_type)])


def iso_ms(epoch_ms: int) -> str:
    """`2024-01-20T11:54:57.419Z`, the timestamp format of GetConnection."""
    moment = datetime.fromtimestamp(epoch_ms / 1000, tz=UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{epoch_ms % 1000:03d}Z"


_MAX_STAGES_TOLD = 64
"""The wrong stages whose first call is logged: a client inventing stages gets no more."""

_paths: dict[str, str] = {}
"""Request path -> URL-decoded: a connection's is the same for every post to it."""
_MAX_PATHS = 4096


def _decoded(path: str) -> str:
    """`unquote(path)`, remembered (it costs a post about 5 us, for `%3D` in most ids)."""
    decoded = _paths.get(path)
    if decoded is None:
        decoded = unquote(path)
        if len(_paths) >= _MAX_PATHS:
            _paths.clear()
        _paths[path] = decoded
    return decoded


def signature_refusal(authorization: str | None, query: str = "") -> HttpResponse | None:
    """API Gateway's answer to a call that is not SigV4-signed for execute-api, else None
    (`sigv4.shape_refusal` decides; a presigned URL counts as signed)."""
    refusal = shape_refusal(authorization, query)
    if refusal is None:
        return None
    return error(403, refusal.error_type, refusal.message)


class ManagementApi:
    """Serves `@connections` calls against the emulator's open connections."""

    def __init__(
        self,
        stage: str,
        connections: Mapping[str, Connection],
        delay_ms: float = 0,
        connecting: Container[str] = (),
        log: EventLog | None = None,
    ):
        self.stage = stage
        self.connections = connections
        self.log = log
        """Where a call to another stage is explained (`_wrong_stage`), if anywhere."""
        self._told: set[str] = set()
        """The wrong stages already explained in the log."""
        self.connecting = connecting
        """The ids whose handshake (the authorizer, `$connect`) is running."""
        self.delay_ms = delay_ms
        """Added to every call, to stand in for AWS's round trip (benchmarks)."""

    async def handle(
        self, method: str, target: str, body: bytes | int, authorization: str | None = None
    ) -> HttpResponse:
        """Answer one call after `delay_ms` (`respond`, awaited); `body` is the size instead
        when it was over the limit."""
        answered: asyncio.Future[HttpResponse] = asyncio.get_running_loop().create_future()

        def settle(response: HttpResponse) -> None:
            if not answered.done():  # else the caller was cancelled during the delay
                answered.set_result(response)

        self.respond(method, target, body, authorization, settle)
        return await answered

    def respond(
        self,
        method: str,
        target: str,
        body: bytes | int,
        authorization: str | None,
        done: Callable[[HttpResponse], None],
    ) -> None:
        """Answer one call by calling `done`: after `delay_ms`, or at once without one."""
        if not self.delay_ms:
            done(self.answer(method, target, body, authorization))
            return

        def answer() -> None:  # after the delay, from the connections' state by then
            done(self.answer(method, target, body, authorization))

        asyncio.get_running_loop().call_later(self.delay_ms / 1000, answer)

    def answer(
        self, method: str, target: str, body: bytes | int, authorization: str | None = None
    ) -> HttpResponse:
        """Answer one call now (`handle` without the delay): nothing in it waits."""
        response = self._route(method, target, body, authorization)
        headers = response.headers
        headers.append(("Date", http_date()))
        headers.append(("Content-Type", "application/json"))
        headers.append(("x-amzn-RequestId", new_uuid()))
        return response

    def _route(
        self, method: str, target: str, body: bytes | int, authorization: str | None
    ) -> HttpResponse:
        path, _, query = target.partition("?")
        path = _decoded(path)
        prefix = f"/{self.stage}/"
        if not path.startswith(prefix):
            # Wrong or missing stage: API Gateway's answer when the SDK drops the stage
            # (docs/aws-facts.md#endpoint), which names neither stage: the log does.
            self._wrong_stage(method, path)
            return error(403, "ForbiddenException", "Forbidden")
        refusal = signature_refusal(authorization, query)
        if refusal is not None:
            return refusal
        collection, _, connection_id = path[len(prefix) :].partition("/")
        if (
            collection != "@connections"
            or not connection_id
            or "/" in connection_id
            or method not in ("POST", "GET", "DELETE")
        ):
            route = path.lstrip("/")
            return error(
                403,
                "ForbiddenException",
                f"No method found matching route {route} for http method {method}.",
            )
        if isinstance(body, int):
            return error(
                413,
                "PayloadTooLargeException",
                f"Message too large: {body} bytes, the limit is {MAX_MESSAGE_BYTES}",
            )
        connection = self.connections.get(connection_id)
        if connection is None or not connection.is_open:
            state = connection.state if connection is not None else None
            if state is None and connection_id in self.connecting:
                state = ConnectionState.CONNECTING
            return error(410, "GoneException", gone_message(connection_id, state))
        if method == "POST":
            return self._post(connection, body)
        if method == "GET":
            return HttpResponse(200, json.dumps(self._info(connection)).encode())
        connection.close(*DELETE_CLOSE)
        return HttpResponse(204)

    def _wrong_stage(self, method: str, path: str) -> None:
        """Log one line for a `@connections` call to a stage this emulator does not serve (or
        to none), the first time that stage is asked for; a path with no `@connections` in
        its place (a browser's `/favicon.ico`) is no management call, and not logged."""
        parts = path.split("/", 3)  # "", the stage (or "@connections"), "@connections", ...
        if self.log is None or "@connections" not in parts[1:3]:
            return
        asked = "" if parts[1] == "@connections" else parts[1]
        if asked in self._told or len(self._told) >= _MAX_STAGES_TOLD:
            return
        self._told.add(asked)
        named = f"stage '{asked}'" if asked else "no stage"
        self.log.error(
            f"wsgen local: 403 Forbidden for {method} {path}: the call names {named}, but this "
            f"emulator serves stage '{self.stage}'; send it to the endpoint ending in "
            f"/{self.stage} ({ENDPOINT_ENV} in handlers)"
            + (f", or run wsgen local --stage {asked}" if asked else "")
        )

    def _post(self, connection: Connection, data: bytes) -> HttpResponse:
        try:
            connection.send(data, text=is_text(data))
        except GoneError:
            return error(410, "GoneException", gone_message(connection.id, connection.state))
        except BufferFullError:
            # Nothing was queued, so botocore's retries of a 429 cannot duplicate the frame.
            message = "the WebSocket client side buffer is full"
            return error(429, "LimitExceededException", message)
        return HttpResponse(200)

    @staticmethod
    def _info(connection: Connection) -> dict[str, Any]:
        identity = {"sourceIp": connection.client.source_ip}
        if connection.client.user_agent is not None:
            identity["userAgent"] = connection.client.user_agent
        return {
            "connectedAt": iso_ms(connection.client.connected_at),
            "identity": identity,
            "lastActiveAt": iso_ms(connection.last_active_ms),
        }
