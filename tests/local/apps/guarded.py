"""Test app: a $connect REQUEST authorizer on the `token` query parameter."""

import threading

from runtime import App, AuthResponse, UnauthorizedError

app = App(app_name="guarded")
app.experimental_feature_flags.update(["WEBSOCKETS"])

EVENTS: list[dict] = []
_changed = threading.Condition()


def record(raw: dict) -> None:
    with _changed:
        EVENTS.append(raw)
        _changed.notify_all()


def wait_for_count(count: int, timeout: float = 10) -> list[dict]:
    with _changed:
        if not _changed.wait_for(lambda: len(EVENTS) >= count, timeout):
            raise AssertionError(f"{len(EVENTS)} events after {timeout}s, expected {count}")
        return list(EVENTS)


@app.ws_authorizer(identity_sources=["route.request.querystring.token"])
def authorize(event):
    record(event.raw)
    token = event.raw["queryStringParameters"]["token"]
    if token == "deny":
        return AuthResponse.deny("mallory")
    if token == "bad":
        raise UnauthorizedError()
    if token == "crash":
        raise RuntimeError("authorizer bug")
    if token == "vague":
        return "yes"  # neither AuthResponse.allow nor .deny
    return AuthResponse.allow("alice", {"tier": "gold", "level": 3, "admin": False})


@app.on_ws_message(reply=True)
def default(event):
    record(event.raw)
    return "ok"


@app.on_ws_disconnect()
def disconnect(event):
    record(event.raw)
