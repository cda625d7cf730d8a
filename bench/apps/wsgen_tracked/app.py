"""wsgen_noop's handlers on a tracked app: what remains is what tracking adds per event."""

from runtime import App

app = App(app_name="tracked", connections=True)
app.experimental_feature_flags.update(["WEBSOCKETS"])


@app.on_ws_connect()
def connect(event):
    return None


@app.on_ws_message()
def message(event):
    return None
