"""What the runtime and the wsgen tool agree on: route keys, names, limits.

Anything the runtime and the tool must spell the same way is defined here once (the seams
between them: docs/contributing.md#runtime-and-wsgen).
"""

from __future__ import annotations

TYPE_CHECKING = False  # typing costs import time; mypy reads this name as typing's
if TYPE_CHECKING:
    from typing import Any

CONNECT = "$connect"
DISCONNECT = "$disconnect"
DEFAULT = "$default"
PREDEFINED_ROUTES = (CONNECT, DISCONNECT, DEFAULT)

FEATURE_FLAG = "WEBSOCKETS"
FEATURE_FLAG_LINE = "app.experimental_feature_flags.update(['WEBSOCKETS'])"

DEFAULT_ROUTE_SELECTION_EXPRESSION = "$request.body.action"

ENDPOINT_ENV = "WSGEN_WEBSOCKET_ENDPOINT"
"""The management endpoint (`https://{apiId}.execute-api.{region}.amazonaws.com/{stage}`)."""

CONNECTIONS_TABLE_ENV = "WSGEN_CONNECTIONS_TABLE"
"""The DynamoDB table of tracked connections (`App(..., connections=True)`)."""

APP_ENV = "WSGEN_APP"
"""Where a function serving an event handler finds the app: `module.attribute` (`app.app`)."""
FUNCTION_ENV = "WSGEN_FUNCTION"
"""The name of the event handler (schedule, queue, ...) a function serves."""
FUNCTION_HANDLER = "runtime.entry.handler"
"""The Lambda `Handler` of the functions serving event handlers (see `runtime/entry.py`)."""

# The event handlers' kinds, spelled as the decorators (and Chalice's handler types).
SCHEDULE = "schedule"
SQS = "on_sqs_message"
SNS = "on_sns_message"
CW_EVENT = "on_cw_event"
DYNAMODB = "on_dynamodb_record"
LAMBDA_FUNCTION = "lambda_function"
TASK = "task"
"""`@app.task()`: a function started by `task.delay()` with an asynchronous invocation."""
FAN_OUT = "fan_out"
"""`App(..., fan_out=True)`'s consumer of the fan-out queue: the shards' function."""
FUNCTION_KINDS = (SCHEDULE, SQS, SNS, CW_EVENT, DYNAMODB, LAMBDA_FUNCTION, TASK, FAN_OUT)

FUNCTION_NAME_ENV = "AWS_LAMBDA_FUNCTION_NAME"
"""Lambda's name of the running function: where `@app.on_ws_connected` is started."""
FUNCTION_VERSION_ENV = "AWS_LAMBDA_FUNCTION_VERSION"
"""The running version (`$LATEST`, or a published one: a `snap_start` function's)."""

TASK_KEY = "wsgen.task"
"""The key of a task's invocation payload naming the task
(`{"wsgen.task": name, "args": [...], "kwargs": {...}}`)."""

TASK_PREFIX_ENV = "WSGEN_TASK_FUNCTION_PREFIX"
"""What a task's Lambda function name starts with (the stack's name and `-`); the template
names each task's function `{prefix}{task name}`."""

FAN_OUT_FUNCTION = "wsgen_fan_out"
"""The name of the function sending the shards of a fan-out (its `[functions.NAME]`)."""
FAN_OUT_KEY = "wsgen.fan_out"
"""The key of a shard message's body naming its fan-out (`{"wsgen.fan_out": id, ...}`)."""
FAN_OUT_QUEUE_ENV = "WSGEN_FAN_OUT_QUEUE_URL"
"""The URL of the SQS queue the shards of a fan-out go through (`App(..., fan_out=True)`)."""
FAN_OUT_THRESHOLD_ENV = "WSGEN_FAN_OUT_THRESHOLD"
"""Above this many ids a fan-out goes to shards (unless `websocket_api.fan_out_threshold`)."""
DYNAMODB_ENDPOINT_ENV = "AWS_ENDPOINT_URL_DYNAMODB"
"""Where boto3 (1.28 and later) and the runtime send DynamoDB calls
(docs/aws-facts.md#sdk-endpoints); wsgen local and the test client set it."""
SQS_ENDPOINT_ENV = "AWS_ENDPOINT_URL_SQS"
"""Where boto3 and the runtime send SQS calls; wsgen local sets it to its queues' endpoint."""
FAN_OUT_BATCH_SIZE = 10
"""Shards per invocation of the fan-out function: the template's event source mapping and
the emulators' batches (no batching window is needed up to 10)."""
FAN_OUT_MAX_RECEIVES = 5
"""How many times the fan-out queue delivers a shard before its redrive policy moves it
to the dead-letter queue (the template's `maxReceiveCount`; the consumer reads it too).
5, AWS's least for an SQS event source: a batch the poller could not hand to a throttled
function counts as a receive too (docs/aws-facts.md#fan-out)."""

CONNECTED_KEY = "wsgen.connected"
"""The key of an asynchronous invocation's payload holding the `$connect` event whose
`@app.on_ws_connected` handler it runs (`{"wsgen.connected": event}`)."""

# https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-execution-service-websocket-limits-table.html
MAX_MESSAGE_BYTES = 128 * 1024
MAX_FRAME_BYTES = 32 * 1024

ACCEPT_HANDLER_NAME = "(accept)"
"""`RouteSpec.handler_name` of a `$connect` (or, tracking connections, `$disconnect`) route
the app has no handler for: the entry point accepts."""

MIDDLEWARE_EVENT_TYPES = (
    "all",
    "websocket",
    "http",
    "s3",
    "sns",
    "sqs",
    "cloudwatch",
    "kinesis",
    "dynamodb",
    "scheduled",
    "pure_lambda",
)
"""Chalice's middleware event types: `all` runs for every handler, `websocket` for the
`on_ws_*` ones; the others name Chalice's other handler kinds."""

EVENT_CONNECT = "CONNECT"
EVENT_MESSAGE = "MESSAGE"
EVENT_DISCONNECT = "DISCONNECT"


PRINCIPAL_INDEX = "principal"
TTL_ATTRIBUTE = "expires_at"


def connections_table_schema() -> dict[str, Any]:
    """The connections table's keys and index, as `CreateTable` and CloudFormation take them.

    One table holds three kinds of item (see `runtime.dynamodb`): a connection
    (`pk = conn#{id}`, `sk = conn`), a group membership (`pk = group#{name}`, `sk = {id}`) and
    a connection counter (`pk = count#{bucket}`, `sk = count`). The sparse `principal` index
    holds the connections an authorizer named. `wsgen template` deploys it, and `wsgen local
    --dynamodb` creates it, from this one definition.
    """
    return {
        "AttributeDefinitions": [
            {"AttributeName": name, "AttributeType": "S"} for name in ("pk", "principal_id", "sk")
        ],
        "KeySchema": [
            {"AttributeName": "pk", "KeyType": "HASH"},
            {"AttributeName": "sk", "KeyType": "RANGE"},
        ],
        "GlobalSecondaryIndexes": [
            {
                "IndexName": PRINCIPAL_INDEX,
                "KeySchema": [{"AttributeName": "principal_id", "KeyType": "HASH"}],
                "Projection": {"ProjectionType": "KEYS_ONLY"},
            }
        ],
    }
