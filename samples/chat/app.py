"""Chat: rooms and nicknames, like Chalice's WebSocket chat tutorial, on wsgen.

Clients send JSON on `$default`:

    {"action": "join", "room": "lobby", "nick": "ana"}   join (or switch to) a room
    {"action": "say", "text": "hello"}                   say something to your room

Everyone in the room, the sender included, receives `ana: hello`. Connections live in the
DynamoDB table named by the `CHAT_TABLE` environment variable (see resources.yaml), with a
`room` index to find a room's members.
"""

import json
import os

import boto3
from boto3.dynamodb.conditions import Key

from runtime import App

app = App(app_name="chat")
app.experimental_feature_flags.update(["WEBSOCKETS"])

ROOM_INDEX = "room"
HELP = 'send {"action": "join", "room": ROOM, "nick": NICK}, then {"action": "say", "text": TEXT}'

_table = None


def table():
    """The connections table, made on first use (not at import: cold start, and tests)."""
    global _table
    if _table is None:
        _table = boto3.resource("dynamodb").Table(os.environ["CHAT_TABLE"])
    return _table


@app.on_ws_connect()
def connect(event):
    print(f"New connection: {event.connection_id}")


@app.on_ws_message()
def message(event):
    try:
        request = json.loads(event.body or "")
    except ValueError:
        request = None
    action = request.get("action") if isinstance(request, dict) else None
    if action == "join":
        join(event.connection_id, str(request.get("room", "")), str(request.get("nick", "")))
    elif action == "say":
        say(event.connection_id, str(request.get("text", "")))
    else:
        app.websocket_api.send(event.connection_id, HELP)


@app.on_ws_disconnect()
def disconnect(event):
    member = table().get_item(Key={"connection_id": event.connection_id}).get("Item")
    table().delete_item(Key={"connection_id": event.connection_id})
    if member:
        broadcast(member["room"], f"{member['nick']} left {member['room']}")


def join(connection_id, room, nick):
    if not room or not nick:
        app.websocket_api.send(connection_id, HELP)
        return
    item = {"connection_id": connection_id, "room": room, "nick": nick}
    table().put_item(Item=item)
    broadcast(room, f"{nick} joined {room}")


def say(connection_id, text):
    member = table().get_item(Key={"connection_id": connection_id}).get("Item")
    if not member:
        app.websocket_api.send(connection_id, f"join a room first: {HELP}")
        return
    broadcast(member["room"], f"{member['nick']}: {text}")


def broadcast(room, text):
    """Send `text` to everyone in `room`; forget connections that are gone."""
    members = table().query(IndexName=ROOM_INDEX, KeyConditionExpression=Key("room").eq(room))
    result = app.websocket_api.broadcast([m["connection_id"] for m in members["Items"]], text)
    for connection_id in result.gone:
        table().delete_item(Key={"connection_id": connection_id})
