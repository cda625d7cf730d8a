"""Chat: rooms and nicknames, like Chalice's WebSocket chat tutorial, on tracked connections.

Connect with `?token=TOKEN&nick=ana`, then send JSON routed by its "action": `join` a room
(with a new `nick` if you like), `send` it a `text`. Anything else is answered with the help.
"""

import functools
import hmac
import json
import os
import re

from runtime import App, AuthResponse, UnauthorizedError, aws

app = App(app_name="chat", connections=True)  # wsgen keeps each connection's rooms and nick
app.experimental_feature_flags.update(["WEBSOCKETS"])

NICK = re.compile(r"[A-Za-z0-9_-]{1,20}")
HELP = 'send {"action": "join", "room": ROOM}, then {"action": "send", "text": TEXT}'


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
    if not hmac.compare_digest(event.query_params["token"].encode(), chat_token().encode()):
        raise UnauthorizedError()  # 401
    nick = event.query_params.get("nick", "guest")
    if not NICK.fullmatch(nick):
        return AuthResponse.deny()  # 403: a good token, but not with that nickname
    return AuthResponse.allow(principal_id=nick, context={"nick": nick})


@app.on_ws_connect()
def connect(event):
    event.connection.update(nick=event.authorizer.get("nick", "guest"))  # stored with it


@app.on_ws_message(route="join")
def join(event):
    me, room = event.connection, event.json_body.get("room")
    nick = event.json_body.get("nick", me.attributes["nick"])
    if not isinstance(room, str) or not room or not NICK.fullmatch(str(nick)):
        return app.websocket_api.send(me.id, HELP)
    for old in set(me.groups) - {room}:
        app.groups.leave(old, me.id)
        app.groups.send(old, f"{me.attributes['nick']} left {old}")
    me.update(nick=nick)
    app.groups.join(room, me.id)
    app.groups.send(room, f"{nick} joined {room}")


@app.on_ws_message(route="send")
def send(event):
    me = event.connection
    if not me.groups:
        return app.websocket_api.send(me.id, f"join a room first: {HELP}")
    app.groups.send(me.groups[0], f"{me.attributes['nick']}: {event.json_body.get('text', '')}")


@app.on_ws_message(reply=True)
def default(event):
    return HELP  # not JSON, or an action no route takes (reply=True: sent back to the caller)


@app.on_ws_disconnect()
def disconnect(event):
    me = event.connection  # wsgen deletes it, and its memberships, after this handler
    for room in me.groups:
        app.groups.send(room, f"{me.attributes['nick']} left {room}", exclude=me.id)
