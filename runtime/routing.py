"""API Gateway's route keys: what a route may be called.

The route selection expression, which picks a message's route, is `runtime.selection`'s:
apart, so that an app that keeps the default expression does not load its parser.
"""

from __future__ import annotations

from .contract import PREDEFINED_ROUTES

MAX_ROUTE_KEY_LENGTH = 128


def validate_route_key(key: str) -> None:
    """Refuse a route key API Gateway would not accept.

    Raises:
        InvalidRouteError: the key, and why API Gateway refuses it.
    """
    reason = _refusal(key)
    if reason is not None:
        from .exceptions import InvalidRouteError  # only for a refused key: cold-start time

        raise InvalidRouteError(str(key), reason)


def _refusal(key: str) -> str | None:
    """Why API Gateway would refuse `key` as a route key; None when it accepts it."""
    if not isinstance(key, str) or not key:
        return "a route key is a non-empty string"
    if key.startswith("$") and key not in PREDEFINED_ROUTES:
        return "keys starting with '$' are reserved for $connect, $disconnect and $default"
    if len(key) > MAX_ROUTE_KEY_LENGTH:
        return f"longer than {MAX_ROUTE_KEY_LENGTH} characters"
    if any(ch.isspace() or not ch.isprintable() for ch in key):
        return "no spaces or control characters allowed"
    return None
