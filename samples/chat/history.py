"""A room's last messages, replayed to whoever joins it.

They live in the DynamoDB table CHAT_HISTORY_TABLE names (`ChatHistoryTable` of
resources.yaml: a room's messages under its key, by time, each deleted by the table's TTL a
week later). Without that variable (plain `wsgen local`, a test client without DynamoDB)
they live in this process's memory instead, as long as it runs.
"""

import collections
import os
import time

from runtime import call_aws_json

KEEP = 10
"""How many of a room's last messages a joiner gets."""
TTL_S = 7 * 24 * 3600

_memory = collections.defaultdict(lambda: collections.deque(maxlen=KEEP))


def add(room, line):
    """Keep `line`, said in `room`; returns it."""
    table = os.environ.get("CHAT_HISTORY_TABLE")
    if not table:
        _memory[room].append(line)
        return line
    now = time.time_ns()  # the sort key: ns apart, two lines never share one
    item = {"room": {"S": room}, "sent_at": {"N": str(now)}, "line": {"S": line}}
    item["expires"] = {"N": str(now // 10**9 + TTL_S)}
    _dynamodb("PutItem", {"TableName": table, "Item": item})
    return line


def replay(websocket_api, room, connection_id):
    """Send the room's last KEEP lines to the connection, oldest first."""
    for line in _last(room):
        websocket_api.send(connection_id, line)


def _last(room):
    table = os.environ.get("CHAT_HISTORY_TABLE")
    if not table:
        return list(_memory[room])
    found = _dynamodb(
        "Query",
        {
            "TableName": table,
            "KeyConditionExpression": "#room = :room",
            "ExpressionAttributeNames": {"#room": "room"},
            "ExpressionAttributeValues": {":room": {"S": room}},
            "ScanIndexForward": False,  # newest first: the last KEEP, reversed below
            "Limit": KEEP,
        },
    )
    return [item["line"]["S"] for item in reversed(found["Items"])]


def _dynamodb(operation, payload):
    # AWS_ENDPOINT_URL_DYNAMODB (wsgen local --dynamodb, the tests) or the region's table
    return call_aws_json("dynamodb", f"DynamoDB_20120810.{operation}", payload, json_version="1.0")
