"""Test app: one custom route, no $connect, no $default, no $disconnect."""

from runtime import App

app = App(app_name="bare")
app.experimental_feature_flags.update(["WEBSOCKETS"])


@app.on_ws_message("only", reply=True)
def only(event):
    return "only"
