"""Jobs: work sent over the WebSocket, done by a queue handler, the result pushed back.

Send `{"action": "submit", "text": "..."}`. The reply names the job; an SQS queue carries it
to `run_jobs`, which pushes the result (the text's word count) back: to every connection of
the user who asked when they connected with `?user=ada` (each of their devices), else to
the asking connection. Every minute `heartbeat` tells every client the time and how many
are connected.
"""

import json
import os
import re
import uuid

from runtime import App

app = App(app_name="jobs", connections=True)  # wsgen tracks connections and their groups
app.experimental_feature_flags.update(["WEBSOCKETS"])

USER = re.compile(r"[A-Za-z0-9_-]{1,32}")
HELP = 'send {"action": "submit", "text": TEXT}'


@app.on_ws_connect()
def connect(event):
    user = event.query_params.get("user")
    if user is not None and not USER.fullmatch(user):
        return {"statusCode": 400}  # ?user= takes letters, digits, - and _
    # The group results go to: all of a user's connections, or this one alone.
    inbox = f"user:{user}" if user else f"connection:{event.connection_id}"
    event.connection.update(inbox=inbox)
    app.groups.join(inbox, event.connection_id)


@app.on_ws_message(route="submit", reply=True)
def submit(event):
    text = (event.json_body or {}).get("text")
    if not isinstance(text, str) or not text:
        return {"error": HELP}
    job = {"id": uuid.uuid4().hex[:8], "inbox": event.connection.attributes["inbox"], "text": text}
    # The template's queue (wsgen.toml); under wsgen local, its local queue.
    queue_url = os.environ.get("JOBS_QUEUE_URL")
    if not queue_url:  # no queue at all (a test without SQS): fire the handler by hand
        return {"queued": job["id"], "run": f"wsgen invoke run_jobs --body '{json.dumps(job)}'"}
    import boto3  # only here: every Lambda Python runtime has it

    boto3.client("sqs").send_message(QueueUrl=queue_url, MessageBody=json.dumps(job))
    return {"queued": job["id"]}


@app.on_ws_message(reply=True)
def default(event):
    return {"error": HELP}


@app.on_sqs_message(queue="jobs", batch_size=10, maximum_batching_window_in_seconds=1)
def run_jobs(event):
    # A message whose handling raises is retried by SQS; the ones before it are done.
    for record in event:
        job = json.loads(record.body)
        result = {"job": job["id"], "words": len(job["text"].split())}
        app.groups.send(job["inbox"], json.dumps(result))  # gone connections are skipped


@app.schedule("rate(1 minute)", description="the time and the number of clients, to all")
def heartbeat(event):
    ids = [connection.id for connection in app.connections.all()]
    app.websocket_api.broadcast(ids, json.dumps({"time": event.time, "connected": len(ids)}))
