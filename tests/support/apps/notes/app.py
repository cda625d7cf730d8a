"""Notes in a table of the app's own (merged from resources.yaml), through boto3, for
tests/test_tables.py: `wsgen local --dynamodb` and `Client(app, dynamodb=True)` make it."""

import json
import os

import boto3

from runtime import App

app = App(app_name="notes")
app.experimental_feature_flags.update(["WEBSOCKETS"])

AT_IMPORT = {  # what the module saw when it was imported (wsgen local sets both before)
    "table": os.environ.get("NOTES_TABLE"),
    "endpoint": os.environ.get("AWS_ENDPOINT_URL_DYNAMODB"),
}


def table():
    # Made at each call: a test client's tables and environment are the client's own.
    return boto3.resource("dynamodb").Table(os.environ["NOTES_TABLE"])


@app.on_ws_message(route="put", reply=True)
def put(event):
    body = event.json_body
    table().put_item(Item={k: body[k] for k in ("owner", "note", "tag", "text")})
    return "stored"


@app.on_ws_message(route="get", reply=True)
def get(event):
    body = event.json_body
    item = table().get_item(Key={"owner": body["owner"], "note": body["note"]}).get("Item")
    return item["text"] if item else "no such note"


@app.on_ws_message(route="tagged", reply=True)
def tagged(event):
    from boto3.dynamodb.conditions import Key

    found = table().query(
        IndexName="by-tag", KeyConditionExpression=Key("tag").eq(event.json_body["tag"])
    )
    return json.dumps(sorted(item["note"] for item in found["Items"]))


@app.on_ws_message(route="seen", reply=True)
def seen(event):
    return json.dumps({**AT_IMPORT, "audit": os.environ.get("AUDIT_TABLE")})
