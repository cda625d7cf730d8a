"""A report that takes longer than API Gateway waits, streamed to the client that asked.

Send `{"action": "report", "topic": "sales"}`: the reply says it started, then the task
`build_report` (a Lambda function of its own, up to 15 minutes) sends each step's progress
and finally the result.
"""

import json
import os
import time

from runtime import App

app = App(app_name="report")
app.experimental_feature_flags.update(["WEBSOCKETS"])

STEPS = 10
STEP_SECONDS = float(os.environ.get("REPORT_STEP_SECONDS", "5"))
"""10 steps of 5 s: 50 s, well past API Gateway's 29 (tests shorten it)."""


@app.on_ws_message(route="report", reply=True)
def report(event):
    topic = str(event.json_body.get("topic") or "everything")
    build_report.delay(event.connection_id, topic)
    return {"started": topic}


@app.task()
def build_report(connection_id, topic):
    for step in range(1, STEPS + 1):
        time.sleep(STEP_SECONDS)  # the slow part: queries, an LLM's next tokens, ...
        app.websocket_api.send(connection_id, json.dumps({"progress": step, "of": STEPS}))
    app.websocket_api.send(connection_id, json.dumps({"result": f"{topic}: {STEPS} sections"}))
