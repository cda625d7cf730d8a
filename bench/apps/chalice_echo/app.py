"""The echo sample on Chalice: the same app as samples/echo, for side-by-side figures."""

from chalice import Chalice

app = Chalice(app_name="echo")
app.experimental_feature_flags.update(["WEBSOCKETS"])


@app.on_ws_connect()
def connect(event):
    print(f"New connection: {event.connection_id}")


@app.on_ws_message()
def message(event):
    app.websocket_api.send(event.connection_id, "I got your message!")


@app.on_ws_disconnect()
def disconnect(event):
    print(f"{event.connection_id} disconnected")
