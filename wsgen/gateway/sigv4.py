"""Signature Version 4 as API Gateway checks it for `execute-api`: its shape, then its value.

The shape (`shape_refusal`) is what the emulator's `@connections` checks: an `Authorization`
header of the AWS4-HMAC-SHA256 scheme scoped to `execute-api`, or a presigned query. The
value (`verify`) is what an IAM-authorized `$connect` needs: the canonical request rebuilt
from the request as received, signed with the secret of the access key it names, for the
API's region and `X-Amz-Date`'s day, at a time within five minutes of now (a presigned URL:
not over five minutes ahead, and before its `X-Amz-Expires`, 1 s to seven days, runs out).
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-create-signed-request.html
(docs/aws-facts.md#access-control). What API Gateway answers each mistake with is its REST
API wording (403 and the `x-amzn-ErrorType`), which WebSocket APIs share for IAM.
"""

from __future__ import annotations

import calendar
import hashlib
import hmac
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import quote, unquote

from .events import Pairs

ALGORITHM = "AWS4-HMAC-SHA256"
SERVICE = "execute-api"
MAX_SKEW_S = 5 * 60
"""How far a header-signed request's `X-Amz-Date` may be from now (and a presigned URL's
ahead of now)."""
MAX_EXPIRES_S = 7 * 24 * 60 * 60
"""The longest `X-Amz-Expires` a presigned URL may ask for (seven days); the least is 1."""
UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()
_TIME_FORMAT = "%Y%m%dT%H%M%SZ"

MISSING_TOKEN = "Missing Authentication Token"
MISMATCH = (
    "The request signature we calculated does not match the signature you provided. Check "
    "your AWS Secret Access Key and signing method. Consult the service documentation for "
    "details."
)
HOST_UNSIGNED = "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization."
UNKNOWN_KEY = "The security token included in the request is invalid."
_QUERY_FIELDS = (
    "X-Amz-Algorithm",
    "X-Amz-Credential",
    "X-Amz-Date",
    "X-Amz-Expires",
    "X-Amz-SignedHeaders",
)


@dataclass(frozen=True)
class Refusal:
    """API Gateway's 403 for a request whose signature it does not take."""

    error_type: str
    """The `x-amzn-ErrorType` (`MissingAuthenticationTokenException`, ...)."""
    message: str


def _fields(authorization: str) -> tuple[str, dict[str, str]]:
    scheme, _, rest = authorization.strip().partition(" ")
    fields: dict[str, str] = {}
    for part in rest.split(","):  # every management call: a loop, not generators
        name, _, value = part.partition("=")
        name = name.strip()
        if name:
            fields[name] = value.strip()
    return scheme, fields


def _wrong_service(credential: str) -> Refusal | None:
    scope = credential.split("/")
    if len(scope) != 5 or scope[3] != SERVICE or scope[4] != "aws4_request":
        return Refusal(
            "InvalidSignatureException",
            f"Credential should be scoped to correct service: '{SERVICE}'.",
        )
    return None


_WELL_FORMED = re.compile(
    r"AWS4-HMAC-SHA256 Credential=[^/,=\s]+/[^/,=\s]+/[^/,=\s]+/execute-api/aws4_request,"
    r" ?SignedHeaders=[^,=\s]+, ?Signature=[0-9a-f]+"
)
"""The header as SDKs write it, scoped to execute-api: what `shape_refusal` takes anyway,
told in one match (every management call asks) rather than by taking it apart."""


def shape_refusal(authorization: str | None, query: str = "") -> Refusal | None:
    """The refusal of a request that is not SigV4-signed for execute-api at all, else None.

    A presigned URL (`X-Amz-Signature` in the query) counts as signed.
    """
    if authorization and _WELL_FORMED.fullmatch(authorization):
        return None
    if not authorization:
        if "X-Amz-Signature=" in query:
            return None
        return Refusal("MissingAuthenticationTokenException", MISSING_TOKEN)
    scheme, fields = _fields(authorization)
    missing = [
        name for name in ("Credential", "SignedHeaders", "Signature") if not fields.get(name)
    ]
    if scheme != ALGORITHM or missing:
        what = f"the {ALGORITHM} scheme" if scheme != ALGORITHM else ", ".join(missing)
        return Refusal("IncompleteSignatureException", f"Authorization header requires {what}")
    return _wrong_service(fields["Credential"])


def _query_pairs(query: str) -> list[tuple[str, str]]:
    return [
        (unquote(name), unquote(value))
        for name, _, value in (pair.partition("=") for pair in query.split("&") if pair)
    ]


def _canonical_queries(query: str) -> list[str]:
    """The canonical query string, each name and value URI-encoded (the specification's
    form), and the form SDKs such as botocore sign a URL's query in: as written, sorted."""
    raw = [pair.partition("=") for pair in query.split("&") if pair]
    written = sorted((name, value) for name, _, value in raw if name != "X-Amz-Signature")
    encoded = sorted(
        (quote(unquote(name), safe="-_.~"), quote(unquote(value), safe="-_.~"))
        for name, value in written
    )
    forms = ["&".join(f"{name}={value}" for name, value in pairs) for pairs in (encoded, written)]
    return list(dict.fromkeys(forms))


def _header_values(headers: Pairs, name: str) -> str | None:
    values = [" ".join(v.split()) for k, v in headers if k.lower() == name]
    return ",".join(values) if values else None


def _out_of_time(
    amz_date: str, signed_at: int, expires: int | None, current: float
) -> Refusal | None:
    """The refusal of a signature dated over five minutes ahead of now, or past its validity:
    five minutes after `X-Amz-Date` for a header, `X-Amz-Expires` for a presigned URL."""
    stamp = time.strftime(_TIME_FORMAT, time.gmtime(current))
    if signed_at > current + MAX_SKEW_S:
        limit = time.strftime(_TIME_FORMAT, time.gmtime(current + MAX_SKEW_S))
        return Refusal(
            "InvalidSignatureException",
            f"Signature not yet current: {amz_date} is still later than {limit} ({stamp} + 5 min.)",
        )
    if expires is None and current - signed_at > MAX_SKEW_S:
        limit = time.strftime(_TIME_FORMAT, time.gmtime(current - MAX_SKEW_S))
        return Refusal(
            "InvalidSignatureException",
            f"Signature expired: {amz_date} is now earlier than {limit} ({stamp} - 5 min.)",
        )
    if expires is not None and current > signed_at + expires:
        until = time.strftime(_TIME_FORMAT, time.gmtime(signed_at + expires))
        return Refusal(
            "InvalidSignatureException",
            f"Signature expired: the presigned URL signed at {amz_date} with X-Amz-Expires "
            f"{expires} expired at {until} (now {stamp})",
        )
    return None


def _signing_key(secret: str, date: str, region: str) -> bytes:
    key = ("AWS4" + secret).encode()
    for part in (date, region, SERVICE, "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return key


def verify(
    method: str,
    target: str,
    headers: Pairs,
    secrets: Mapping[str, str],
    region: str,
    body: bytes = b"",
    now: float | None = None,
) -> Refusal | str:
    """Check the request's SigV4 signature; the access key that signed it, or the refusal.

    Args:
        target: the request-target as received (`/stage?query`).
        secrets: the secret access key of each access key id the emulator knows.
        region: the API's region, the only one its signatures may be scoped to.
    """
    path, _, query = target.partition("?")
    authorization = _header_values(headers, "authorization")
    refusal = shape_refusal(authorization, query)
    if refusal is not None:
        return refusal
    pairs = _query_pairs(query)
    expires: int | None = None
    if authorization:
        _, fields = _fields(authorization)
        credential, signature = fields["Credential"], fields["Signature"]
        signed = fields["SignedHeaders"]
        amz_date = _header_values(headers, "x-amz-date") or ""
        if not amz_date:
            return Refusal(
                "IncompleteSignatureException",
                "Authorization header requires existence of a 'X-Amz-Date' header.",
            )
    else:
        given = dict(pairs)
        missing = [name for name in (*_QUERY_FIELDS, "X-Amz-Signature") if not given.get(name)]
        if missing or given["X-Amz-Algorithm"] != ALGORITHM:
            return Refusal(
                "IncompleteSignatureException",
                f"AWS query-string parameters must include {', '.join(_QUERY_FIELDS)} and "
                f"X-Amz-Signature, with X-Amz-Algorithm {ALGORITHM}",
            )
        credential, signature = given["X-Amz-Credential"], given["X-Amz-Signature"]
        signed, amz_date = given["X-Amz-SignedHeaders"], given["X-Amz-Date"]
        if (wrong := _wrong_service(credential)) is not None:
            return wrong
        text = given["X-Amz-Expires"]
        expires = int(text) if text.isdigit() else 0
        if not 1 <= expires <= MAX_EXPIRES_S:
            return Refusal(
                "IncompleteSignatureException",
                f"X-Amz-Expires must be a whole number of seconds from 1 to {MAX_EXPIRES_S}"
                f" (seven days), not '{text}'",
            )
    access_key, date, scope_region, _, _ = credential.split("/")
    secret = secrets.get(access_key)
    if secret is None:
        return Refusal("UnrecognizedClientException", UNKNOWN_KEY)
    if scope_region != region:
        return Refusal(
            "InvalidSignatureException",
            f"Credential should be scoped to a valid region, not '{scope_region}'. ",
        )
    try:
        signed_at = calendar.timegm(time.strptime(amz_date, _TIME_FORMAT))
    except ValueError:
        return Refusal(
            "IncompleteSignatureException", f"Date must be in ISO-8601 format: {amz_date}"
        )
    if date != amz_date[:8]:
        return Refusal(
            "InvalidSignatureException",
            "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date "
            f"from HTTP: '{date}' != '{amz_date[:8]}', from '{amz_date}'.",
        )
    current = time.time() if now is None else now
    if (refusal := _out_of_time(amz_date, signed_at, expires, current)) is not None:
        return refusal
    names = signed.split(";")
    if "host" not in names:
        # Else the signature would hold for any host: AWS requires it signed.
        return Refusal("IncompleteSignatureException", HOST_UNSIGNED)
    canonical_headers = []
    for name in names:
        value = _header_values(headers, name)
        if value is None:
            return Refusal("InvalidSignatureException", MISMATCH)
        canonical_headers.append(f"{name}:{value}\n")
    content = _header_values(headers, "x-amz-content-sha256")
    payloads = [content] if content else [hashlib.sha256(body).hexdigest()]
    if expires is not None and not content:
        payloads.append(UNSIGNED_PAYLOAD)  # presigned: either form, as SDKs differ
    key = _signing_key(secret, date, region)
    forms = [(q, payload) for q in _canonical_queries(query) for payload in payloads]
    for canonical_query, payload in forms:
        canonical = "\n".join(
            [
                method.upper(),
                quote(path or "/", safe="/~"),
                canonical_query,
                "".join(canonical_headers),
                signed,
                payload,
            ]
        )
        to_sign = "\n".join(
            [
                ALGORITHM,
                amz_date,
                f"{date}/{region}/{SERVICE}/aws4_request",
                hashlib.sha256(canonical.encode()).hexdigest(),
            ]
        )
        expected = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
        if hmac.compare_digest(expected, signature):
            return access_key
    return Refusal("InvalidSignatureException", MISMATCH)
