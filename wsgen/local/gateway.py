"""What API Gateway does around the app: authorize and run `$connect`, route messages, error
frames, two-way replies, and `$disconnect`.

Routing: https://docs.aws.amazon.com/apigateway/latest/developerguide/websocket-api-develop-routes.html
`$connect`: https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-websocket-api-route-keys-connect-disconnect.html
"""

from __future__ import annotations

import base64
import contextlib
import fnmatch
import json
import time
from dataclasses import dataclass
from typing import Any

from runtime import App
from runtime.contract import CONNECT, DEFAULT, DISCONNECT, PREDEFINED_ROUTES, AppSpec
from runtime.routing import Part, evaluate_selection_expression, parse_selection_expression

from .connection import Connection, GoneError, Message
from .events import (
    ClientInfo,
    UpgradeRequest,
    authorizer_context,
    authorizer_event,
    connect_event,
    disconnect_event,
    message_event,
    method_arn,
    new_id,
    now_ms,
)
from .invoker import Invoker, Outcome
from .log import EventLog

CONNECT_FAILED_STATUS = 502
"""Handshake status when the `$connect` function raises: API Gateway's Lambda-proxy failure."""


@dataclass
class Verdict:
    """How the handshake ends: `status` 2xx accepts (with `subprotocol`), anything else rejects."""

    status: int
    subprotocol: str | None = None
    body: bytes = b""

    @property
    def accepted(self) -> bool:
        return 200 <= self.status < 300


def _gateway_error(status: int, message: str) -> Verdict:
    return Verdict(status, body=json.dumps({"message": message}).encode())


class Gateway:
    """The app as API Gateway sees it: its spec, its selection expression, its entry point."""

    def __init__(self, app: App, spec: AppSpec, invoker: Invoker, log: EventLog, region: str):
        self.invoker = invoker
        self.log = log
        self.region = region
        self.app = app
        self.spec = spec
        self._selection: list[Part] = parse_selection_expression(spec.route_selection_expression)

    def swap(self, app: App, spec: AppSpec) -> None:
        """Serve a reloaded app from the next event on."""
        self._selection = parse_selection_expression(spec.route_selection_expression)
        self.app, self.spec = app, spec

    async def _invoke(self, event: dict[str, Any]) -> Outcome:
        return await self.invoker.invoke(self.app, self.app.app_name, event)

    # $connect

    async def open(self, client: ClientInfo, request: UpgradeRequest) -> Verdict:
        """Run the authorizer (if any) and `$connect`; the handshake's verdict."""
        start = time.perf_counter()
        if self.spec.authorizer is not None:
            refused = await self._authorize(client, request)
            if refused is not None:
                self.log.event(CONNECT, client.connection_id, f"{refused.status} refused", start)
                return refused
        if self.spec.route(CONNECT) is None:
            self.log.event(CONNECT, client.connection_id, "200 accepted (no $connect)", start)
            return Verdict(200)
        outcome = await self._invoke(connect_event(client, request, now_ms()))
        verdict = _connect_verdict(outcome)
        if outcome.error is not None:
            what = f"{verdict.status} rejected: {type(outcome.error).__name__}: {outcome.error}"
        else:
            what = f"{verdict.status} {'accepted' if verdict.accepted else 'rejected'}"
        self.log.event(CONNECT, client.connection_id, what, start)
        return verdict

    async def _authorize(self, client: ClientInfo, request: UpgradeRequest) -> Verdict | None:
        """None when allowed (and `client.authorizer` set), else the refusal."""
        assert self.spec.authorizer is not None
        if not all(_has_source(request, s) for s in self.spec.authorizer.identity_sources):
            return _gateway_error(401, "Unauthorized")  # the authorizer does not even run
        start = time.perf_counter()
        outcome = await self._invoke(authorizer_event(client, request, self.region))
        latency = round((time.perf_counter() - start) * 1000)
        if outcome.error is not None:
            if str(outcome.error) == "Unauthorized":
                return _gateway_error(401, "Unauthorized")
            return _gateway_error(500, "Internal server error")
        policy = outcome.result
        arn = method_arn(self.region, client.stage)
        if not isinstance(policy, dict) or "policyDocument" not in policy:
            return _gateway_error(500, "Internal server error")
        if not _allows(policy, arn):
            return _gateway_error(403, "Forbidden")
        client.authorizer = authorizer_context(policy, latency)
        return None

    # Messages

    def select_route(self, message: Message) -> str | None:
        """The route a message goes to: an exact custom key, else `$default`, else None."""
        key = evaluate_selection_expression(self._selection, message.data) if message.text else None
        if key is not None and key not in PREDEFINED_ROUTES and self.spec.route(key) is not None:
            return key
        return DEFAULT if self.spec.route(DEFAULT) is not None else None

    async def message(self, conn: Connection, message: Message) -> None:
        start = time.perf_counter()
        route_key = self.select_route(message)
        if route_key is None:
            # No match and no $default: API Gateway answers with an error frame.
            _reply_json(conn, "Forbidden", new_id())
            self.log.event("(no route)", conn.id, "Forbidden frame", start)
            return
        if message.text:
            body, is_base64 = message.data.decode("utf-8"), False
        else:  # binary frames: base64, flagged (AWS's own behaviour is undocumented)
            body, is_base64 = base64.b64encode(message.data).decode(), True
        event = message_event(conn.client, route_key, body, is_base64, message.received_ms)
        outcome = await self._invoke(event)
        if outcome.error is not None:
            _reply_json(conn, "Internal server error", event["requestContext"]["requestId"])
            error = f"{type(outcome.error).__name__}: {outcome.error}"
            self.log.event(route_key, conn.id, f"error ({error})", start)
            return
        route = self.spec.route(route_key)
        replied = ""
        if route is not None and route.reply and isinstance(outcome.result, dict):
            frame = _reply_frame(outcome.result)
            if frame is not None:
                _send(conn, frame)
                replied = f", replied {len(frame)} bytes"
        self.log.event(route_key, conn.id, f"ok{replied}", start)

    # $disconnect

    async def close(self, client: ClientInfo, code: int, reason: str) -> None:
        start = time.perf_counter()
        if self.spec.route(DISCONNECT) is None:
            self.log.event(DISCONNECT, client.connection_id, f"{code} (no $disconnect)", start)
            return
        outcome = await self._invoke(disconnect_event(client, code, reason))
        what = f"{code} {reason!r}".rstrip()
        if outcome.error is not None:
            what += f", error ({type(outcome.error).__name__}: {outcome.error})"
        self.log.event(DISCONNECT, client.connection_id, what, start)


def _connect_verdict(outcome: Outcome) -> Verdict:
    if outcome.error is not None:
        return _gateway_error(CONNECT_FAILED_STATUS, "Internal server error")
    result = outcome.result
    # A result without statusCode is accepted, as Chalice does; AWS's behaviour is unknown.
    if not isinstance(result, dict) or "statusCode" not in result:
        return Verdict(200)
    try:
        status = int(result["statusCode"])
    except (TypeError, ValueError):
        return _gateway_error(CONNECT_FAILED_STATUS, "Internal server error")
    headers = result.get("headers") or {}
    protocol = next(
        (str(v) for k, v in headers.items() if k.lower() == "sec-websocket-protocol"), None
    )
    # API Gateway forwards no body and no header but Sec-WebSocket-Protocol.
    return Verdict(status, subprotocol=protocol if 200 <= status < 300 else None)


def _has_source(request: UpgradeRequest, source: str) -> bool:
    """Whether the client supplied an identity source (missing ones mean 401)."""
    kind, _, name = source.rpartition(".")
    if kind == "route.request.header":
        return bool(request.header(name))
    if kind == "route.request.querystring":
        return any(k == name and v for k, v in request.query)
    # The emulator has no stage variables; context.* variables are always there.
    return kind != "stageVariables"


def _allows(policy: dict[str, Any], method_arn: str) -> bool:
    """An explicit Allow of execute-api:Invoke on the ARN and no matching Deny."""
    statements = policy.get("policyDocument", {}).get("Statement", [])
    if isinstance(statements, dict):
        statements = [statements]
    allowed = False
    for statement in statements:
        actions = statement.get("Action", [])
        resources = statement.get("Resource", [])
        actions = [actions] if isinstance(actions, str) else actions
        resources = [resources] if isinstance(resources, str) else resources
        if not any(fnmatch.fnmatchcase("execute-api:Invoke", a) for a in actions):
            continue
        if not any(fnmatch.fnmatchcase(method_arn, r) for r in resources):
            continue
        if statement.get("Effect") == "Deny":
            return False
        allowed = allowed or statement.get("Effect") == "Allow"
    return allowed


def _reply_frame(result: dict[str, Any]) -> bytes | str | None:
    body = result.get("body")
    if body is None:
        return None
    if result.get("isBase64Encoded"):
        return base64.b64decode(body)
    return str(body)


def _send(conn: Connection, frame: bytes | str) -> None:
    data = frame.encode() if isinstance(frame, str) else frame
    with contextlib.suppress(GoneError):  # the client left meanwhile: the reply is dropped
        conn.send(data, text=is_text(data))


def is_text(data: bytes) -> bool:
    """Text frame for valid UTF-8, binary otherwise (AWS's choice here is undocumented)."""
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _reply_json(conn: Connection, message: str, request_id: str) -> None:
    frame = json.dumps({"message": message, "connectionId": conn.id, "requestId": request_id})
    _send(conn, frame)
