"""Subprotocol: the `Sec-WebSocket-Protocol` example from Chalice's WebSocket documentation.

The documentation's connect handler always answers `My-Protocol`. A browser then fails the
handshake unless it offered that protocol, so this one answers it only when the client did.
"""

from runtime import App

PROTOCOL = "My-Protocol"

app = App(app_name="subprotocol")
app.experimental_feature_flags.update(["WEBSOCKETS"])


@app.on_ws_connect()
def connect(event):
    print(f"New connection: {event.connection_id}")
    offered = event.headers.get("Sec-WebSocket-Protocol", "")
    if PROTOCOL in (p.strip() for p in offered.split(",")):
        # We don't need to explicitly set a statusCode.
        return {"headers": {"Sec-WebSocket-Protocol": PROTOCOL}}
    return None


@app.on_ws_message()
def message(event):
    app.websocket_api.send(event.connection_id, f"{PROTOCOL}: {event.body}")
