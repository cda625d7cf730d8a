"""API Gateway's route keys: what a route may be called.

The route selection expression, which picks a message's route, is `runtime.selection`'s:
apart, so that an app that keeps the default expression does not load its parser.
"""

from __future__ import annotations

from .contract import PREDEFINED_ROUTES
from .exceptions import InvalidRouteError

MAX_ROUTE_KEY_LENGTH = 128


def validate_route_key(key: str) -> None:
    """Refuse a route key API Gateway would not accept."""
    if not isinstance(key, str) or not key:
        raise InvalidRouteError(str(key), "a route key is a non-empty string")
    if key.startswith("$") and key not in PREDEFINED_ROUTES:
        raise InvalidRouteError(
            key, "keys starting with '$' are reserved for $connect, $disconnect and $default"
        )
    if len(key) > MAX_ROUTE_KEY_LENGTH:
        raise InvalidRouteError(key, f"longer than {MAX_ROUTE_KEY_LENGTH} characters")
    if any(ch.isspace() or not ch.isprintable() for ch in key):
        raise InvalidRouteError(key, "no spaces or control characters allowed")
