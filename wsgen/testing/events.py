"""API Gateway WebSocket events, built in the shape of the real captures (tests/events/*.json).

Which keys appear on which event type follows `../shared/AWS-FACTS.md` (A1): headers and query
string on CONNECT only, `body` and `messageId` on MESSAGE only, the fixed small header set and
`disconnectStatusCode`/`disconnectReason` on DISCONNECT, `identity.userAgent` only when the
client sent a User-Agent, `requestContext.authorizer` on every event after an authorizer.
"""

from __future__ import annotations

import base64
import os
import time
from datetime import UTC, datetime
from typing import Any

from runtime.contract import (
    CONNECT,
    DISCONNECT,
    EVENT_CONNECT,
    EVENT_DISCONNECT,
    EVENT_MESSAGE,
)

MultiMap = dict[str, list[str]]

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def new_id() -> str:
    """An id like API Gateway's connection, request and message ids: 16 chars ending in '='."""
    return base64.urlsafe_b64encode(os.urandom(11)).decode()


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def clf_time(ms: int) -> str:
    """`24/Nov/2024:12:35:31 +0000`, independent of the locale."""
    t = datetime.fromtimestamp(ms / 1000, tz=UTC)
    return f"{t.day:02d}/{_MONTHS[t.month - 1]}/{t.year}:{t:%H:%M:%S} +0000"


class Api:
    """The pretend API the events come from: id, stage and region."""

    def __init__(self, api_id: str, stage: str, region: str) -> None:
        self.api_id = api_id
        self.stage = stage
        self.region = region

    @property
    def domain_name(self) -> str:
        return f"{self.api_id}.execute-api.{self.region}.amazonaws.com"

    @property
    def connect_arn(self) -> str:
        return f"arn:aws:execute-api:{self.region}:123456789012:{self.api_id}/{self.stage}/$connect"


class Peer:
    """The client side of one connection, as API Gateway sees it."""

    def __init__(
        self,
        connection_id: str,
        connected_at: int,
        source_ip: str,
        user_agent: str | None,
    ) -> None:
        self.connection_id = connection_id
        self.connected_at = connected_at
        self.source_ip = source_ip
        self.user_agent = user_agent
        self.authorizer: dict[str, Any] | None = None
        """`requestContext.authorizer` after an allow: principalId, context, latency."""


def handshake_headers(api: Api, peer: Peer, extra: MultiMap) -> MultiMap:
    """The upgrade request's headers: what a typical client sends, then the test's own."""
    trace = f"Root=1-{now_ms() // 1000:08x}-{os.urandom(12).hex()}"
    headers: MultiMap = {
        "Host": [api.domain_name],
        "Sec-WebSocket-Extensions": ["permessage-deflate; client_max_window_bits"],
        "Sec-WebSocket-Key": [base64.b64encode(os.urandom(16)).decode()],
        "Sec-WebSocket-Version": ["13"],
        "X-Amzn-Trace-Id": [trace],
        "X-Forwarded-For": [peer.source_ip],
        "X-Forwarded-Port": ["443"],
        "X-Forwarded-Proto": ["https"],
    }
    for name, values in extra.items():
        for existing in [key for key in headers if key.lower() == name.lower()]:
            del headers[existing]
        headers[name] = values
    return dict(sorted(headers.items(), key=lambda item: item[0].lower()))


def _request_context(
    api: Api, peer: Peer, route_key: str, event_type: str, **extra: Any
) -> dict[str, Any]:
    at = now_ms()
    request_id = new_id()
    identity = {"sourceIp": peer.source_ip}
    if peer.user_agent is not None:
        identity["userAgent"] = peer.user_agent
    context: dict[str, Any] = {
        "routeKey": route_key,
        "eventType": event_type,
        "extendedRequestId": request_id,
        "requestTime": clf_time(at),
        "messageDirection": "IN",
        "stage": api.stage,
        "connectedAt": peer.connected_at,
        "requestTimeEpoch": at,
        "identity": identity,
        "requestId": request_id,
        "domainName": api.domain_name,
        "connectionId": peer.connection_id,
        "apiId": api.api_id,
        **extra,
    }
    if peer.authorizer is not None:
        context["authorizer"] = dict(peer.authorizer)
    return context


def _single(multi: MultiMap) -> dict[str, str]:
    """The single-value view API Gateway sends beside a multi-value map: the last value."""
    return {key: values[-1] for key, values in multi.items() if values}


def connect_event(api: Api, peer: Peer, headers: MultiMap, query: MultiMap) -> dict[str, Any]:
    event: dict[str, Any] = {"headers": _single(headers), "multiValueHeaders": headers}
    if query:
        event["queryStringParameters"] = _single(query)
        event["multiValueQueryStringParameters"] = query
    event["requestContext"] = _request_context(api, peer, CONNECT, EVENT_CONNECT)
    event["isBase64Encoded"] = False
    return event


def authorizer_event(
    api: Api, peer: Peer, headers: MultiMap, query: MultiMap, stage_variables: dict[str, str]
) -> dict[str, Any]:
    """A REQUEST authorizer's input; the upgrade's hop-by-hop headers are still in it."""
    upgrade = {"Connection": ["upgrade"], "content-length": ["0"], "Upgrade": ["websocket"]}
    all_headers = dict(sorted({**headers, **upgrade}.items(), key=lambda kv: kv[0].lower()))
    return {
        "type": "REQUEST",
        "methodArn": api.connect_arn,
        "headers": _single(all_headers),
        "multiValueHeaders": all_headers,
        "queryStringParameters": _single(query),
        "multiValueQueryStringParameters": query,
        "stageVariables": dict(stage_variables),
        "requestContext": _request_context(api, peer, CONNECT, EVENT_CONNECT),
    }


def message_event(
    api: Api, peer: Peer, route_key: str, body: str, is_base64_encoded: bool
) -> dict[str, Any]:
    context = _request_context(api, peer, route_key, EVENT_MESSAGE, messageId=new_id())
    # messageId sits second in the captures; keep the order for anyone diffing events.
    ordered = {"routeKey": route_key, "messageId": context.pop("messageId"), **context}
    return {"requestContext": ordered, "body": body, "isBase64Encoded": is_base64_encoded}


def disconnect_event(api: Api, peer: Peer, code: int, reason: str) -> dict[str, Any]:
    headers: MultiMap = {
        "Host": [api.domain_name],
        "x-api-key": [""],
        "X-Forwarded-For": [""],
        "x-restapi": [""],
    }
    context = _request_context(
        api,
        peer,
        DISCONNECT,
        EVENT_DISCONNECT,
        disconnectStatusCode=code,
        disconnectReason=reason,
    )
    return {
        "headers": _single(headers),
        "multiValueHeaders": headers,
        "requestContext": context,
        "isBase64Encoded": False,
    }


def error_frame(message: str, connection_id: str, request_id: str) -> str:
    """API Gateway's own error frame, byte for byte as clients see it (AWS-FACTS A3)."""
    return (
        f'{{"message": "{message}", "connectionId":"{connection_id}", "requestId":"{request_id}"}}'
    )
