"""A queue handler pushing to WebSocket clients, and routes sending to its queue with boto3
and with the runtime's client, as a deployed app would (the URL from wsgen.toml)."""

import json
import os

import boto3

from runtime import App, call_aws_json

app = App(app_name="queues")
app.experimental_feature_flags.update(["WEBSOCKETS"])


@app.on_ws_message(route="announce", reply=True)
def send(event):
    """Send `text` to the queue with boto3; the message's id (as `sent`)."""
    body = json.loads(event.body)
    message = {"to": event.connection_id, **body}
    sqs = boto3.client("sqs")
    sent = sqs.send_message(
        QueueUrl=os.environ["ANNOUNCE_QUEUE_URL"], MessageBody=json.dumps(message)
    )
    return {"sent": sent["MessageId"]}


@app.on_ws_message(route="announce-raw", reply=True)
def send_raw(event):
    """The same through `runtime.call_aws_json`."""
    message = {"to": event.connection_id, **json.loads(event.body)}
    sent = call_aws_json(
        "sqs",
        "AmazonSQS.SendMessage",
        {"QueueUrl": os.environ["ANNOUNCE_QUEUE_URL"], "MessageBody": json.dumps(message)},
        json_version="1.0",
    )
    return {"sent": sent["MessageId"]}


@app.on_ws_message(route="tell-existing", reply=True)
def tell_existing(event):
    """Send `text` to the queue that exists already (its deployed URL, from wsgen.toml)."""
    message = {"to": event.connection_id, **json.loads(event.body)}
    sqs = boto3.client("sqs")
    sent = sqs.send_message(
        QueueUrl=os.environ["EXISTING_QUEUE_URL"], MessageBody=json.dumps(message)
    )
    return {"sent": sent["MessageId"]}


@app.on_ws_message(route="whoami", reply=True)
def whoami(event):
    return {"id": event.connection_id}


@app.on_ws_message(route="env", reply=True)
def env(event):
    names = ("ANNOUNCE_QUEUE_URL", "ANNOUNCE_QUEUE_ARN", "ANNOUNCE_QUEUE_NAME")
    return {name: os.environ.get(name) for name in names}


@app.on_sqs_message(queue="announcements", batch_size=10)
def announce(event):
    """Push each message's `text` to its `to`; `fail` times (`fail: -1`, always) raise first."""
    for record in event:
        message = json.loads(record.body)
        receives = int(record.attributes["ApproximateReceiveCount"])
        if message.get("fail", 0) < 0 or receives <= message.get("fail", 0):
            raise RuntimeError(f"cannot announce {message['text']} yet")
        pushed = {"text": message["text"], "receives": receives, "id": record.message_id}
        app.websocket_api.send(message["to"], json.dumps(pushed))


@app.on_sqs_message(queue_arn="arn:aws:sqs:eu-west-1:111122223333:existing")
def existing(event):
    """Push each message's `text` to its `to`, with the queue its record names."""
    for record in event:
        message = json.loads(record.body)
        pushed = {
            "text": message["text"],
            "source": record.event_source_arn,
            "region": record.raw["awsRegion"],
            "id": record.message_id,
        }
        app.websocket_api.send(message["to"], json.dumps(pushed))


@app.on_sqs_message(queue="orders.fifo", batch_size=10)
def orders(event):
    """Push each message's `text` to its `to` with its group and sequence; `fail` times
    tell `to` and raise first."""
    for record in event:
        message = json.loads(record.body)
        receives = int(record.attributes["ApproximateReceiveCount"])
        if receives <= message.get("fail", 0):
            app.websocket_api.send(message["to"], json.dumps({"failed": message["text"]}))
            raise RuntimeError(f"cannot take {message['text']} yet")
        pushed = {
            "text": message["text"],
            "group": record.attributes["MessageGroupId"],
            "sequence": record.attributes["SequenceNumber"],
            "receives": receives,
        }
        app.websocket_api.send(message["to"], json.dumps(pushed))
