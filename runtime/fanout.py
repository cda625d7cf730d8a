"""Fan-out at scale: a large audience handed to shards through the app's SQS queue.

`app.websocket_api.fan_out(ids, message)` (and `app.groups.send()`, `app.connections.send_all()`
in an app created with `fan_out=True`) sends to at most `websocket_api.threshold` ids itself,
with `broadcast()`. Above it, the ids are split into shards of `SHARD_SIZE`, each one SQS
message (`{"wsgen.fan_out": id, "ids": [...], "text" or "binary": ..., "group": ...,
"attempt": n}`), sent ten to a `SendMessageBatch` request: the caller returns once SQS holds
them, with `BroadcastResult.enqueued` counting the ids handed over.

The fan-out function (`wsgen_fan_out`, its own Lambda function polling the queue) sends each
shard with `broadcast()` (up to 64 posts in flight, each post retried on 429 and 5xx by
`runtime.aws`: 3 attempts, jittered backoff), forgets the ids found gone, and then:

- ids still throttled or failing with a 5xx go back to the queue as a shard of their own,
  delayed by a jittered backoff, until the shard's `MAX_SHARD_ATTEMPTS`; the delivered ones
  are never sent twice; other refusals (403, 413) count as failed at once;
- a shard whose last attempt reached none of its ids is reported as a batch item failure:
  SQS delivers it again, and after `FAN_OUT_MAX_RECEIVES` moves it to the dead-letter queue.

So a post is tried at most 3 x 3 x `FAN_OUT_MAX_RECEIVES` (5) times. Each shard's outcome is
one JSON line on stdout (CloudWatch Logs), and in a tracked app (`connections=True`) it is
added to the fan-out's counters in the connections store, which
`app.connections.fan_out_status(id)` reads.
docs/aws-facts.md#fan-out has the limits the sizes come from.
"""

from __future__ import annotations

import os

from .contract import FAN_OUT_KEY, FAN_OUT_MAX_RECEIVES, FAN_OUT_QUEUE_ENV
from .exceptions import FanOutQueueError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

    from .broadcast import BroadcastResult

    Enqueue = Callable[[list[str], int], dict[int, Exception]]
    """Queues shard bodies with a delay in seconds; the errors of those not queued, by index."""

SHARD_SIZE = 1000
"""Ids per shard message: about 0.3 s of posting at 64 in flight and 20 ms a post."""
MAX_BATCH_ENTRIES = 10
"""Messages per `SendMessageBatch` request (SQS's limit)."""
MAX_BATCH_BYTES = 262144
"""Bytes of message bodies per message and per `SendMessageBatch` request: 256 KiB, the limit
SQS documented until 2025 (1 MiB since), so the queue works in every region."""
MAX_SHARD_ATTEMPTS = 3
"""Times the fan-out function tries the ids of a shard that failed (429, 5xx after the
client's own retries) before it counts them as failed."""
RETRY_DELAY_S = 2
"""A retried shard waits a random 1..RETRY_DELAY_S * 2 ** (attempt - 1) seconds in the queue."""


def new_id() -> str:
    """A fan-out's id: 16 random bytes as hex."""
    return os.urandom(16).hex()


def shard_bodies(
    fan_out_id: str,
    ids: list[str],
    message: str | bytes,
    group: str | None = None,
    attempt: int = 1,
    size: int | None = None,
) -> tuple[list[tuple[str, list[str]]], list[str]]:
    """The shard messages for `ids`, each with its ids: `size` ids (`SHARD_SIZE`), fewer
    where the message would be over 256 KiB; and the ids whose one-id shard is still over it
    (a message whose JSON escaping outgrows SQS's limit): those cannot be queued.

    Sizes are UTF-8 bytes of the body as SQS counts them: non-ASCII text stays as it is
    (escaping it would triple it), only JSON's own escapes grow it.
    """
    size = size or SHARD_SIZE
    import json

    head: dict[str, Any] = {FAN_OUT_KEY: fan_out_id, "attempt": attempt}
    if group is not None:
        head["group"] = group
    if isinstance(message, str):
        head["text"] = message
    else:
        import base64

        head["binary"] = base64.b64encode(message).decode()
    shards: list[tuple[str, list[str]]] = []
    unfit: list[str] = []
    pending = [ids[start : start + size] for start in range(0, len(ids), size)]
    while pending:
        chunk = pending.pop(0)
        body = json.dumps({**head, "ids": chunk}, separators=(",", ":"), ensure_ascii=False)
        if len(body.encode()) > MAX_BATCH_BYTES:
            if len(chunk) > 1:
                half = len(chunk) // 2
                pending[:0] = [chunk[:half], chunk[half:]]
            else:
                unfit += chunk
            continue
        shards.append((body, chunk))
    return shards, unfit


def too_big(fan_out_id: str, unfit: list[str]) -> FanOutQueueError:
    """The error of ids whose shard is over SQS's limit; logged once."""
    error = FanOutQueueError(
        None,
        f"a shard of one id is over SQS's {MAX_BATCH_BYTES}-byte message limit (the message's "
        "JSON escapes outgrow it): send a shorter message",
    )
    _warn(f"{len(unfit)} ids not queued:", fan_out_id, error)
    return error


def enqueue(
    queue: Enqueue,
    ids: list[str],
    message: str | bytes,
    result: BroadcastResult,
    group: str | None = None,
) -> BroadcastResult:
    """Hand `ids` to shards through `queue`; `result` gains the fan-out id and `enqueued`.

    The ids of shards the queue refused go to `result.failed`, with its error.
    """
    fan_out_id = new_id()
    result.fan_out_id = fan_out_id
    shards, unfit = shard_bodies(fan_out_id, ids, message, group)
    if unfit:
        result.failed.update(dict.fromkeys(unfit, too_big(fan_out_id, unfit)))
    errors = queue([body for body, _ in shards], 0) if shards else {}
    for index, (_, chunk) in enumerate(shards):
        error = errors.get(index)
        if error is None:
            result.enqueued += len(chunk)
        else:
            for connection_id in chunk:
                result.failed[connection_id] = error
    return result


# Sending to the queue -------------------------------------------------------------------

TARGET_PREFIX = "AmazonSQS."
"""`X-Amz-Target` of SQS's JSON 1.0 protocol: this prefix and the operation name."""


def batches(bodies: list[str]) -> list[list[int]]:
    """Indexes of `bodies` grouped per request: at most 10 and 256 KiB of bodies each."""
    groups: list[list[int]] = []
    size = 0
    for index, body in enumerate(bodies):
        length = len(body.encode())
        if not groups or len(groups[-1]) == MAX_BATCH_ENTRIES or size + length > MAX_BATCH_BYTES:
            groups.append([])
            size = 0
        groups[-1].append(index)
        size += length
    return groups


def send_to_queue(bodies: list[str], delay_s: int = 0) -> dict[int, Exception]:
    """Send shard bodies to the queue `WSGEN_FAN_OUT_QUEUE_URL` names; errors by index.

    In Lambda, `SendMessageBatch` requests through `runtime.aws_json.call_aws_json` (SQS's JSON
    protocol), retried as AWS SDKs' standard mode does; an entry SQS failed on its side is
    sent once more. Elsewhere (no Lambda credentials) boto3's client.
    """
    url = os.environ.get(FAN_OUT_QUEUE_ENV)
    if not url:
        missing = FanOutQueueError(
            None,
            f"{FAN_OUT_QUEUE_ENV} is not set: deploy with the template of wsgen template, or "
            "run the app under wsgen local or wsgen.testing.Client",
        )
        return dict.fromkeys(range(len(bodies)), missing)
    from .aws import credentials

    found = credentials()
    call = _boto3_batch if found is None else _signed_batch
    errors: dict[int, Exception] = {}
    for group in batches(bodies):
        entries = {str(i): bodies[i] for i in group}
        for attempt in range(2):
            failed: dict[str, tuple[bool, Exception]]
            try:
                failed = call(url, entries, delay_s, found)
            except FanOutQueueError as exc:
                failed = {key: (True, exc) for key in entries}
            retry = {key: entries[key] for key, (sender, _) in failed.items() if not sender}
            if attempt == 0 and retry:
                for key in failed.keys() - retry.keys():
                    errors[int(key)] = failed[key][1]
                entries = retry
                continue
            for key, (_, error) in failed.items():
                errors[int(key)] = error
            break
    return errors


def _signed_batch(
    url: str, entries: dict[str, str], delay_s: int, found: Any
) -> dict[str, tuple[bool, Exception]]:
    """One `SendMessageBatch` through runtime.aws; the failed entries: (sender's fault, error).

    It goes to `AWS_ENDPOINT_URL_SQS` (or `AWS_ENDPOINT_URL`) when set, else to the queue
    URL's own host.
    """
    from .aws_json import call_aws_json, service_endpoint
    from .exceptions import AwsApiError

    scheme, _, rest = url.partition("://")
    endpoint = service_endpoint("sqs", default=f"{scheme}://{rest.split('/', 1)[0]}")
    payload = {"QueueUrl": url, "Entries": _entries(entries, delay_s)}
    try:
        answer = call_aws_json(
            "sqs",
            TARGET_PREFIX + "SendMessageBatch",
            payload,
            json_version="1.0",
            endpoint=endpoint,
            credentials=found,
        )
    except OSError as exc:
        raise FanOutQueueError(None, f"{type(exc).__name__}: {exc}") from exc
    except AwsApiError as exc:
        raise FanOutQueueError(exc.code, exc.message or f"HTTP {exc.status}") from exc
    return _failed(answer)


def _boto3_batch(
    url: str, entries: dict[str, str], delay_s: int, found: Any
) -> dict[str, tuple[bool, Exception]]:
    """The same request through boto3 (a developer's machine, a profile)."""
    import boto3

    try:
        answer = boto3.client("sqs").send_message_batch(
            QueueUrl=url, Entries=_entries(entries, delay_s)
        )
    except Exception as exc:
        error = getattr(exc, "response", {}).get("Error", {})
        raise FanOutQueueError(error.get("Code"), str(exc)) from exc
    return _failed(answer)


def _entries(entries: dict[str, str], delay_s: int) -> list[dict[str, Any]]:
    """`SendMessageBatch`'s `Entries`: each body under its id, with the delay if any."""
    delay = {"DelaySeconds": delay_s} if delay_s else {}
    return [{"Id": key, "MessageBody": body, **delay} for key, body in entries.items()]


def _failed(answer: dict[str, Any]) -> dict[str, tuple[bool, Exception]]:
    """The entries a `SendMessageBatch` answer failed: (sender's fault, error) by id."""
    return {
        str(entry["Id"]): (
            bool(entry.get("SenderFault")),
            FanOutQueueError(entry.get("Code"), str(entry.get("Message") or "refused")),
        )
        for entry in answer.get("Failed") or ()
    }


# The fan-out function ---------------------------------------------------------------------


def consume(app: Any, event: Any, context: Any) -> dict[str, Any]:
    """The fan-out function's handler: send each shard of the SQS batch; its failures.

    Returns Lambda's partial batch response: the shards to deliver again are those none of
    whose ids could be reached, and those that could not be read.
    """
    failures = []
    for record in event["Records"]:
        try:
            done = _shard(app, record)
        except Exception as exc:
            import logging

            logging.getLogger("runtime").exception(
                "fan-out shard %s failed: %s: %s", record.get("messageId"), type(exc).__name__, exc
            )
            done = False
        if not done:
            failures.append({"itemIdentifier": record["messageId"]})
    return {"batchItemFailures": failures}


def _shard(app: Any, record: dict[str, Any]) -> bool:
    """Send one shard; False when SQS should deliver it again (nothing reached anyone)."""
    import json

    body = json.loads(record["body"])
    fan_out_id = body[FAN_OUT_KEY]
    ids = [str(i) for i in body["ids"]]
    attempt = int(body.get("attempt") or 1)
    group = body.get("group")
    if "text" in body:
        message: str | bytes = body["text"]
    else:
        import base64

        message = base64.b64decode(body["binary"])
    api = app.websocket_api
    result = api.broadcast(ids, message)  # a tracked app forgets the gone ids (on_gone)
    # From here on the shard was sent: what fails is logged, never a batch item failure,
    # which would send it again to every id it reached.
    if group is not None and result.gone and app.tracks_connections:
        try:
            app.groups.prune(group, result.gone)  # memberships outliving their connection
        except Exception as exc:
            _warn("could not prune group of", fan_out_id, exc)
    retryable = [i for i, error in result.failed.items() if _retryable(error)]
    reached_none = bool(retryable) and len(retryable) == len(ids)
    receives = int((record.get("attributes") or {}).get("ApproximateReceiveCount") or 1)
    counts = {"delivered": len(result.delivered), "gone": len(result.gone), "failed": 0}
    counts["failed"] = len(result.failed) - len(retryable)
    retried = 0
    if retryable and attempt < MAX_SHARD_ATTEMPTS and api.on_shards is not None:
        # Only the ids that failed go back, as a shard of their own: none is sent twice.
        retried = _requeue(api, fan_out_id, retryable, message, group, attempt)
        if not retried and reached_none and receives < FAN_OUT_MAX_RECEIVES:
            # Nobody got it and it could not be queued again: SQS delivers it again.
            _log(fan_out_id, attempt, receives, counts, 0, result)
            return False
        counts["failed"] += len(retryable) - retried
    elif reached_none and receives < FAN_OUT_MAX_RECEIVES:
        # Its last attempt reached no one: SQS delivers it again, then dead-letters it.
        _log(fan_out_id, attempt, receives, counts, len(retryable), result)
        return False
    else:
        counts["failed"] += len(retryable)
    _log(fan_out_id, attempt, receives, counts, retried, result)
    _count(app, fan_out_id, counts)
    return not (reached_none and not retried)


def _requeue(
    api: Any,
    fan_out_id: str,
    ids: list[str],
    message: str | bytes,
    group: str | None,
    attempt: int,
) -> int:
    """Queue `ids` again as shards of the next attempt, delayed; how many ids were queued
    (a queue that fails is logged)."""
    shards, unfit = shard_bodies(fan_out_id, ids, message, group, attempt + 1)
    if unfit:
        too_big(fan_out_id, unfit)
    if not shards:
        return 0
    try:
        errors = api.on_shards([b for b, _ in shards], _retry_delay(attempt))
    except Exception as exc:
        _warn("could not queue a retry of", fan_out_id, exc)
        return 0
    for error in {id(e): e for e in errors.values()}.values():
        _warn("could not queue a retry of", fan_out_id, error)
    return sum(len(chunk) for index, (_, chunk) in enumerate(shards) if index not in errors)


def _retryable(error: Exception) -> bool:
    """Throttling (429), a 5xx or the network: worth another attempt later."""
    from .exceptions import ManagementApiError

    if isinstance(error, ManagementApiError):
        return error.status == 429 or error.status >= 500
    return isinstance(error, OSError)


def _count(app: Any, fan_out_id: str, counts: dict[str, int]) -> None:
    """Add a shard's outcome to its fan-out's counters (tracked apps); a failure is logged:
    the shard was sent, and delivering it again would send it twice."""
    if not app.tracks_connections:
        return
    try:
        app.connections.add_fan_out(fan_out_id, counts)
    except Exception as exc:
        _warn("could not count", fan_out_id, exc)


def _warn(what: str, fan_out_id: str, exc: BaseException) -> None:
    import logging

    logging.getLogger("runtime").warning(
        "%s fan-out %s: %s: %s", what, fan_out_id, type(exc).__name__, exc
    )


def _retry_delay(attempt: int) -> int:
    """Seconds a retried shard waits in the queue: jittered, doubling per attempt."""
    ceiling: int = RETRY_DELAY_S << (attempt - 1)
    return 1 + int(int.from_bytes(os.urandom(2), "big")) % ceiling


def _log(
    fan_out_id: str,
    attempt: int,
    receives: int,
    counts: dict[str, int],
    retried: int,
    result: BroadcastResult,
) -> None:
    """One JSON line per shard on stdout, for CloudWatch Logs Insights."""
    import json
    import sys

    line: dict[str, Any] = {FAN_OUT_KEY: fan_out_id, "attempt": attempt, "receives": receives}
    line.update(counts)
    line["retried"] = retried
    if result.failed:
        first = next(iter(result.failed.values()))
        line["error"] = f"{type(first).__name__}: {first}"
    sys.stdout.write(json.dumps(line, separators=(",", ":")) + "\n")
