"""The same do-nothing handlers on Chalice."""

from chalice import Chalice

app = Chalice(app_name="noop")
app.experimental_feature_flags.update(["WEBSOCKETS"])


@app.on_ws_connect()
def connect(event):
    return None


@app.on_ws_message()
def message(event):
    return None
