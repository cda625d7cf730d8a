"""A tracked app (`connections=True`) for tests/test_connections.py: rooms, nicks, devices."""

from runtime import App, AuthResponse, Response

app = App(app_name="rooms", connections=True)
app.experimental_feature_flags.update(["WEBSOCKETS"])


@app.ws_authorizer(identity_sources=["route.request.querystring.user"])
def authorize(event):
    user = event.query_params["user"]
    if user == "mallory":
        return AuthResponse.deny()
    return AuthResponse.allow(principal_id=user, context={"team": "blue"})


@app.on_ws_connect()
def connect(event):
    room = event.query_params.get("room")
    if room == "closed":
        return Response(status_code=403)
    if room:
        app.groups.join(room, event.connection_id)  # inside $connect: stored once accepted
    event.connection.update(nick=event.query_params.get("nick", "guest"))
    return None


@app.on_ws_message(route="join")
def join(event):
    room = event.json_body["room"]
    app.groups.join(room, event.connection_id)
    app.groups.send(room, f"{event.connection.attributes['nick']} joined {room}")


@app.on_ws_message(route="leave")
def leave(event):
    app.groups.leave(event.json_body["room"], event.connection_id)


@app.on_ws_message(route="nick")
def nick(event):
    event.connection.update(nick=event.json_body["nick"])


@app.on_ws_message(route="who", reply=True)
def who(event):
    return sorted(c.attributes.get("nick") for c in app.groups.members(event.json_body["room"]))


@app.on_ws_message(route="me", reply=True)
def me(event):
    c = event.connection
    return {
        "id": c.id,
        "principal": c.principal_id,
        "authorizer": c.authorizer,
        "query": c.query_params,
        "groups": list(c.groups),
        "attributes": c.attributes,
        "connected_at": c.connected_at.isoformat(),
        "source_ip": c.source_ip,
    }


@app.on_ws_message(route="counts", reply=True)
def counts(event):
    room = event.json_body["room"]
    return {"all": app.connections.count(), "room": app.groups.count(room)}


@app.on_ws_message(route="devices", reply=True)
def devices(event):
    return sorted(c.id for c in app.connections.for_principal(event.connection.principal_id))


@app.on_ws_message(route="dm")
def dm(event):
    app.connections.send_to_principal(event.json_body["to"], event.json_body["text"])


@app.on_ws_message(route="shout")
def shout(event):
    result = app.groups.send(
        event.json_body["room"], event.json_body["text"], exclude=event.connection_id
    )
    app.websocket_api.send(event.connection_id, f"delivered {len(result.delivered)}")


@app.on_ws_disconnect()
def disconnect(event):
    me = event.connection  # still recorded: the entry point deletes it after this handler
    for room in me.groups:
        app.groups.send(room, f"{me.attributes['nick']} left {room}", exclude=me.id)
