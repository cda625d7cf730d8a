"""Handlers that do nothing: what remains is the framework's own per-event cost."""

from runtime import App

app = App(app_name="noop")
app.experimental_feature_flags.update(["WEBSOCKETS"])


@app.on_ws_connect()
def connect(event):
    return None


@app.on_ws_message()
def message(event):
    return None
