"""An app announcing to audiences of any size: groups and every connection, through shards."""

import json

from runtime import App

app = App(app_name="announce", connections=True, fan_out=True)
app.experimental_feature_flags.update(["WEBSOCKETS"])


@app.on_ws_message(route="follow")
def follow(event):
    app.groups.join(event.json_body["topic"], event.connection_id)


@app.on_ws_message(route="publish", reply=True)
def publish(event):
    result = app.groups.send(event.json_body["topic"], json.dumps(event.json_body["news"]))
    return {"sent": len(result.delivered), "enqueued": result.enqueued, "id": result.fan_out_id}


@app.schedule("rate(1 hour)")
def hourly(event):
    app.connections.send_all(json.dumps({"time": event.time}))
