"""Chat: rooms and nicknames, like Chalice's WebSocket chat tutorial, with what Chalice lacks.

Connect with the shared token, and a nickname if you like: `wss://…/api?token=TOKEN&nick=ana`.
Then send JSON; API Gateway routes it by its "action":

    {"action": "join", "room": "lobby"}     join (or switch to) a room; "nick" optional
    {"action": "send", "text": "hello"}     everyone in your room receives "ana: hello"
    {"action": "nick", "nick": "bo"}        change your nickname
    {"action": "ping", "id": 7}             answered with {"pong": 7}
    anything else                           answered with the help text

Text frames only: API Gateway closes a connection that sends a binary frame (1003).
Connections live in the DynamoDB table named by `CHAT_TABLE` (see resources.yaml), with a
`room` index to find a room's members.
"""

import functools
import hmac
import json
import os
import re

import boto3
from boto3.dynamodb.conditions import Key

from runtime import App, AuthResponse, UnauthorizedError, aws

app = App(app_name="chat")
app.experimental_feature_flags.update(["WEBSOCKETS"])

ROOM_INDEX = "room"
NICK = re.compile(r"[A-Za-z0-9_-]{1,20}")
HELP = (
    'send {"action": "join", "room": ROOM}, then {"action": "send", "text": TEXT}; '
    'also {"action": "nick", "nick": NICK} and {"action": "ping"}'
)

_table = None


def table():
    """The connections table, made on first use (not at import: cold start, and tests)."""
    global _table
    if _table is None:
        _table = boto3.resource("dynamodb").Table(os.environ["CHAT_TABLE"])
    return _table


@functools.cache  # read at the first $connect of each Lambda container, then kept
def chat_token():
    """The shared token: the SSM SecureString parameter CHAT_TOKEN_PARAMETER names.

    CHAT_TOKEN, when set, is used instead: wsgen local and the tests set it.
    """
    if "CHAT_TOKEN" in os.environ:
        return os.environ["CHAT_TOKEN"]
    region = os.environ.get("AWS_REGION", "us-east-1")
    endpoint = os.environ.get("AWS_ENDPOINT_URL_SSM", f"https://ssm.{region}.amazonaws.com")
    name, credentials = os.environ["CHAT_TOKEN_PARAMETER"], aws.credentials()
    if credentials is None:
        raise RuntimeError("no AWS credentials in the environment to read the chat token")
    response = aws.request(  # signed like boto3 would, without importing it (cold start)
        "POST",
        endpoint.rstrip("/") + "/",
        service="ssm",
        credentials=credentials,
        body=json.dumps({"Name": name, "WithDecryption": True}).encode(),
        headers={
            "Content-Type": "application/x-amz-json-1.1",
            "X-Amz-Target": "AmazonSSM.GetParameter",
        },
    )
    if not response.ok:
        raise RuntimeError(f"cannot read the SSM parameter {name}: {response.error_code}")
    return response.json()["Parameter"]["Value"]


@app.ws_authorizer(identity_sources=["route.request.querystring.token"])
def authorize(event):
    # A shared secret keeps the sample small; a real app would check a user's own token.
    token = event.query_params["token"]
    if not hmac.compare_digest(token.encode(), chat_token().encode()):
        raise UnauthorizedError()  # 401
    nick = event.query_params.get("nick", "guest")
    if not NICK.fullmatch(nick):
        return AuthResponse.deny()  # 403: a good token, but not with that nickname
    return AuthResponse.allow(principal_id=nick, context={"nick": nick})


@app.on_ws_connect()
def connect(event):
    table().put_item(Item={"connection_id": event.connection_id, "nick": nick_of(event)})


@app.on_ws_message(route="join")
def join(event):
    old = member(event)
    room = event.json_body.get("room")
    nick = event.json_body.get("nick", old["nick"])
    if not isinstance(room, str) or not room or not valid_nick(nick):
        app.websocket_api.send(event.connection_id, HELP)
        return
    table().put_item(Item={"connection_id": event.connection_id, "room": room, "nick": nick})
    if old.get("room") and old["room"] != room:
        tell(old["room"], f"{old['nick']} left {old['room']}")
    tell(room, f"{nick} joined {room}")


@app.on_ws_message(route="send")
def send(event):
    me = member(event)
    if "room" not in me:
        app.websocket_api.send(event.connection_id, f"join a room first: {HELP}")
        return
    tell(me["room"], f"{me['nick']}: {event.json_body.get('text', '')}")


@app.on_ws_message(route="nick")
def rename(event):
    new = event.json_body.get("nick")
    if not valid_nick(new):
        app.websocket_api.send(event.connection_id, "a nick is 1-20 letters, digits, - or _")
        return
    me = member(event)
    table().put_item(Item={**me, "nick": new})
    if "room" in me:
        tell(me["room"], f"{me['nick']} is now {new}")
    else:
        app.websocket_api.send(event.connection_id, f"you are now {new}")


@app.on_ws_message(route="ping", reply=True)
def ping(event):
    return {"pong": event.json_body.get("id")}


@app.on_ws_message(reply=True)
def default(event):
    """Anything no route took (not JSON, or an unknown action) is answered with the help."""
    return HELP


@app.on_ws_disconnect()
def disconnect(event):
    me = member(event)
    table().delete_item(Key={"connection_id": event.connection_id})
    if "room" in me:
        tell(me["room"], f"{me['nick']} left {me['room']}")


def nick_of(event):
    """The nickname the authorizer let this connection use."""
    return event.authorizer.get("nick", "guest")


def valid_nick(nick):
    return isinstance(nick, str) and NICK.fullmatch(nick) is not None


def member(event):
    """This connection's item: its nick, and its room once it joined one."""
    key = {"connection_id": event.connection_id}
    return table().get_item(Key=key).get("Item") or {**key, "nick": nick_of(event)}


def tell(room, message):
    """Send `message` to everyone in `room`; forget connections that are gone."""
    query = table().query(IndexName=ROOM_INDEX, KeyConditionExpression=Key("room").eq(room))
    ids = [item["connection_id"] for item in query["Items"]]
    result = app.websocket_api.broadcast(ids, message)
    for connection_id in result.gone:
        table().delete_item(Key={"connection_id": connection_id})
    for connection_id, error in result.failed.items():
        print(f"could not send to {connection_id}: {error}")
