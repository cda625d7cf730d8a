"""The app's SQS queues under `wsgen local`: an SQS endpoint of their own, and their pollers.

Each `@app.on_sqs_message(queue="name")` gets the queue the template would create (and each
`queue_arn=` handler the queue of that ARN's account and name, which AWS has already), as a
`wsgen.gateway.fanout.ShardQueue` polled by a `ShardConsumer` (Lambda's poller: the handler's
`batch_size` and batching window, its `maximum_concurrency`, partial batch responses, a
failed message delivered again after `LOCAL_VISIBILITY_S`, dropped with a log line after
`MAX_RECEIVES` deliveries). `LocalSqs` serves them on a loopback port of their own, in SQS's
JSON protocol (`X-Amz-Target: AmazonSQS.SendMessage`, docs/aws-facts.md#local-sqs), so boto3
and `runtime.call_aws_json` reach it through `AWS_ENDPOINT_URL_SQS`: SendMessage,
SendMessageBatch, GetQueueUrl and GetQueueAttributes' `QueueArn`; any other action is
answered `UnsupportedOperation`. A queue's URL is `http://127.0.0.1:PORT/ACCOUNT/NAME`, its
ARN AWS's (`arn:aws:sqs:REGION:ACCOUNT:NAME`). What SQS accepts of a message, and a FIFO
queue's group, deduplication and order, are `wsgen.gateway.sqs`'s, which the test client
follows too; this module is the endpoint: the protocol, the queues' names, URLs and ARNs, and
SendMessageBatch.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from runtime.contract import SQS
from runtime.spec import AppSpec

from .. import arns
from ..gateway.fanout import ShardQueue
from ..gateway.sqs import (
    MAX_MESSAGE_BYTES,
    MAX_RECEIVES,
    SqsError,
    queue_home,
    read_message,
    send_fifo,
    sent_answer,
)
from ..sources.checks import queue_name
from ..sources.events import Where
from ..template.names import logical_id
from .fanout import ShardConsumer
from .functions import Functions
from .http import HttpError, read_body, read_request, response_bytes
from .log import EventLog

MAX_BATCH_ENTRIES = 10
MAX_REQUEST_BYTES = 4 * MAX_MESSAGE_BYTES
"""A request body past this is refused before it is parsed: JSON's escapes at most triple a
batch's bodies (`\\u00e9`, 6 bytes, for the 2 of an é), which leaves room for the rest."""
ACTIONS = ("SendMessage", "SendMessageBatch", "GetQueueUrl", "GetQueueAttributes")
_ENTRY_ID = re.compile(r"^[A-Za-z0-9_-]{1,80}$")

_QUERY_CODES = {
    "QueueDoesNotExist": "AWS.SimpleQueueService.NonExistentQueue",
    "TooManyEntriesInBatchRequest": "AWS.SimpleQueueService.TooManyEntriesInBatchRequest",
    "EmptyBatchRequest": "AWS.SimpleQueueService.EmptyBatchRequest",
    "BatchEntryIdsNotDistinct": "AWS.SimpleQueueService.BatchEntryIdsNotDistinct",
    "BatchRequestTooLong": "AWS.SimpleQueueService.BatchRequestTooLong",
    "InvalidBatchEntryId": "AWS.SimpleQueueService.InvalidBatchEntryId",
    "UnsupportedOperation": "AWS.SimpleQueueService.UnsupportedOperation",
}
"""An error's code in `x-amzn-query-error`, where it is not the error's own name."""


@dataclass
class _Queue:
    name: str
    account: str
    """The account that owns it: the one its URL and ARN name (`queue_home`)."""
    handler: str
    logical_id: str | None
    """The template's `<Handler>Queue`; None for a `queue_arn=` handler's queue."""
    url: str
    arn: str
    messages: ShardQueue
    consumer: ShardConsumer
    sent_ids: dict[str, tuple[float, dict[str, Any]]] = field(default_factory=dict)
    """A FIFO queue's deduplication ids sent in the last `DEDUPLICATION_S`: when, and what
    SendMessage answered."""


class LocalSqs:
    """The app's queues, on `http://host:port/` once `listen()` returned."""

    def __init__(self, where: Where, log: EventLog, functions: Callable[[], Functions | None]):
        self.where = where
        self.log = log
        self._functions = functions
        self.queues: dict[str, _Queue] = {}
        """By queue name."""
        self.endpoint = ""
        """`http://host:port`, what `AWS_ENDPOINT_URL_SQS` is set to."""
        self._server: asyncio.Server | None = None
        self._clients: set[asyncio.Task[None]] = set()
        self._told: set[str] = set()
        """Handlers of a queue another handler reads, once told so in the log."""

    async def listen(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Serve on `port` of `host` (0: a free one); the endpoint."""
        self._server = await asyncio.start_server(self._client, host, port)
        port = self._server.sockets[0].getsockname()[1]
        self.endpoint = f"http://{f'[{host}]' if ':' in host else host}:{port}"
        return self.endpoint

    def use(self, spec: AppSpec, settings: Any) -> list[str]:
        """Make a queue for each of `spec`'s SQS handlers not made yet (a reload keeps the
        others and their messages); the names of those made.

        A `queue_arn=` handler's queue exists on AWS already; locally it is served under the
        ARN's account and name (`http://host:port/ACCOUNT/NAME`), its ARN the one given, so
        the app's code sending to that queue (its deployed URL included, see `_queue`)
        reaches the handler here. A second handler of a queue already served is told in
        the log: the first reads its messages.
        """
        made = []
        for function in spec.functions:
            if function.kind != SQS:
                continue
            plan = settings.handler_settings(function)
            name = queue_name(function)
            arn = function.options.get("queue_arn")
            home = queue_home(function, self.where)
            existing = self.queues.get(name)
            if existing is not None:
                if existing.handler == function.name:
                    existing.consumer.maximum_concurrency = plan.maximum_concurrency
                elif function.name not in self._told:
                    self._told.add(function.name)
                    self.log.info(
                        f"wsgen local: SQS queue {name} is read by handler {existing.handler}; "
                        f"{function.name} gets no messages of it locally (on AWS two mappings "
                        "of one queue share its messages)"
                    )
                continue
            messages = ShardQueue(
                home,
                function=function,
                batch_size=function.options["batch_size"],
                window_s=float(function.options["maximum_batching_window_in_seconds"] or 0),
                max_receives=MAX_RECEIVES,
            )
            messages.on_dead_letter = self._dropper(name)
            consumer = ShardConsumer(messages, self._functions, function.name)
            consumer.maximum_concurrency = plan.maximum_concurrency
            self.queues[name] = _Queue(
                name,
                home.account,
                function.name,
                None if arn else logical_id("Queue", handler=function.name),
                f"{self.endpoint}/{home.account}/{name}",
                arn or arns.arn("sqs", home.region, home.account, name),
                messages,
                consumer,
            )
            made.append(name)
        return made

    def refs(self) -> dict[str, str]:
        """What wsgen.toml's intrinsics of the queues resolve to: `{ Ref = "<Handler>Queue" }`
        the queue's URL (by logical id), `{ "Fn::GetAtt" = ["<Handler>Queue", "Arn"] }` its
        ARN (by `<Handler>Queue.Arn`), `... "QueueName"]` its local name (the name given: no
        stack prefixes it here)."""
        refs = {}
        for queue in self.queues.values():
            if queue.logical_id is None:  # a queue_arn= queue: not the template's
                continue
            refs[queue.logical_id] = queue.url
            refs[f"{queue.logical_id}.Arn"] = queue.arn
            refs[f"{queue.logical_id}.QueueName"] = queue.name
        return refs

    def _dropper(self, name: str) -> Callable[[str, int], None]:
        def dropped(message_id: str, receives: int) -> None:
            self.log.error(
                f"wsgen local: queue {name}: message {message_id} failed {receives} times and "
                "is dropped (on AWS it would be delivered again until the queue's retention "
                "period ends, or go to a dead-letter queue)"
            )

        return dropped

    def close(self) -> None:
        """Stop listening (again is harmless: the emulator's stop does it even when another
        step of stopping failed, so the port is never left bound)."""
        if self._server is not None:
            self._server.close()

    async def stop(self) -> None:
        self.close()
        for client in list(self._clients):
            client.cancel()
        for queue in self.queues.values():
            await queue.consumer.stop()
        await asyncio.gather(*self._clients, return_exceptions=True)

    # The endpoint

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._clients.add(task)
        try:
            while True:
                try:
                    request = await read_request(reader)
                    if request is None:
                        return
                    body = await read_body(reader, request, MAX_REQUEST_BYTES)
                except HttpError as exc:
                    writer.write(_error_bytes(SqsError("InvalidRequest", exc.message, exc.status)))
                    return
                except Exception:  # over the limit, or a body that will not parse
                    writer.write(_error_bytes(SqsError("InvalidRequest", "malformed request")))
                    return
                status, answer = self.answer(request.header("X-Amz-Target"), body)
                headers = [
                    ("Content-Type", "application/x-amz-json-1.0"),
                    ("x-amzn-RequestId", str(uuid.uuid4())),
                ]
                if isinstance(answer, SqsError):
                    code = _QUERY_CODES.get(answer.code, answer.code)
                    fault = "Sender" if answer.status < 500 else "Receiver"
                    headers.append(("x-amzn-query-error", f"{code};{fault}"))
                    data = _error_body(answer)
                else:
                    data = json.dumps(answer).encode()
                keep = request.keep_alive
                headers.append(("Connection", "keep-alive" if keep else "close"))
                writer.write(response_bytes(status, headers, data))
                await writer.drain()
                if not keep:
                    return
        except (OSError, asyncio.IncompleteReadError, asyncio.CancelledError):
            pass
        finally:
            self._clients.discard(task)
            with contextlib.suppress(Exception):
                writer.close()

    def answer(self, target: str | None, body: bytes) -> tuple[int, dict[str, Any] | SqsError]:
        """The status and result (or error) of one call."""
        try:
            return 200, self._call(target, body)
        except SqsError as exc:
            return exc.status, exc

    def _call(self, target: str | None, body: bytes) -> dict[str, Any]:
        prefix, _, action = (target or "").partition(".")
        if prefix != "AmazonSQS" or not action:
            raise SqsError(
                "UnknownOperationException",
                "send X-Amz-Target: AmazonSQS.<Action> (SQS's JSON protocol; boto3 1.34.90+)",
            )
        if action not in ACTIONS:
            raise SqsError(
                "UnsupportedOperation",
                f"wsgen local's SQS answers {', '.join(ACTIONS)}, not {action}: its queues are "
                "read by their handlers, as Lambda's poller reads them",
            )
        try:
            request = json.loads(body or b"{}")
        except ValueError:
            request = None
        if not isinstance(request, dict):
            raise SqsError("SerializationException", "the body must be a JSON object")
        if action == "GetQueueUrl":
            name = request.get("QueueName")
            owner = request.get("QueueOwnerAWSAccountId")  # another account's queue
            queue = self.queues.get(name) if isinstance(name, str) else None
            if queue is None or owner not in (None, queue.account):
                raise self._missing(f"name {name!r}" + (f" in account {owner}" if owner else ""))
            return {"QueueUrl": queue.url}
        queue = self._queue(request.get("QueueUrl"))
        if action == "GetQueueAttributes":
            return {"Attributes": {"QueueArn": queue.arn}}
        if action == "SendMessage":
            return self._send(queue, request)
        return self._send_batch(queue, request)

    def _queue(self, url: Any) -> _Queue:
        """The queue a `QueueUrl` names, by its path (`/ACCOUNT/NAME`), whatever its host:
        the request reaches this endpoint whatever host the URL names, and the deployed URL
        of a `queue_arn=` queue (`https://sqs.REGION.amazonaws.com/ACCOUNT/NAME`) is what
        the app's code holds for it."""
        if not isinstance(url, str) or not url:
            raise SqsError("MissingParameter", "the request must contain QueueUrl")
        path = urlsplit(url).path.strip("/").split("/")
        queue = self.queues.get(path[-1]) if len(path) == 2 else None
        if queue is None or path[0] != queue.account:
            raise self._missing(f"URL {url!r}")
        return queue

    def _missing(self, what: str) -> SqsError:
        have = ", ".join(q.url for q in self.queues.values()) or "none"
        return SqsError(
            "QueueDoesNotExist",
            f"The specified queue does not exist. wsgen local has no queue of {what}; it has "
            f"the app's on_sqs_message queues: {have}. For another SQS, export "
            "AWS_ENDPOINT_URL_SQS before wsgen local starts",
        )

    def _send(self, queue: _Queue, request: dict[str, Any]) -> dict[str, Any]:
        body, delay, attributes = read_message(request)
        if queue.messages.fifo:
            return send_fifo(queue.messages, queue.sent_ids, body, delay, attributes, request)
        message_id = queue.messages.send(body, delay, attributes)
        return sent_answer(message_id, body, request)

    def _send_batch(self, queue: _Queue, request: dict[str, Any]) -> dict[str, Any]:
        entries = request.get("Entries")
        if not isinstance(entries, list) or not entries:
            raise SqsError(
                "EmptyBatchRequest",
                "There should be at least one SendMessageBatchRequestEntry in the request.",
            )
        if len(entries) > MAX_BATCH_ENTRIES:
            raise SqsError(
                "TooManyEntriesInBatchRequest",
                f"Maximum number of entries per request are {MAX_BATCH_ENTRIES}. You have sent "
                f"{len(entries)}.",
            )
        ids = [entry.get("Id") if isinstance(entry, dict) else None for entry in entries]
        for entry_id in ids:
            if not isinstance(entry_id, str) or not _ENTRY_ID.match(entry_id):
                raise SqsError(
                    "InvalidBatchEntryId",
                    "A batch entry id can only contain alphanumeric characters, hyphens and "
                    "underscores. It can be at most 80 letters long.",
                )
        if len(set(ids)) != len(ids):
            raise SqsError(
                "BatchEntryIdsNotDistinct",
                "Two or more batch entries in the request have the same Id.",
            )
        size = sum(len(str(entry.get("MessageBody", "")).encode()) for entry in entries)
        if size > MAX_MESSAGE_BYTES:
            raise SqsError(
                "BatchRequestTooLong",
                f"Batch requests cannot be longer than {MAX_MESSAGE_BYTES} bytes. You have "
                f"sent {size} bytes.",
            )
        successful, failed = [], []
        for entry in entries:
            try:
                body, delay, attributes = read_message(entry)
                if queue.messages.fifo:
                    sent = send_fifo(queue.messages, queue.sent_ids, body, delay, attributes, entry)
                else:
                    sent = sent_answer(queue.messages.send(body, delay, attributes), body, entry)
            except SqsError as exc:
                failed.append(
                    {
                        "Id": entry["Id"],
                        "SenderFault": True,
                        "Code": exc.code,
                        "Message": exc.message,
                    }
                )
                continue
            successful.append({"Id": entry["Id"], **sent})
        return {"Successful": successful, "Failed": failed}


def _error_body(error: SqsError) -> bytes:
    return json.dumps(
        {"__type": f"com.amazonaws.sqs#{error.code}", "message": error.message}
    ).encode()


def _error_bytes(error: SqsError) -> bytes:
    headers = [("Content-Type", "application/x-amz-json-1.0"), ("Connection", "close")]
    return response_bytes(error.status, headers, _error_body(error))
