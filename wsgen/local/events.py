"""The Lambda events API Gateway sends for a WebSocket connection, built as it builds them.

Shapes follow the real captures (see tests/events/README.md): headers and query string on
CONNECT only, a fixed small header set on DISCONNECT, `body` and `messageId` on MESSAGE only,
`identity.userAgent` only when the client sent one, `disconnectStatusCode`/`disconnectReason`
on DISCONNECT only, `requestContext.authorizer` on every event once an authorizer allowed the
connection. https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-websocket-api-mapping-template-reference.html
"""

from __future__ import annotations

import base64
import os
import time
from dataclasses import dataclass, field
from typing import Any

from runtime.contract import CONNECT, DISCONNECT, EVENT_CONNECT, EVENT_DISCONNECT, EVENT_MESSAGE

API_ID = "wsgenlocal"
"""The emulated API's id: ten lowercase characters, like a real one."""
ACCOUNT_ID = "123456789012"

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

# Client headers API Gateway does not pass on in the CONNECT event (hop-by-hop ones).
_HOP_BY_HOP = frozenset({"connection", "upgrade", "content-length"})


def new_id() -> str:
    """A 16-character id in API Gateway's format: URL-safe base64 of 11 bytes, ending in `=`."""
    return base64.urlsafe_b64encode(os.urandom(11)).decode()


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def clf_time(epoch_ms: int) -> str:
    """`11/Nov/2024:11:35:24 +0000`: the Common Log Format time of `requestTime`."""
    t = time.gmtime(epoch_ms / 1000)
    return (
        f"{t.tm_mday:02d}/{_MONTHS[t.tm_mon - 1]}/{t.tm_year}:{time.strftime('%H:%M:%S', t)} +0000"
    )


def trace_id() -> str:
    """An X-Ray trace header value, as API Gateway adds to the CONNECT headers."""
    return f"Root=1-{int(time.time()):08x}-{os.urandom(12).hex()}"


@dataclass
class ClientInfo:
    """What API Gateway knows about a connection from its upgrade request."""

    connection_id: str
    connected_at: int
    source_ip: str
    domain_name: str
    stage: str
    user_agent: str | None = None
    authorizer: dict[str, Any] | None = None
    """`requestContext.authorizer`, set once an authorizer allowed the connection."""


@dataclass
class UpgradeRequest:
    """The client's WebSocket upgrade request, as the CONNECT event reports it."""

    headers: list[tuple[str, str]]
    query: list[tuple[str, str]] = field(default_factory=list)
    has_query: bool = False
    server_port: int = 0

    def header(self, name: str) -> str | None:
        folded = name.lower()
        return next((v for k, v in self.headers if k.lower() == folded), None)


def method_arn(region: str, stage: str) -> str:
    """The `$connect` method ARN an authorizer's policy must allow."""
    return f"arn:aws:execute-api:{region}:{ACCOUNT_ID}:{API_ID}/{stage}/$connect"


def _request_context(
    client: ClientInfo, route_key: str, event_type: str, epoch_ms: int
) -> dict[str, Any]:
    request_id = new_id()
    identity: dict[str, str] = {"sourceIp": client.source_ip}
    if client.user_agent is not None:
        identity = {"userAgent": client.user_agent, "sourceIp": client.source_ip}
    context: dict[str, Any] = {
        "routeKey": route_key,
        "eventType": event_type,
        "extendedRequestId": request_id,
        "requestTime": clf_time(epoch_ms),
        "messageDirection": "IN",
        "stage": client.stage,
        "connectedAt": client.connected_at,
        "requestTimeEpoch": epoch_ms,
        "identity": identity,
        "requestId": request_id,
        "domainName": client.domain_name,
        "connectionId": client.connection_id,
        "apiId": API_ID,
    }
    if client.authorizer is not None:
        context["authorizer"] = dict(client.authorizer)
    return context


def _single_and_multi(pairs: list[tuple[str, str]]) -> tuple[dict[str, str], dict[str, list[str]]]:
    single: dict[str, str] = {}
    multi: dict[str, list[str]] = {}
    for key, value in pairs:
        single[key] = value  # the last value wins, as in API Gateway's single-value maps
        multi.setdefault(key, []).append(value)
    return single, multi


def connect_headers(client: ClientInfo, request: UpgradeRequest) -> list[tuple[str, str]]:
    """The client's headers plus the ones API Gateway's front end adds."""
    headers = [(k, v) for k, v in request.headers if k.lower() not in _HOP_BY_HOP]
    added = {
        "X-Amzn-Trace-Id": trace_id(),
        "X-Forwarded-For": client.source_ip,
        "X-Forwarded-Port": str(request.server_port),
        "X-Forwarded-Proto": "http",
    }
    present = {k.lower() for k, _ in headers}
    headers += [(k, v) for k, v in added.items() if k.lower() not in present]
    return sorted(headers, key=lambda kv: kv[0].lower())


def connect_event(client: ClientInfo, request: UpgradeRequest, epoch_ms: int) -> dict[str, Any]:
    """The `$connect` event: the client's headers and, when the URL has one, its query."""
    headers, multi_headers = _single_and_multi(connect_headers(client, request))
    event: dict[str, Any] = {"headers": headers, "multiValueHeaders": multi_headers}
    if request.has_query:
        query, multi_query = _single_and_multi(request.query)
        event["queryStringParameters"] = query
        event["multiValueQueryStringParameters"] = multi_query
    event["requestContext"] = _request_context(client, CONNECT, EVENT_CONNECT, epoch_ms)
    event["isBase64Encoded"] = False
    return event


def authorizer_event(client: ClientInfo, request: UpgradeRequest, region: str) -> dict[str, Any]:
    """The REQUEST authorizer's input: every upgrade header, the query, the CONNECT context.

    Unlike the CONNECT event it keeps `Connection`/`Upgrade` and always has the query maps
    and `stageVariables`, as in the captured input.
    """
    added = connect_headers(client, request)
    present = {k.lower() for k, _ in added}
    everything = added + [(k, v) for k, v in request.headers if k.lower() not in present]
    headers, multi_headers = _single_and_multi(sorted(everything, key=lambda kv: kv[0].lower()))
    query, multi_query = _single_and_multi(request.query)
    context = _request_context(client, CONNECT, EVENT_CONNECT, now_ms())
    context.pop("authorizer", None)
    return {
        "type": "REQUEST",
        "methodArn": method_arn(region, client.stage),
        "headers": headers,
        "multiValueHeaders": multi_headers,
        "queryStringParameters": query,
        "multiValueQueryStringParameters": multi_query,
        "stageVariables": {},
        "requestContext": context,
    }


def message_event(
    client: ClientInfo, route_key: str, body: str, is_base64: bool, epoch_ms: int
) -> dict[str, Any]:
    """A MESSAGE event: no headers, a `messageId`, the frame payload as `body`."""
    context = _request_context(client, route_key, EVENT_MESSAGE, epoch_ms)
    context = {"routeKey": route_key, "messageId": new_id(), **context}
    return {"requestContext": context, "body": body, "isBase64Encoded": is_base64}


def disconnect_event(client: ClientInfo, status_code: int, reason: str) -> dict[str, Any]:
    """The `$disconnect` event: the fixed header set and the close frame's code and reason."""
    headers = {"Host": client.domain_name, "x-api-key": "", "X-Forwarded-For": "", "x-restapi": ""}
    context = _request_context(client, DISCONNECT, EVENT_DISCONNECT, now_ms())
    context = {
        "routeKey": DISCONNECT,
        "disconnectStatusCode": status_code,
        **context,
        "disconnectReason": reason,
    }
    return {
        "headers": headers,
        "multiValueHeaders": {k: [v] for k, v in headers.items()},
        "requestContext": context,
        "isBase64Encoded": False,
    }


def authorizer_context(policy: dict[str, Any], latency_ms: int) -> dict[str, Any]:
    """`requestContext.authorizer` from an Allow policy: context values as strings."""
    out: dict[str, Any] = {}
    for key, value in (policy.get("context") or {}).items():
        if isinstance(value, bool):
            out[key] = "true" if value else "false"
        else:
            out[key] = str(value)
    out["principalId"] = str(policy.get("principalId", ""))
    out["integrationLatency"] = latency_ms
    return out
