"""$connect guarded by IAM and an API key: the golden template of both (access.yaml)."""

from runtime import App, IAMAuthorizer

app = App(app_name="access")
app.experimental_feature_flags.update(["WEBSOCKETS"])


@app.on_ws_connect(authorizer=IAMAuthorizer(), api_key_required=True)
def connect(event):
    identity = event.raw["requestContext"]["identity"]
    app.log.info("connected: %s with key %s", identity.get("userArn"), identity.get("apiKeyId"))


@app.on_ws_message(route="whoami", reply=True)
def whoami(event):
    return event.raw["requestContext"]["identity"]
