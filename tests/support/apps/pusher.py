"""Event handlers that push to connected clients: a schedule, a queue, a topic, a function."""

import json

from runtime import App

app = App(app_name="pusher")
app.experimental_feature_flags.update(["WEBSOCKETS"])
connected: set[str] = set()  # one process runs every handler under wsgen local


@app.on_ws_connect()
def connect(event):
    connected.add(event.connection_id)


@app.on_ws_disconnect()
def disconnect(event):
    connected.discard(event.connection_id)


@app.on_ws_message(route="whoami", reply=True)
def whoami(event):
    return event.connection_id


@app.schedule("rate(1 minute)", description="tick every minute")
def tick(event):
    app.websocket_api.broadcast(sorted(connected), json.dumps({"tick": event.time}))


@app.on_sqs_message(queue="jobs", batch_size=10)
def jobs(event):
    for record in event:
        job = json.loads(record.body)
        if job.get("fail"):
            raise ValueError(f"job {job['id']} failed")
        app.websocket_api.send(
            job["connection_id"], json.dumps({"job": job["id"], "result": job["n"] * 2})
        )


@app.on_sns_message(topic="news")
def news(event):
    app.websocket_api.broadcast(sorted(connected), f"{event.subject or 'news'}: {event.message}")


@app.lambda_function(name="poke")
def poke(event, context):
    app.websocket_api.send(event["connection_id"], "poked")
    return {"poked": event["connection_id"], "function": context.function_name}


@app.on_cw_event({"source": ["com.example.orders"], "detail-type": ["Order Shipped"]})
def shipped(event):
    detail = event.detail
    app.websocket_api.send(detail["connection_id"], f"{event.detail_type} from {event.source}")


@app.on_dynamodb_record(
    stream_arn="arn:aws:dynamodb:eu-west-1:123456789012:table/Orders/stream/2026-11-30T08:12:55.123"
)
def orders(event):
    for record in event:
        image = record.new_image
        app.websocket_api.send(
            image["connection_id"]["S"], f"{record.event_name} {record.table_name}"
        )
