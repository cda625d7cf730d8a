"""The test client: connects to an app in memory, through its real entry point `app(event, ctx)`.

Everything API Gateway would do happens here, in the caller's thread and before the call
returns: the authorizer and `$connect` on `connect()`, route selection and the error frames on
`send_*()`, `$disconnect` on `close()`. What the app sends (`send`, `broadcast`, two-way
replies) is queued on the receiving `Connection`.
"""

from __future__ import annotations

import base64
import threading
import time
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from runtime import App
from runtime.contract import CONNECT, DEFAULT, DISCONNECT, MAX_MESSAGE_BYTES, PREDEFINED_ROUTES
from runtime.routing import evaluate_selection_expression, parse_selection_expression

from . import events
from .authorizer import missing_identity_source, verdict
from .connection import (
    CLOSE_ABNORMAL,
    CLOSE_GOING_AWAY,
    CLOSE_TOO_BIG,
    DELETE_CLOSE,
    Connection,
    Frame,
)
from .events import Api, MultiMap, Peer
from .exceptions import (
    ConnectionRejected,
    HandshakeFailed,
)
from .management import GoneException, MemoryManagementClient

Values = Mapping[str, str | Sequence[str]]


class LambdaContext:
    """The few attributes of Lambda's context object that handlers tend to read."""

    def __init__(self, function_name: str, api: Api) -> None:
        self.function_name = function_name
        self.function_version = "$LATEST"
        self.invoked_function_arn = (
            f"arn:aws:lambda:{api.region}:123456789012:function:{function_name}"
        )
        self.memory_limit_in_mb = 128
        self.aws_request_id = str(uuid.uuid4())
        self.log_group_name = f"/aws/lambda/{function_name}"
        self.log_stream_name = "wsgen-testing"
        self._deadline = time.monotonic() + 29.0  # API Gateway's integration timeout

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


def _multi(values: Values | None) -> MultiMap:
    return {
        key: [value] if isinstance(value, str) else list(value)
        for key, value in (values or {}).items()
    }


class Client:
    """Connect to `app` in memory; see the module docstring and `connect()`.

    Creating the client routes `app.websocket_api` through an in-memory management client;
    `close()` (or leaving `with Client(app) as client:`) disconnects what is still open and
    puts the previous management client back.

    Args:
        raise_errors: re-raise an exception from a message or `$disconnect` handler out of the
            call that triggered it (after API Gateway's error frame is queued). With False,
            only the frame shows it. Either way it is appended to `errors`. A failure while
            connecting is always a `ConnectionRejected` with the exception as its cause.
        stage_variables: what identity sources `stageVariables.*` read.
    """

    def __init__(
        self,
        app: App,
        *,
        raise_errors: bool = True,
        stage: str = "test",
        region: str = "us-east-1",
        api_id: str = "wsgentest0",
        stage_variables: dict[str, str] | None = None,
    ) -> None:
        self.app = app
        self.raise_errors = raise_errors
        self.spec = app.spec()  # refuses an app without the WEBSOCKETS flag, as deploying would
        self.api = Api(api_id, stage, region)
        self.stage_variables = dict(stage_variables or {})
        self.errors: list[Exception] = []
        """Exceptions raised by the app's handlers and authorizer, in order."""
        self.events: list[dict[str, Any]] = []
        """Every event passed to the app's entry point, in order."""
        self.management = MemoryManagementClient(self)
        self._selection = parse_selection_expression(self.spec.route_selection_expression)
        self._connections: dict[str, Connection] = {}
        self._lock = threading.RLock()  # broadcast() posts from a thread pool
        self._depth = 0
        self._closing: list[str] = []
        self._draining = False
        # The runtime offers no getter for the installed client; read it to restore it.
        self._previous = app.websocket_api.use_client(self.management)
        self._closed = False

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Disconnect what is still open (1001 "Going away"); restore the management client."""
        if self._closed:
            return
        try:
            for connection in list(self._connections.values()):
                if connection.state == "open":
                    self._disconnect(connection, CLOSE_GOING_AWAY, "Going away")
        finally:
            self._closed = True
            self.app.websocket_api.use_client(self._previous)

    @property
    def connections(self) -> dict[str, Connection]:
        """The open connections by connection id."""
        return {cid: c for cid, c in self._connections.items() if c.state == "open"}

    def connect(
        self,
        *,
        headers: Values | None = None,
        query: Values | None = None,
        subprotocols: Sequence[str] = (),
        source_ip: str = "203.0.113.10",
    ) -> Connection:
        """Open a connection: identity sources, the authorizer, then `$connect`.

        A header or query value may be a list (a repeated parameter). A `User-Agent` header
        also sets `requestContext.identity.userAgent`.

        Raises:
            ConnectionRejected: API Gateway would answer with this HTTP status instead of 101.
            HandshakeFailed: `$connect` did not choose one of `subprotocols` (or chose one
                not offered); browsers fail the handshake then.
        """
        if self._closed:
            raise RuntimeError("this Client is closed; create a new one")
        header_map = _multi(headers)
        if subprotocols:
            header_map["Sec-WebSocket-Protocol"] = [", ".join(subprotocols)]
        user_agent = next(
            (v[-1] for k, v in header_map.items() if k.lower() == "user-agent" and v), None
        )
        peer = Peer(events.new_id(), events.now_ms(), source_ip, user_agent)
        connection = Connection(self, peer)
        self._connections[peer.connection_id] = connection  # posts now raise Gone: "connecting"
        header_map = events.handshake_headers(self.api, peer, header_map)
        query_map = _multi(query)
        try:
            if self.spec.authorizer is not None:
                self._authorize(peer, header_map, query_map)
            chosen = self._run_connect(peer, header_map, query_map)
        except ConnectionRejected:
            connection.state = "closed"
            del self._connections[peer.connection_id]
            raise
        connection.subprotocol = chosen
        connection.state = "open"
        if (chosen is None and subprotocols) or (chosen is not None and chosen not in subprotocols):
            self._disconnect(connection, CLOSE_ABNORMAL, "Connection closed abnormally")
            raise HandshakeFailed(list(subprotocols), chosen)
        return connection

    def _authorize(self, peer: Peer, headers: MultiMap, query: MultiMap) -> None:
        assert self.spec.authorizer is not None
        event = events.authorizer_event(self.api, peer, headers, query, self.stage_variables)
        missing = missing_identity_source(
            self.spec.authorizer.identity_sources,
            headers,
            query,
            self.stage_variables,
            event["requestContext"],
        )
        if missing is not None:
            raise ConnectionRejected(401, f"identity source {missing} is missing or empty")
        started = time.monotonic()
        output, error = self._invoke(event, expected=lambda e: str(e) == "Unauthorized")
        latency = int((time.monotonic() - started) * 1000)
        if error is not None and str(error) == "Unauthorized":
            raise ConnectionRejected(401, "the authorizer answered Unauthorized")
        if error is not None:
            reason = f"the authorizer raised {type(error).__name__}: {error}"
            raise ConnectionRejected(500, reason) from error
        outcome = verdict(output, event["methodArn"], latency)
        if outcome.authorizer is None:
            raise ConnectionRejected(outcome.status_code, outcome.reason)
        peer.authorizer = outcome.authorizer

    def _run_connect(self, peer: Peer, headers: MultiMap, query: MultiMap) -> str | None:
        """Run `$connect` (when the API has the route); return the chosen subprotocol."""
        if self.spec.route(CONNECT) is None:
            return None  # no $connect route: API Gateway accepts the connection
        response, error = self._invoke(events.connect_event(self.api, peer, headers, query))
        if error is not None:
            # A failed Lambda-proxy integration: 502, as `wsgen local` answers too.
            reason = f"the $connect handler raised {type(error).__name__}: {error}"
            raise ConnectionRejected(502, reason) from error
        if not isinstance(response, dict) or "statusCode" not in response:
            return None  # accepted, as Chalice and `wsgen local` do (AWS's behaviour is unknown)
        status = int(response["statusCode"])
        if not 200 <= status < 300:
            raise ConnectionRejected(status, f"the $connect handler returned {status}")
        answer = {k.lower(): v for k, v in (response.get("headers") or {}).items()}
        chosen = answer.get("sec-websocket-protocol")
        return chosen if isinstance(chosen, str) and chosen else None

    def _message(self, connection: Connection, data: bytes, binary: bool) -> None:
        start = len(self.errors)
        peer = connection.peer
        if len(data) > MAX_MESSAGE_BYTES:
            # API Gateway closes the connection on an oversized message (AWS-FACTS A3).
            self._disconnect(connection, CLOSE_TOO_BIG, "Message too big")
            self._raise_new_errors(start)
            return
        connection.last_active_at = events.now_ms()
        route_key = self._select(None if binary else data)
        if route_key is None:
            frame = events.error_frame("Forbidden", peer.connection_id, events.new_id())
            connection._deliver(frame)
            return
        body = base64.b64encode(data).decode() if binary else data.decode()
        event = events.message_event(self.api, peer, route_key, body, binary)
        response, error = self._invoke(event)
        if connection.state != "open":
            pass  # closed by its own handler: the reply and error frames have nowhere to go
        elif error is not None:
            request_id = event["requestContext"]["requestId"]
            connection._deliver(
                events.error_frame("Internal server error", peer.connection_id, request_id)
            )
        elif self._replies(route_key) and isinstance(response, dict) and "body" in response:
            reply = response["body"]
            connection._deliver(
                base64.b64decode(reply) if response.get("isBase64Encoded") else reply
            )
        self._raise_new_errors(start)

    def _select(self, data: bytes | None) -> str | None:
        """The route API Gateway picks: a matching custom route, else `$default`, else None.

        Binary frames (`data` None) go to `$default`, as in `wsgen local`: AWS does not say
        whether it evaluates the expression on them.
        """
        key = evaluate_selection_expression(self._selection, data)
        if key is not None and key not in PREDEFINED_ROUTES and self.spec.route(key) is not None:
            return key
        return DEFAULT if self.spec.route(DEFAULT) is not None else None

    def _replies(self, route_key: str) -> bool:
        route = self.spec.route(route_key)
        return route is not None and route.reply

    def _disconnect(self, connection: Connection, code: int, reason: str) -> None:
        """Close `connection` now and run `$disconnect` (when the API has the route)."""
        connection.state = "closed"
        connection.close_code = code
        connection.close_reason = reason
        self._connections.pop(connection.connection_id, None)
        if self.spec.route(DISCONNECT) is not None:
            self._invoke(events.disconnect_event(self.api, connection.peer, code, reason))

    def _invoke(self, event: dict[str, Any], expected: Any = None) -> tuple[Any, Exception | None]:
        """Call the entry point; an exception is recorded and returned, not raised."""
        self.events.append(event)
        self._depth += 1
        try:
            return self.app(event, LambdaContext(self.app.app_name, self.api)), None
        except Exception as exc:
            if expected is None or not expected(exc):
                self.errors.append(exc)
            return None, exc
        finally:
            self._depth -= 1
            if self._depth == 0:
                self._run_server_closes()

    def _run_server_closes(self) -> None:
        """Disconnect what `delete_connection` closed, once no handler is running any more."""
        if self._draining:
            return
        self._draining = True
        try:
            while self._closing:
                connection = self._connections.get(self._closing.pop(0))
                if connection is not None:
                    self._disconnect(connection, *DELETE_CLOSE)
        finally:
            self._draining = False

    def _raise_new_errors(self, start: int) -> None:
        if self.raise_errors and len(self.errors) > start:
            raise self.errors[start]

    # The in-memory management client's side.

    def _live(self, connection_id: str) -> Connection:
        connection = self._connections.get(connection_id)
        if connection is None or connection.state != "open":
            raise GoneException(f"connection {connection_id} is gone")  # 410, as on AWS
        return connection

    def _post(self, connection_id: str, data: Frame) -> None:
        """Deliver what `send()` posted: a str as a text frame, bytes as a binary one."""
        with self._lock:
            self._live(connection_id)._deliver(data)

    def _server_close(self, connection_id: str) -> None:
        start = len(self.errors)
        with self._lock:
            self._live(connection_id).state = "closing"
            self._closing.append(connection_id)
        if self._depth == 0:  # called from the test itself, not from a handler
            self._run_server_closes()
            self._raise_new_errors(start)
