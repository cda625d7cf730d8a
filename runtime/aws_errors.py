"""What `runtime.aws` needs only when a request fails: AWS's error fields, and retries.

An AWS error's code and message are read from the response (`AwsResponse.error_code`,
`.error_message`); a failure is retried as AWS SDKs' "standard" mode does: throttling and
transient errors and network failures, with jittered exponential backoff, within a retry
quota per process. Apart from `runtime.aws` so that a cold start whose requests succeed (the
echo app's first `send()`) never compiles it.

Retries: https://docs.aws.amazon.com/sdkref/latest/guide/feature-retry-behavior.html
"""

from __future__ import annotations

import os
import time
from _thread import allocate_lock

TYPE_CHECKING = False
if TYPE_CHECKING:
    from .httpclient import Response

MAX_BACKOFF = 20.0
"""Seconds: the cap on one retry's jittered backoff (standard mode)."""

RETRY_QUOTA = 500
"""Retry tokens per process; a retry takes `RETRY_COST` (`NETWORK_RETRY_COST` after a network
failure), a success gives them back."""
RETRY_COST = 5
NETWORK_RETRY_COST = 10

THROTTLING_CODES = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "RequestThrottledException",
        "TooManyRequestsException",
        "ProvisionedThroughputExceededException",
        "TransactionInProgressException",
        "RequestLimitExceeded",
        "BandwidthLimitExceeded",
        "LimitExceededException",
        "RequestThrottled",
        "SlowDown",
        "PriorRequestNotComplete",
        "EC2ThrottledException",
    }
)
"""Error codes standard mode retries whatever the status (DynamoDB throttles with 400)."""

TRANSIENT_CODES = frozenset(
    {"RequestTimeout", "RequestTimeoutException", "PriorRequestNotComplete"}
)
TRANSIENT_STATUSES = frozenset({429, 500, 502, 503, 504})

_quota = RETRY_QUOTA
_quota_lock = allocate_lock()


def error_code(response: Response) -> str | None:
    """AWS's error code (`GoneException`) of a response that is not a success, from
    `x-amzn-ErrorType` or the JSON body's `__type` (`code`, `Code`)."""
    code: object = response.headers.get("x-amzn-errortype")
    if not code:
        parsed = _json_object(response)
        if parsed is not None:
            code = parsed.get("__type") or parsed.get("code") or parsed.get("Code")
    if not code:
        return None
    # "GoneException:http://internal.amazon.com/..." and "com.amazonaws.dynamodb.v20120810#X"
    return str(code).split(":", 1)[0].rsplit("#", 1)[-1] or None


def error_message(response: Response) -> str | None:
    """AWS's error message, when the body is a JSON object carrying one."""
    parsed = _json_object(response)
    message = None if parsed is None else parsed.get("message") or parsed.get("Message")
    return str(message) if message is not None else None


def _json_object(response: Response) -> dict[str, object] | None:
    if response.body[:1] != b"{":
        return None
    import json

    try:
        parsed = json.loads(response.body)
    except ValueError:
        return None
    return parsed if isinstance(parsed, dict) else None


def retryable(response: Response) -> bool:
    """Whether standard mode retries this answer (never a success, nor any other 4xx)."""
    if response.status in TRANSIENT_STATUSES:
        return True
    code = error_code(response) if not 200 <= response.status < 300 else None
    return code in THROTTLING_CODES or code in TRANSIENT_CODES


def take_quota(cost: int) -> bool:
    """Take `cost` tokens for a retry; False (and nothing taken) when too few are left."""
    global _quota
    with _quota_lock:
        if _quota < cost:
            return False
        _quota -= cost
        return True


def succeeded(retried_cost: int) -> None:
    """A success gives back what its own retry took, or one token while the quota is short."""
    global _quota
    if not retried_cost and _quota >= RETRY_QUOTA:
        return  # full: nothing to give, no lock to take
    with _quota_lock:
        _quota = min(RETRY_QUOTA, _quota + (retried_cost or 1))


def sleep_backoff(attempt: int) -> None:
    """Wait a random time up to `min(2 ** (attempt - 1), MAX_BACKOFF)` seconds."""
    jitter = int.from_bytes(os.urandom(2), "big") / 65536  # `random` is slow to import
    time.sleep(jitter * min(2.0 ** (attempt - 1), MAX_BACKOFF))


def reset() -> None:
    """A full quota again, as a new process has (`runtime.aws.reset`)."""
    global _quota
    with _quota_lock:
        _quota = RETRY_QUOTA
