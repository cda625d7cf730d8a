"""Calling AWS from the runtime without boto3: credentials, SigV4 signing, pooled requests.

boto3 costs a cold start about 365 ms and 31 MiB before its first call; this costs `_socket`
and the interpreter's builtin SHA-256 (and `ssl`, with `socket`, for https).

An API of AWS's JSON protocol (DynamoDB, SQS, SSM...) is called with `call_aws_json`, the
public seam (`runtime.call_aws_json`, docs/guide.md), in `runtime.aws_json` (which an app
that only sends never compiles). Under it, three functions of this module:

    creds = aws.credentials()          # None: neither Lambda's variables nor a container
                                       # endpoint; fall back to boto3
    response = aws.request(
        "POST", "https://dynamodb.us-east-1.amazonaws.com/",
        body=payload, service="dynamodb", credentials=creds,
        headers={"Content-Type": "application/x-amz-json-1.0",
                 "X-Amz-Target": "DynamoDB_20120810.GetItem"},
    )
    response.status, response.error_code, response.request_id, response.json()

`request` signs every attempt with SigV4 (`sign`), keeps connections alive in one pool per
process, and retries as AWS SDKs' "standard" mode does: throttling and transient errors and
network failures, up to 3 attempts, with jittered exponential backoff and a retry quota.
It returns the last response whatever its status; reading AWS's error is the caller's job.
What only a failure needs (reading AWS's error, the retry rules and quota) is in
`runtime.aws_errors`, loaded by the first failure: a cold start's first send never compiles it.

SigV4: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-create-signed-request.html
Retries: https://docs.aws.amazon.com/sdkref/latest/guide/feature-retry-behavior.html
"""

from __future__ import annotations

import os
import time
from _thread import allocate_lock

from .httpclient import DEFAULT_TIMEOUT, Pool, Response

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from typing import Any

__all__ = [
    "AwsResponse",
    "Credentials",
    "credentials",
    "dns_suffix",
    "environment_region",
    "quote",
    "region_of",
    "request",
    "sign",
]

MAX_ATTEMPTS = 3
"""Attempts per request in AWS's standard retry mode (the first one included)."""

_EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
_CONTAINER_HOST = "169.254.170.2"
_REFRESH_BEFORE = 300.0
"""Seconds before their expiry that container credentials are fetched again."""


class Credentials:
    """An access key, its secret and the session token (None for long-term keys)."""

    __slots__ = ("access_key", "expires_at", "secret_key", "token")

    def __init__(
        self,
        access_key: str,
        secret_key: str,
        token: str | None = None,
        expires_at: float | None = None,
    ) -> None:
        self.access_key = access_key
        self.secret_key = secret_key
        self.token = token or None
        self.expires_at = expires_at
        """Epoch seconds after which AWS refuses them (None: not known to expire)."""

    def __repr__(self) -> str:
        return f"Credentials(access_key={self.access_key!r}, token={'...' if self.token else None})"


class AwsResponse(Response):
    """An AWS API's response: status, headers (lowercase names), body, and AWS's error fields."""

    __slots__ = ()

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    @property
    def request_id(self) -> str | None:
        """AWS's id for the request (`x-amzn-RequestId`), for support cases and logs."""
        h = self.headers
        return h.get("x-amzn-requestid") or h.get("x-amz-request-id") or h.get("x-amz-apigw-id")

    @property
    def error_code(self) -> str | None:
        """AWS's error code (`GoneException`), from `x-amzn-ErrorType` or the body's `__type`."""
        if self.ok:
            return None
        from .aws_errors import error_code  # only for a failure: cold-start time

        return error_code(self)

    @property
    def error_message(self) -> str | None:
        """AWS's error message, when the body is a JSON object carrying one."""
        if self.ok:
            return None
        from .aws_errors import error_message

        return error_message(self)

    def json(self) -> Any:
        """The body parsed as JSON (`json` is imported on first use: cold-start time)."""
        import json

        return json.loads(self.body)


# Credentials -----------------------------------------------------------------------------

_container_cache: Credentials | None = None
_environment_cache: Credentials | None = None
"""The environment's keys as last read: the same object while they are the same, so a
client made with them knows them at once (`management._Direct.serves`)."""
_credentials_lock = allocate_lock()


def credentials() -> Credentials | None:
    """Lambda's credentials: its environment, else the container credentials endpoint.

    Lambda sets `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY` and `AWS_SESSION_TOKEN`; SnapStart
    functions and containers get `AWS_CONTAINER_CREDENTIALS_FULL_URI` (or `..._RELATIVE_URI`)
    and an authorization token instead, and the endpoint's answer is cached until five
    minutes before it expires. None when neither is there (a developer's machine with a
    profile, say): the caller then falls back to boto3's credential chain.

    Raises:
        CredentialsError: the container endpoint is configured but refused or failed.
    """
    global _environment_cache
    env = os.environ
    access_key = env.get("AWS_ACCESS_KEY_ID")
    secret_key = env.get("AWS_SECRET_ACCESS_KEY")
    if access_key and secret_key:
        token = env.get("AWS_SESSION_TOKEN") or None
        last = _environment_cache
        if (
            last is None
            or last.access_key != access_key
            or last.secret_key != secret_key
            or last.token != token
        ):
            last = _environment_cache = Credentials(access_key, secret_key, token)
        return last
    if "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI" in env:
        url = f"http://{_CONTAINER_HOST}{env['AWS_CONTAINER_CREDENTIALS_RELATIVE_URI']}"
    elif "AWS_CONTAINER_CREDENTIALS_FULL_URI" in env:
        url = env["AWS_CONTAINER_CREDENTIALS_FULL_URI"]
    else:
        return None
    global _container_cache
    with _credentials_lock:
        cached = _container_cache
        if cached is None or _expiring(cached):
            from .container_credentials import fetch  # only SnapStart and containers

            cached = _container_cache = fetch(url)
        return cached


def _expiring(creds: Credentials) -> bool:
    return creds.expires_at is not None and time.time() > creds.expires_at - _REFRESH_BEFORE


# Signing ---------------------------------------------------------------------------------

_UNRESERVED = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~")
_keys: dict[tuple[str, str, str, str], tuple[str, Any, Any]] = {}


_UNRESERVED_CHARS = bytes(sorted(_UNRESERVED)).decode()
_tables: dict[str, list[str]] = {}
"""`safe` -> what each byte becomes: itself, or `%XX` (several quotes per request)."""


def quote(text: str, safe: str = "") -> str:
    """Percent-encode `text` as SigV4 and AWS's REST paths do: all but `A-Za-z0-9-_.~`, `safe`."""
    if text.isascii() and not text.strip(_UNRESERVED_CHARS + safe):
        return text  # nothing to encode
    table = _tables.get(safe)
    if table is None:
        keep = _UNRESERVED.union(safe.encode())
        table = _tables[safe] = [chr(b) if b in keep else f"%{b:02X}" for b in range(256)]
    return "".join(map(table.__getitem__, text.encode()))


def sign(
    method: str,
    url: str,
    headers: Mapping[str, str],
    body: bytes,
    *,
    service: str,
    region: str,
    credentials: Credentials,
    now: float | None = None,
) -> dict[str, str]:
    """`headers` plus `X-Amz-Date`, `X-Amz-Security-Token` and a SigV4 `Authorization`.

    Every header given is signed, with `host` (from the URL, as the request will send it).
    `url`'s path must be what goes on the wire, already percent-encoded; the canonical form
    encodes it once more, as every service but S3 expects. `now` (epoch seconds) is for tests.
    """
    return _sign(method, _parts(url), headers, body, service, region, credentials, now)


def _sign(
    method: str,
    parts: _Parts,
    headers: Mapping[str, str],
    body: bytes,
    service: str,
    region: str,
    credentials: Credentials,
    now: float | None = None,
) -> dict[str, str]:
    """`sign` for a URL split already (`request` splits it once for every attempt)."""
    sha256 = _sha256()
    stamp = _amz_date(time.time() if now is None else now)
    signed = (
        {name: value for name, value in headers.items() if name.lower() not in _REPLACED_HEADERS}
        if headers
        else {}
    )
    signed["X-Amz-Date"] = stamp
    if credentials.token:
        signed["X-Amz-Security-Token"] = credentials.token
    canonical: dict[str, str] = {"host": parts.host_header}
    for name, value in signed.items():
        lname = name.lower()
        if lname in _UNSIGNED_HEADERS:
            continue
        value = " ".join(value.split())
        canonical[lname] = f"{canonical[lname]},{value}" if lname in canonical else value
    names = sorted(canonical)
    signed_headers = ";".join(names)
    lines = []
    for name in names:
        lines.append(f"{name}:{canonical[name]}\n")
    canonical_request = "\n".join(
        (
            method.upper(),
            parts.canonical_path,
            parts.canonical_query,
            "".join(lines),
            signed_headers,
            _payload_hash(body, sha256),
        )
    )
    scope, inner, outer = _signing_key(credentials.secret_key, stamp[:8], region, service)
    # HMAC(key, string to sign) from the key's padded states, worked out once per day
    string_to_sign = f"AWS4-HMAC-SHA256\n{stamp}\n{scope}\n" + (
        sha256(canonical_request.encode()).hexdigest()
    )
    digest = inner.copy()
    digest.update(string_to_sign.encode())
    final = outer.copy()
    final.update(digest.digest())
    signed["Authorization"] = (
        f"AWS4-HMAC-SHA256 Credential={credentials.access_key}/{scope}, "
        f"SignedHeaders={signed_headers}, Signature={final.hexdigest()}"
    )
    return signed


_REPLACED_HEADERS = ("authorization", "x-amz-date", "x-amz-security-token")
"""Headers `sign` makes itself: a caller's are dropped."""


# botocore's list: headers that proxies and clients may change on the way
_UNSIGNED_HEADERS = frozenset(
    {
        "baggage",
        "connection",
        "expect",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "te",
        "traceparent",
        "tracestate",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "user-agent",
        "x-amzn-trace-id",
    }
)


class _Parts:
    """What a request's URL gives it: where to connect, its Host and its canonical forms."""

    __slots__ = (
        "canonical_path",
        "canonical_query",
        "host",
        "host_header",
        "port",
        "scheme",
        "target",
    )

    def __init__(self, endpoint: _Endpoint, tail: str, query: str) -> None:
        """`tail`: the path after `endpoint`'s; `query`: empty, or `?` and the query."""
        self.scheme, self.host, self.port = endpoint.scheme, endpoint.host, endpoint.port
        self.host_header = endpoint.host_header
        self.target = endpoint.prefix + tail + query
        self.canonical_path = endpoint.canonical_prefix + quote(tail, safe="/")
        self.canonical_query = _canonical_query(query[1:])


class _Endpoint:
    """A URL up to its path's last `/`: the same for every send to a management API's
    connections, whose id is the last segment."""

    __slots__ = ("canonical_prefix", "host", "host_header", "port", "prefix", "scheme")

    def __init__(self, scheme: str, host: str, port: int, prefix: str) -> None:
        self.scheme, self.host, self.port, self.prefix = scheme, host, port, prefix
        self.host_header = _host_header(scheme, host, port)
        self.canonical_prefix = quote(_normalize_path(prefix), safe="/")


_endpoints: dict[str, _Endpoint] = {}
"""URL up to its path's last `/` -> its endpoint (a connection's id is never a key)."""
_MAX_ENDPOINTS = 64


def _parts(url: str) -> _Parts:
    base, sep, query = url.partition("?")
    cut = base.rfind("/") + 1
    tail = base[cut:]
    if cut <= base.find("://") + 3 or tail in (".", "..") or "#" in url:
        # No path, a dot segment to resolve with the rest, or a fragment: rare, split whole.
        scheme, host, port, target = split_url(url)
        path, sep, query = target.partition("?")
        return _Parts(_Endpoint(scheme, host, port, path), "", sep + query)
    key = base[:cut]
    endpoint = _endpoints.get(key)
    if endpoint is None:
        endpoint = _Endpoint(*split_url(key))
        if len(_endpoints) >= _MAX_ENDPOINTS:
            _endpoints.clear()
        _endpoints[key] = endpoint
    return _Parts(endpoint, tail, sep + query)


_stamp: tuple[int, str] = (-1, "")


def _amz_date(now: float) -> str:
    """`X-Amz-Date` for epoch seconds `now` (`20261201T143302Z`), made once a second."""
    global _stamp
    second = int(now)
    cached = _stamp
    if cached[0] != second:
        cached = _stamp = (second, time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(second)))
    return cached[1]


def _signing_key(secret: str, date: str, region: str, service: str) -> tuple[str, Any, Any]:
    """The credential scope of a day's requests and its signing key's HMAC states: SHA-256
    already fed the key's inner pad, and its outer pad (`_hmac_sha256` from there), made
    once a day per secret, region and service."""
    cache_key = (secret, date, region, service)
    found = _keys.get(cache_key)
    if found is None:
        key = f"AWS4{secret}".encode()
        for part in (date, region, service, "aws4_request"):
            key = _hmac_sha256(key, part.encode())
        sha256 = _sha256()
        ipad, opad = _pads or _make_pads()
        key = key.ljust(64, b"\0")
        scope = f"{date}/{region}/{service}/aws4_request"
        found = (scope, sha256(key.translate(ipad)), sha256(key.translate(opad)))
        if len(_keys) > 16:
            _keys.clear()
        _keys[cache_key] = found
    return found


_sha256_new: Any = None
_pads: tuple[bytes, bytes] | None = None
"""HMAC's inner and outer pad as translation tables (each byte XOR 0x36, XOR 0x5C), made by
the first HMAC (`_hmac_sha256`), not at import."""


def _sha256() -> Any:
    """SHA-256's constructor: the interpreter's builtin one (`_sha2` from Python 3.12,
    `_sha256` before), else `hashlib`'s. The builtin spares the first request loading
    OpenSSL's bindings (`_hashlib`, `hashlib`, `hmac`: about 6 ms of CPU on a 2-core machine);
    on the few hundred bytes signing hashes, it costs about a microsecond more a request."""
    global _sha256_new
    if _sha256_new is None:
        for name in ("_sha2", "_sha256"):
            try:
                _sha256_new = __import__(name).sha256
                break
            except ImportError:
                continue
        else:
            from hashlib import sha256

            _sha256_new = sha256
    return _sha256_new


_BUILTIN_HASH_MAX = 1024
"""Bytes of body up to which the builtin SHA-256 hashes the payload; OpenSSL's is several
times faster on more (SHA extensions: 0.12 ms for 128 KiB against 0.58 ms here)."""


def _payload_hash(body: bytes, sha256: Any) -> str:
    if not body:
        return _EMPTY_SHA256
    if len(body) <= _BUILTIN_HASH_MAX:
        return sha256(body).hexdigest()  # type: ignore[no-any-return]
    from hashlib import sha256 as openssl_sha256  # a large message: loaded once, then fast

    return openssl_sha256(body).hexdigest()


def _hmac_sha256(key: bytes, message: bytes) -> bytes:
    """HMAC-SHA256 (RFC 2104, as `hmac.digest(key, message, "sha256")`) on `_sha256`."""
    sha256 = _sha256()
    if len(key) > 64:
        key = sha256(key).digest()
    key = key.ljust(64, b"\0")
    ipad, opad = _pads or _make_pads()
    inner = sha256(key.translate(ipad))
    inner.update(message)
    return sha256(key.translate(opad) + inner.digest()).digest()  # type: ignore[no-any-return]


def _make_pads() -> tuple[bytes, bytes]:
    global _pads
    _pads = bytes(b ^ 0x36 for b in range(256)), bytes(b ^ 0x5C for b in range(256))
    return _pads


def _normalize_path(path: str) -> str:
    """RFC 3986 dot-segment removal, and no empty segments, as AWS canonicalises paths."""
    if not path:
        return "/"
    out: list[str] = []
    for segment in path.split("/"):
        if segment == "..":
            if out:
                out.pop()
        elif segment and segment != ".":
            out.append(segment)
    first = "/" if path.startswith("/") else ""
    last = "/" if path.endswith("/") and out else ""
    return first + "/".join(out) + last


def _canonical_query(query: str) -> str:
    if not query:
        return ""
    pairs = sorted(pair.partition("=")[::2] for pair in query.split("&"))
    return "&".join(f"{key}={value}" for key, value in pairs)


# Requests --------------------------------------------------------------------------------

_pool = Pool()


def request(
    method: str,
    url: str,
    *,
    service: str,
    credentials: Credentials | Callable[[], Credentials],
    body: bytes = b"",
    headers: Mapping[str, str] | None = None,
    region: str | None = None,
    max_attempts: int = MAX_ATTEMPTS,
    timeout: float = DEFAULT_TIMEOUT,
) -> AwsResponse:
    """Send one signed request to an AWS API; the last attempt's response, any status.

    `credentials` may be a function, called before each attempt (so refreshed container
    credentials are picked up). `region` defaults to the one in the URL's host
    (`region_of`), then `AWS_REGION`, `AWS_DEFAULT_REGION` and us-east-1.

    Retried (standard mode): 429, 500, 502, 503, 504, the throttling and transient error
    codes (`aws_errors.THROTTLING_CODES`, whatever the status) and network failures; never
    any other 4xx. Each retry waits a random time up to `min(2 ** (attempt - 1), 20)` seconds.

    Raises:
        OSError: the network failed on the last attempt (`ConnectionError`, `TimeoutError`...).
    """
    parts = _parts(url)
    scheme, host, port = parts.scheme, parts.host, parts.port
    region = region or _region_of_host(host) or environment_region() or "us-east-1"
    extra = dict(headers or {})
    attempt = 1
    retried_cost = 0
    while True:
        creds = credentials() if callable(credentials) else credentials
        signed = _sign(method, parts, extra, body, service, region, creds)
        head = _head(method, parts.target, parts.host_header, signed, body)
        try:
            raw = _pool.request(scheme, host, port, head, body, method, timeout)
        except OSError:
            retries = _load_errors()
            cost = retries.NETWORK_RETRY_COST
            if attempt >= max_attempts or not retries.take_quota(cost):
                raise
        else:
            response = AwsResponse(raw.status, raw.reason, raw.headers, raw.body)
            if 200 <= raw.status < 300:
                if _errors is not None:  # else no retry ever took from the quota
                    _errors.succeeded(retried_cost)
                return response
            retries = _load_errors()
            if not retries.retryable(response) or attempt >= max_attempts:
                return response
            cost = retries.RETRY_COST
            if not retries.take_quota(cost):
                return response
        retried_cost = cost
        retries.sleep_backoff(attempt)
        attempt += 1


_errors: Any = None
"""`runtime.aws_errors`, once a request failed (until then, the retry quota is full)."""


def _load_errors() -> Any:
    global _errors
    from . import aws_errors  # only after a failure: cold-start time

    _errors = aws_errors
    return aws_errors


def unsigned_get(url: str, headers: Mapping[str, str], timeout: float) -> Response:
    """One GET over the pool, neither signed nor retried (the container credentials
    endpoint's, `runtime.container_credentials`).

    Raises:
        OSError: the network failed.
    """
    scheme, host, port, target = split_url(url)
    head = _head("GET", target, _host_header(scheme, host, port), headers, b"")
    return _pool.request(scheme, host, port, head, b"", "GET", timeout)


def region_of(url: str) -> str | None:
    """The region in an AWS endpoint's host (`{api}.execute-api.eu-west-1.amazonaws.com`).

    None for other hosts: a custom domain, `wsgen local`, a global endpoint.
    """
    return _region_of_host(_parts(url).host)


def _region_of_host(host: str) -> str | None:
    for suffix in (".amazonaws.com.cn", ".amazonaws.com"):
        if host.endswith(suffix):
            labels = host[: -len(suffix)].split(".")
            return labels[-1] if len(labels) >= 2 and labels[-1] else None
    return None


def reset() -> None:
    """Forget pooled connections and cached credentials, as a new process starts.

    The tests' seam between cases; Lambda never calls it (nothing here forks).
    """
    global _container_cache, _environment_cache
    _pool.clear()
    with _credentials_lock:
        _container_cache = _environment_cache = None
    if _errors is not None:
        _errors.reset()


def forget_server(url: str) -> None:
    """Close the idle pooled connections to `url`'s scheme, host and port: a server that
    stopped (`wsgen local`'s, at its stop), whose connections would otherwise stay open
    until the next request there, or the process's end."""
    scheme, host, port, _ = split_url(url)
    _pool.clear((scheme, host, port))


def environment_region() -> str | None:
    return os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or None


def dns_suffix(region: str) -> str:
    """The DNS suffix of `region`'s partition: `amazonaws.com.cn` in China (`cn-*`), else
    `amazonaws.com` (GovCloud's too), as `${AWS::URLSuffix}` is in a template there."""
    return "amazonaws.com.cn" if region.startswith("cn-") else "amazonaws.com"


def split_url(url: str) -> tuple[str, str, int, str]:
    """(scheme, lowercase host, port, path and query) of an http(s) URL."""
    scheme, sep, rest = url.partition("://")
    scheme = scheme.lower()
    if not sep or scheme not in ("http", "https"):
        raise ValueError(f"not an http(s) URL: {url!r}")
    authority, slash, target = rest.partition("/")
    target = slash + target.split("#", 1)[0] or "/"
    authority = authority.rpartition("@")[2]
    if authority.startswith("["):
        host, _, port_text = authority[1:].partition("]")
        port_text = port_text[1:]
    else:
        host, _, port_text = authority.partition(":")
    port = int(port_text) if port_text else (443 if scheme == "https" else 80)
    return scheme, host.lower(), port, target


def _host_header(scheme: str, host: str, port: int) -> str:
    name = f"[{host}]" if ":" in host else host
    return name if port == (443 if scheme == "https" else 80) else f"{name}:{port}"


_BODY_METHODS = ("POST", "PUT", "PATCH")


def _head(method: str, target: str, host: str, headers: Mapping[str, str], body: bytes) -> bytes:
    lines = [f"{method} {target} HTTP/1.1", f"Host: {host}"]
    for name, value in headers.items():
        lines.append(f"{name}: {value}")
    if body or method in _BODY_METHODS:
        lines.append(f"Content-Length: {len(body)}")
    lines.append("Accept-Encoding: identity")
    lines.append("\r\n")
    return "\r\n".join(lines).encode("latin-1")
