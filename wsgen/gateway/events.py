"""The Lambda events API Gateway sends for a WebSocket connection, built as it builds them.

Shapes follow the real captures (tests/events/README.md, docs/aws-facts.md#events): headers
and query string on CONNECT only (the query maps only when the URL has parameters); a fixed
small header set on DISCONNECT; `body` and `messageId` on MESSAGE only; `identity.userAgent` only
when the client sent a User-Agent; `disconnectStatusCode`/`disconnectReason` on DISCONNECT
only; `requestContext.authorizer` on every event once an authorizer allowed the connection.
Keys are in the captures' order, for anyone diffing events.
https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-websocket-api-mapping-template-reference.html

What differs between the emulator and the test client is a parameter: the `Api` (id,
region, stage, what the front end reports in `X-Forwarded-Proto`/`-Port`, stage
variables) and the `Peer` (connection id, address, the domain name the client used).
"""

from __future__ import annotations

import binascii
import random
import time
from dataclasses import dataclass, field
from typing import Any

from runtime.aws import dns_suffix
from runtime.contract import CONNECT, DISCONNECT, EVENT_CONNECT, EVENT_DISCONNECT, EVENT_MESSAGE
from runtime.events import RawEvent, RawIdentity, RawRequestContext

from ..arns import arn

ACCOUNT_ID = "123456789012"
"""The account in ARNs: AWS's documentation example account."""

Pairs = list[tuple[str, str]]
"""Header or query parameters in the order sent; a name may repeat."""

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

# Hop-by-hop headers: the CONNECT event has none of them. The authorizer's input has API
# Gateway's own values of them, whatever the client sent (the captured input).
_HOP_BY_HOP = frozenset({"connection", "upgrade", "content-length"})
_AUTHORIZER_HOP_BY_HOP: Pairs = [
    ("Connection", "upgrade"),
    ("content-length", "0"),
    ("Upgrade", "websocket"),
]


_random = random.Random()
"""The emulator's ids: unique, not secret. Its own generator, seeded from the OS once, so an
app's `random.seed()` cannot repeat them; `os.urandom` is a system call per id, several per
message (tens of microseconds each on a busy machine)."""


def new_id() -> str:
    """An id like API Gateway's connection, request and message ids: 16 chars ending in `=`.

    URL-safe base64 of 11 bytes, so it may contain `_` and `-` (docs/aws-facts.md#ids).
    """
    # base64.urlsafe_b64encode's result, without its two Python calls (two ids a message)
    return binascii.b2a_base64(_random.randbytes(11), newline=False).translate(_URLSAFE).decode()


_URLSAFE = bytes.maketrans(b"+/", b"-_")


_UUID_VERSION_4 = (0x4000 << 64) | (0x8000 << 48)
_UUID_CLEAR = ~((0xF000 << 64) | (0xC000 << 48))


def new_uuid() -> str:
    """A random (version 4) UUID, as Lambda's request ids and API Gateway's `x-amzn-RequestId`.

    `uuid.UUID(int=..., version=4)`'s text, formatted here: several per message.
    """
    h = f"{_random.getrandbits(128) & _UUID_CLEAR | _UUID_VERSION_4:032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def now_ms() -> int:
    return time.time_ns() // 1_000_000


_clf: tuple[int, str] = (-1, "")
"""The last second `clf_time` formatted, and its text: every event of a second shares it."""


def clf_time(epoch_ms: int) -> str:
    """`11/Nov/2024:11:35:24 +0000`: the Common Log Format time of `requestTime`, any locale."""
    global _clf
    second = epoch_ms // 1000
    if _clf[0] != second:
        t = time.gmtime(second)
        text = f"{t.tm_mday:02d}/{_MONTHS[t.tm_mon - 1]}/{t.tm_year}:"
        _clf = (second, text + time.strftime("%H:%M:%S", t) + " +0000")
    return _clf[1]


def trace_id() -> str:
    """An X-Ray trace header value, as API Gateway adds to the CONNECT headers."""
    return f"Root=1-{int(time.time()):08x}-{_random.randbytes(12).hex()}"


@dataclass
class Api:
    """The API and stage the events come from, and what its front end reports."""

    api_id: str
    region: str
    stage: str
    forwarded_proto: str = "https"
    forwarded_port: int = 443
    stage_variables: dict[str, str] = field(default_factory=dict)

    @property
    def domain_name(self) -> str:
        """The API's own domain: `{apiId}.execute-api.{region}.amazonaws.com` (`.com.cn` in
        the China regions, `runtime.aws.dns_suffix`)."""
        return f"{self.api_id}.execute-api.{self.region}.{dns_suffix(self.region)}"

    @property
    def connect_arn(self) -> str:
        """The `$connect` method ARN an authorizer's policy must allow."""
        return arn("execute-api", self.region, ACCOUNT_ID, f"{self.api_id}/{self.stage}/$connect")


@dataclass
class Peer:
    """The client side of one connection, as API Gateway sees it."""

    connection_id: str
    connected_at: int
    source_ip: str
    domain_name: str
    """`requestContext.domainName` and the DISCONNECT `Host`: the host the client connected to."""
    user_agent: str | None = None
    authorizer: dict[str, Any] | None = None
    """`requestContext.authorizer`, set once an authorizer allowed the connection."""
    identity: dict[str, str] = field(default_factory=dict)
    """`requestContext.identity`'s fields beyond the address: the IAM caller's, the API key's
    (set at `$connect`, on every event of the connection)."""


@dataclass
class UpgradeRequest:
    """The client's WebSocket upgrade request: its headers and query parameters."""

    headers: Pairs
    query: Pairs = field(default_factory=list)
    target: str = "/"
    """The request-target as received (`/stage?query`): what a SigV4 signature covers."""
    method: str = "GET"

    def header(self, name: str) -> str | None:
        """The last value of a header, any case (what the single-value map holds)."""
        folded = name.lower()
        return next((v for k, v in reversed(self.headers) if k.lower() == folded), None)

    def query_param(self, name: str) -> str | None:
        """The last value of a query parameter (names are case-sensitive)."""
        return next((v for k, v in reversed(self.query) if k == name), None)


def request_context(
    api: Api, peer: Peer, route_key: str, event_type: str, epoch_ms: int | None = None
) -> RawRequestContext:
    """The `requestContext` every event carries; `epoch_ms` defaults to now."""
    at = now_ms() if epoch_ms is None else epoch_ms
    request_id = new_id()
    identity: RawIdentity = {"sourceIp": peer.source_ip}
    if peer.user_agent is not None:
        identity = {"userAgent": peer.user_agent, "sourceIp": peer.source_ip}
    if peer.identity:
        identity = {**peer.identity, **identity}  # type: ignore[typeddict-item]
    context: RawRequestContext = {
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
        "domainName": peer.domain_name,
        "connectionId": peer.connection_id,
        "apiId": api.api_id,
    }
    if peer.authorizer is not None:
        context["authorizer"] = dict(peer.authorizer)
    return context


def single_and_multi(pairs: Pairs) -> tuple[dict[str, str], dict[str, list[str]]]:
    """The single-value map (the last value wins, as in API Gateway's) and the multi-value one."""
    single: dict[str, str] = {}
    multi: dict[str, list[str]] = {}
    for key, value in pairs:
        single[key] = value
        multi.setdefault(key, []).append(value)
    return single, multi


def _sorted(pairs: Pairs) -> Pairs:
    return sorted(pairs, key=lambda kv: kv[0].lower())


def connect_headers(api: Api, peer: Peer, request: UpgradeRequest) -> Pairs:
    """The client's headers, less hop-by-hop ones, plus those API Gateway's front end adds.

    A header the client sent itself is kept instead of the added one.
    """
    headers = [(k, v) for k, v in request.headers if k.lower() not in _HOP_BY_HOP]
    added = {
        "X-Amzn-Trace-Id": trace_id(),
        "X-Forwarded-For": peer.source_ip,
        "X-Forwarded-Port": str(api.forwarded_port),
        "X-Forwarded-Proto": api.forwarded_proto,
    }
    present = {k.lower() for k, _ in headers}
    headers += [(k, v) for k, v in added.items() if k.lower() not in present]
    return _sorted(headers)


def connect_event(
    api: Api, peer: Peer, request: UpgradeRequest, epoch_ms: int | None = None
) -> RawEvent:
    """The `$connect` event: the client's headers and, when the URL has parameters, its query."""
    headers, multi_headers = single_and_multi(connect_headers(api, peer, request))
    context = request_context(api, peer, CONNECT, EVENT_CONNECT, epoch_ms)
    if not request.query:
        return {
            "headers": headers,
            "multiValueHeaders": multi_headers,
            "requestContext": context,
            "isBase64Encoded": False,
        }
    query, multi_query = single_and_multi(request.query)
    return {
        "headers": headers,
        "multiValueHeaders": multi_headers,
        "queryStringParameters": query,
        "multiValueQueryStringParameters": multi_query,
        "requestContext": context,
        "isBase64Encoded": False,
    }


def authorizer_event(api: Api, peer: Peer, request: UpgradeRequest) -> RawEvent:
    """The REQUEST authorizer's input: the CONNECT headers plus the hop-by-hop ones, the query
    (always, maybe empty), the stage variables, a CONNECT request context and `methodArn`.

    https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-websocket-api-lambda-auth.html
    """
    headers, multi_headers = single_and_multi(
        _sorted(connect_headers(api, peer, request) + _AUTHORIZER_HOP_BY_HOP)
    )
    query, multi_query = single_and_multi(request.query)
    return {
        "type": "REQUEST",
        "methodArn": api.connect_arn,
        "headers": headers,
        "multiValueHeaders": multi_headers,
        "queryStringParameters": query,
        "multiValueQueryStringParameters": multi_query,
        "stageVariables": dict(api.stage_variables),
        "requestContext": request_context(api, peer, CONNECT, EVENT_CONNECT),
    }


def message_event(
    api: Api,
    peer: Peer,
    route_key: str,
    body: str,
    is_base64_encoded: bool,
    epoch_ms: int | None = None,
) -> RawEvent:
    """A MESSAGE event: no headers, a `messageId` (second, as captured), the payload as `body`."""
    context = request_context(api, peer, route_key, EVENT_MESSAGE, epoch_ms)
    context = {"routeKey": route_key, "messageId": new_id(), **context}
    return {"requestContext": context, "body": body, "isBase64Encoded": is_base64_encoded}


def disconnect_event(api: Api, peer: Peer, code: int, reason: str) -> RawEvent:
    """The `$disconnect` event: the fixed header set and the close frame's code and reason."""
    headers = {"Host": peer.domain_name, "x-api-key": "", "X-Forwarded-For": "", "x-restapi": ""}
    common = request_context(api, peer, DISCONNECT, EVENT_DISCONNECT)
    context: RawRequestContext = {  # in the captures' order: the first keys fix the positions
        "routeKey": DISCONNECT,
        "disconnectStatusCode": code,
        "eventType": EVENT_DISCONNECT,
        "extendedRequestId": "",
        "requestTime": "",
        "messageDirection": "",
        "disconnectReason": reason,
        **common,
    }
    return {
        "headers": headers,
        "multiValueHeaders": {k: [v] for k, v in headers.items()},
        "requestContext": context,
        "isBase64Encoded": False,
    }
