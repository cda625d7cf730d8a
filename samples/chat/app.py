"""Chat: rooms and nicknames, like Chalice's WebSocket chat tutorial, on tracked connections.

Connect with `?token=TOKEN&nick=ana`, then send JSON routed by its "action": `join` a room
(with a new `nick` if you like), `send` it a `text`. Anything else is answered with the help.
"""

import access
import history

from runtime import App

app = App(app_name="chat", connections=True)  # wsgen keeps each connection's rooms and nick
app.experimental_feature_flags.update(["WEBSOCKETS"])
HELP = 'send {"action": "join", "room": ROOM}, then {"action": "send", "text": TEXT}'


@app.ws_authorizer(identity_sources=["route.request.querystring.token"])
def authorize(event):
    return access.check(event.query_params)  # the shared token (from SSM), a valid nick


@app.on_ws_connect()
def connect(event):
    event.connection.update(nick=event.authorizer.get("nick", "guest"))  # stored with it


@app.on_ws_connected()  # once the connection is open, where send() to it works
def welcome(event):
    nick = event.authorizer.get("nick", "guest")
    app.websocket_api.send(event.connection_id, f"welcome, {nick}! {HELP}")


@app.on_ws_message(route="join")
def join(event):
    me, room = event.connection, event.json_body.get("room")
    nick = event.json_body.get("nick", me.attributes["nick"])
    if not isinstance(room, str) or not room or not access.NICK.fullmatch(str(nick)):
        return app.websocket_api.send(me.id, HELP)
    for old in set(me.groups) - {room}:
        app.groups.leave(old, me.id)
        app.groups.send(old, f"{me.attributes['nick']} left {old}")
    me.update(nick=nick)
    history.replay(app.websocket_api, room, me.id)  # the room's last messages, to you only
    app.groups.join(room, me.id)
    app.groups.send(room, f"{nick} joined {room}")


@app.on_ws_message(route="send")
def send(event):
    me = event.connection
    if not me.groups:
        return app.websocket_api.send(me.id, f"join a room first: {HELP}")
    line = f"{me.attributes['nick']}: {event.json_body.get('text', '')}"
    app.groups.send(me.groups[0], history.add(me.groups[0], line))  # kept for later joiners


@app.on_ws_message(reply=True)
def default(event):
    return HELP  # not JSON, or an action no route takes (reply=True: sent back to the caller)


@app.on_ws_disconnect()
def disconnect(event):
    me = event.connection  # wsgen deletes it, and its memberships, after this handler
    for room in me.groups:
        app.groups.send(room, f"{me.attributes['nick']} left {room}", exclude=me.id)
