"""Test app: a `report` message starts a task that outlives API Gateway's wait, streaming."""

import json
import os
import time

from runtime import App

app = App(app_name="longtask")
app.experimental_feature_flags.update(["WEBSOCKETS"])

STEPS = int(os.environ.get("LONGTASK_STEPS", "4"))
STEP_S = float(os.environ.get("LONGTASK_STEP_S", "0.4"))


@app.on_ws_message(route="report", reply=True)
def report(event):
    build.delay(event.connection_id, event.json_body["topic"])
    return {"started": event.json_body["topic"]}


@app.task()
def build(connection_id, topic):
    for step in range(1, STEPS + 1):
        time.sleep(STEP_S)
        app.websocket_api.send(connection_id, json.dumps({"progress": step, "of": STEPS}))
    app.websocket_api.send(connection_id, json.dumps({"result": f"report on {topic}"}))


@app.task()
def stuck(connection_id):
    time.sleep(30)
