"""API Gateway's throttling: token buckets per route and for new connections, sans I/O.

docs/aws-facts.md#quotas: a stage's `ThrottlingBurstLimit` is how many requests a route
takes at once, `ThrottlingRateLimit` how many per second it takes in the long run (a token
bucket); `[routes."KEY"]` in wsgen.toml overrides the stage's default for one route. Only what
wsgen.toml sets is enforced (the account-level defaults, 10,000 per second with a burst of
5,000, stand in for an unset half). New connections are limited to 500 per second per
account and region.

A throttled message gets the error frame `{"message": "Too Many Requests", ...}` and a
throttled handshake 429 `{"message":"Too Many Requests"}`: API Gateway's 429 for throttling,
in the shape of its other error frames (the frame's exact text is *unverified*).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

TOO_MANY_REQUESTS = 429
THROTTLED_MESSAGE = "Too Many Requests"
ACCOUNT_RATE = 10_000.0
ACCOUNT_BURST = 5_000
NEW_CONNECTIONS_PER_SECOND = 500.0


@dataclass(frozen=True)
class RateLimit:
    """A route's throttling: `rate` requests per second, at most `burst` at once."""

    rate: float
    burst: int


class TokenBucket:
    """`burst` tokens, refilled at `rate` per second; each request takes one."""

    def __init__(self, limit: RateLimit, clock: Callable[[], float] = time.monotonic) -> None:
        self.limit = limit
        self._clock = clock
        self._tokens = float(limit.burst)
        self._at = clock()
        self._lock = threading.Lock()

    def take(self) -> bool:
        """Whether a request may go through now (and it took a token)."""
        with self._lock:
            now = self._clock()
            refill = (now - self._at) * self.limit.rate
            self._tokens = min(float(self.limit.burst), self._tokens + refill)
            self._at = now
            if self._tokens >= 1:
                self._tokens -= 1
                return True
            return False


class Throttle:
    """The buckets of one stage: per route key, and for new connections."""

    def __init__(
        self,
        routes: Mapping[str, RateLimit] | None = None,
        default: RateLimit | None = None,
        new_connections: float = NEW_CONNECTIONS_PER_SECOND,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._clock = clock
        self._default = default
        self._routes = dict(routes or {})
        self._buckets: dict[str, TokenBucket] = {}
        self._lock = threading.Lock()
        burst = max(1, int(new_connections))
        self._connections = TokenBucket(RateLimit(new_connections, burst), clock)

    def allows(self, route_key: str) -> bool:
        """Whether the route takes one more request now."""
        limit = self._routes.get(route_key, self._default)
        if limit is None:
            return True
        with self._lock:
            bucket = self._buckets.get(route_key)
            if bucket is None:
                bucket = self._buckets[route_key] = TokenBucket(limit, self._clock)
        return bucket.take()

    def allows_connection(self) -> bool:
        """Whether one more new connection is taken now (500 per second on AWS)."""
        return self._connections.take()


def rate_limit(rate: float | None, burst: int | None) -> RateLimit | None:
    """A route's limit from wsgen.toml's two keys; None when neither is set."""
    if rate is None and burst is None:
        return None
    return RateLimit(
        ACCOUNT_RATE if rate is None else rate, ACCOUNT_BURST if burst is None else burst
    )
