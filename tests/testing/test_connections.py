"""A tracked app (`connections=True`) on the test client: what only the test client shows."""

from __future__ import annotations

from runtime import App
from runtime.store import MemoryStore
from wsgen.testing import Client


def tracked() -> App:
    app = App(app_name="t", connections=True)
    app.experimental_feature_flags.update(["WEBSOCKETS"])
    return app


def test_the_connected_step_finds_the_record_stored_and_can_join_it():
    app = tracked()

    @app.on_ws_connected()
    def welcome(event):
        app.groups.join("lobby", event.connection_id)
        app.websocket_api.send(event.connection_id, f"hi {event.connection.query_params['nick']}")

    with Client(app) as client, client.connect(query={"nick": "ana"}) as ws:
        assert ws.receive() == "hi ana"
        assert [c.id for c in app.groups.members("lobby")] == [ws.connection_id]
    assert client.errors == []


def test_headers_of_the_upgrade_reach_every_later_event_but_credentials():
    app = tracked()
    app.on_ws_message(route="h", reply=True)(lambda event: dict(event.connection.headers.items()))
    headers = {"Origin": "https://x.example", "Authorization": "Bearer s3cret"}
    with Client(app) as client, client.connect(headers=headers) as ws:
        ws.send_json({"action": "h"})
        seen = ws.receive_json()
    assert seen["Origin"] == "https://x.example" and "Authorization" not in seen


def test_the_client_puts_the_apps_store_back_when_it_closes():
    app = tracked()
    mine = MemoryStore()
    app.connections.use_store(mine)
    with Client(app) as client:
        assert client.connection_store is not mine
        assert app.connections.store is client.connection_store
    assert app.connections.store is mine
