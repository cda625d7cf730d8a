"""Test app: greets each connection once it is open (`@app.on_ws_connected`)."""

import json

from runtime import App, Response

app = App(app_name="greeter")
app.experimental_feature_flags.update(["WEBSOCKETS"])


@app.on_ws_connect()
def connect(event):
    if event.query_params.get("refuse"):
        return Response(status_code=403)
    return None


@app.on_ws_connected()
def connected(event):
    name = event.query_params.get("name", "stranger")
    app.websocket_api.send(event.connection_id, json.dumps({"welcome": name}))


@app.on_ws_message(route="ping", reply=True)
def ping(event):
    return {"pong": True}
