"""SQS queues as the front ends run them: in their own process, with SQS's rules.

On AWS a fan-out's shards go through the template's SQS queue to the fan-out function
(`runtime.fanout`). `wsgen local` and the test client give the app's background a
`ShardQueue` instead (`HeldBackground.on_shards`); `wsgen local` also keeps one for each queue
the template creates for an `@app.on_sqs_message(queue=...)` (`wsgen.local.sqs`). A queue holds
its messages, hands them out in batches as the SQS event Lambda would build (each message's
`messageId` kept across deliveries, `ApproximateReceiveCount` counted), and settles each batch
with the function's partial batch response: a message it lists is delivered again, and after
`max_receives` deliveries it goes to `dead_letters` (the fan-out's: the template's
dead-letter queue; a handler's queue logs it dropped, `on_dead_letter`). A message's delay is
kept: it is not handed out before it is due, and a message delivered again waits
`visibility_s` first, as SQS keeps it invisible for the queue's visibility timeout (the
template's is six times the function's timeout; locally `LOCAL_VISIBILITY_S`, so a retry shows
within seconds). A batch is `batch_size` messages at most; with a batching window
(`window_s`), fewer only once the first of them waited that long, as Lambda's poller gathers
them (docs/aws-facts.md#local-sqs). A FIFO queue's (`.fifo`) messages carry their
`MessageGroupId`, deduplication id and sequence number: they are handed out in the order they
were sent, a failed one back in its place, and none of a group while one of it is out
(docs/aws-facts.md#local-sqs).
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from runtime.contract import FAN_OUT_BATCH_SIZE, FAN_OUT_MAX_RECEIVES
from runtime.spec import FunctionSpec

from ..sources.checks import is_fifo
from ..sources.events import FAN_OUT_SPEC, Where, sqs_record

LOCAL_VISIBILITY_S = 1.0
"""Seconds a failed message waits before it is delivered again, in place of the visibility
timeout (minutes on AWS)."""
MAX_BATCH_PAYLOAD = 6 * 1024 * 1024
"""Lambda's poller stops filling a batch at the invocation payload limit, 6 MB."""


@dataclass
class _Message:
    body: str
    due: float
    attributes: dict[str, Any] = field(default_factory=dict)
    """Its message attributes, as the Lambda event carries them (`stringValue`, ...)."""
    message_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    sent_ms: str = field(default_factory=lambda: str(time.time_ns() // 1_000_000))
    first_received_ms: str | None = None
    receives: int = 0
    record: dict[str, Any] = field(default_factory=dict)
    fifo: dict[str, str] | None = None
    """A FIFO queue's message: its `MessageGroupId`, `MessageDeduplicationId` and
    `SequenceNumber`, as its record's attributes carry them."""


class ShardQueue:
    """Messages waiting for a function; safe to use from several threads."""

    def __init__(
        self,
        where: Where,
        clock: Any = time.monotonic,
        visibility_s: float = LOCAL_VISIBILITY_S,
        *,
        function: FunctionSpec = FAN_OUT_SPEC,
        batch_size: int = FAN_OUT_BATCH_SIZE,
        window_s: float = 0.0,
        max_receives: int = FAN_OUT_MAX_RECEIVES,
    ) -> None:
        self._where = where
        self._clock = clock
        self.visibility_s = visibility_s
        self.function = function
        """The consumer, as its records name it (`eventSourceARN`, FIFO attributes)."""
        self.batch_size, self.window_s = batch_size, window_s
        self.max_receives = max_receives
        self.fifo = is_fifo(function)
        self._sequence = 0
        self._lock = threading.Lock()
        self._waiting: list[_Message] = []
        self._out: dict[str, _Message] = {}
        self.sent = 0
        """Messages queued so far (a retried shard is a new message)."""
        self.dead_letters: list[str] = []
        """Bodies of the messages delivered `max_receives` times and failed each time."""
        self.on_put: Any = None
        """Called after messages were queued (the emulator wakes its consumer)."""
        self.on_dead_letter: Callable[[str, int], None] | None = None
        """Called with a message's id and receives when it is dead-lettered."""

    def put(self, bodies: list[str], delay_s: int = 0) -> dict[int, Exception]:
        """Queue messages, each due after `delay_s`; what `Background.shards` returns."""
        for body in bodies:
            self.send(body, delay_s, notify=False)
        if self.on_put is not None:
            self.on_put()
        return {}

    def send(
        self,
        body: str,
        delay_s: float = 0,
        attributes: dict[str, Any] | None = None,
        *,
        notify: bool = True,
    ) -> str:
        """Queue one message, due after `delay_s`, with its Lambda-shaped `attributes`;
        its message id. A FIFO queue's message is `send_fifo`'s."""
        message = _Message(body, self._clock() + delay_s, dict(attributes or {}))
        return self._queue(message, notify)

    def send_fifo(
        self, body: str, group: str, deduplication: str, attributes: dict[str, Any] | None = None
    ) -> tuple[str, str]:
        """Queue one message of a FIFO queue in `group`; its message id and sequence number
        (the caller has left out duplicates)."""
        message = _Message(body, self._clock(), dict(attributes or {}))
        with self._lock:
            self._sequence += 1
            sequence = f"{self._sequence:020d}"  # SQS's are 20 digits, growing
        message.fifo = {
            "MessageGroupId": group,
            "MessageDeduplicationId": deduplication,
            "SequenceNumber": sequence,
        }
        return self._queue(message, True), sequence

    def _queue(self, message: _Message, notify: bool) -> str:
        with self._lock:
            self._waiting.append(message)
            self.sent += 1
        if notify and self.on_put is not None:
            self.on_put()
        return message.message_id

    def take(self, ignore_delays: bool = False) -> dict[str, Any] | None:
        """The next batch as Lambda's SQS event (None: nothing is due, or a batching window
        is still gathering); each message in it stays out until `settle`."""
        now = self._clock()
        with self._lock:
            due = self._due(now, ignore_delays)
            if not due:
                return None
            if (
                len(due) < self.batch_size
                and self.window_s
                and not ignore_delays
                and min(m.due for m in due) + self.window_s > now
            ):
                return None  # the window is still open
            batch: list[_Message] = []
            size = 0
            for message in due[: self.batch_size]:
                size += len(message.body.encode())
                if batch and size > MAX_BATCH_PAYLOAD:
                    break
                batch.append(message)
            for message in batch:
                self._waiting.remove(message)
                message.receives += 1
                message.record = self._record(message)
                self._out[message.message_id] = message
        return {"Records": [m.record for m in batch]}

    def _due(self, now: float, ignore_delays: bool) -> list[_Message]:
        """The messages `take` may hand out, in order. A FIFO queue's go in the order sent,
        and none of a group while a message of it is out or, failed, not visible again: SQS
        keeps the group's order (docs/aws-facts.md#local-sqs)."""
        if not self.fifo:
            return [m for m in self._waiting if ignore_delays or m.due <= now]
        due = []
        for line in self._open_groups():
            for message in line:
                if not (ignore_delays or message.due <= now):
                    break  # its group waits for it
                due.append(message)
        return sorted(due, key=_sequence)

    def _open_groups(self) -> list[list[_Message]]:
        """A FIFO queue's waiting messages of the groups none of whose messages is out, each
        group's in the order sent (with the lock held)."""
        busy = {m.fifo["MessageGroupId"] for m in self._out.values() if m.fifo}
        lines: dict[str, list[_Message]] = {}
        for message in sorted(self._waiting, key=_sequence):
            group = message.fifo["MessageGroupId"] if message.fifo else ""
            if group not in busy:
                lines.setdefault(group, []).append(message)
        return list(lines.values())

    def _record(self, message: _Message) -> dict[str, Any]:
        """The message's record for this delivery: its id kept, a new receipt handle."""
        record = sqs_record(self.function, message.body, self._where)
        record["messageId"] = message.message_id
        record["messageAttributes"] = message.attributes
        attributes = record["attributes"]
        if message.first_received_ms is None:
            message.first_received_ms = attributes["ApproximateFirstReceiveTimestamp"]
        attributes["SentTimestamp"] = message.sent_ms
        attributes["ApproximateFirstReceiveTimestamp"] = message.first_received_ms
        attributes["ApproximateReceiveCount"] = str(message.receives)
        if message.fifo is not None:
            attributes.update(message.fifo)
        return record

    def settle(self, event: dict[str, Any], result: Any, error: BaseException | None) -> None:
        """The function's answer for a batch `take` gave: listed messages (all of them after
        an error, or after a response Lambda cannot use) are delivered again, or
        dead-lettered after their last delivery (docs/aws-facts.md#event-sources). A standard
        queue's first failed message is queued again after the batch's other failed ones."""
        ids = [record["messageId"] for record in event["Records"]]
        failed = failed_messages(ids, result, error)
        again = [message_id for message_id in ids if message_id in failed]
        if not self.fifo:
            # The first failure (where a raising handler stopped) comes back after the
            # others, so those behind it get their turn: a standard queue keeps no order.
            again = again[1:] + again[:1]
        now = self._clock()
        dropped = []
        with self._lock:
            out = {message_id: self._out.pop(message_id) for message_id in ids}
            for message_id in again:
                message = out[message_id]
                if message.receives >= self.max_receives:
                    self.dead_letters.append(message.body)
                    dropped.append(message)
                else:
                    message.due = now + self.visibility_s
                    self._waiting.append(message)
        if self.on_dead_letter is not None:
            for message in dropped:
                self.on_dead_letter(message.message_id, message.receives)

    @property
    def pending(self) -> int:
        """Messages waiting or handed out and not settled yet."""
        with self._lock:
            return len(self._waiting) + len(self._out)

    def next_due(self) -> float | None:
        """When `take` may next give a batch (the clock's time), None if none waits: the
        earliest message's due time, or with a batching window open, its end."""
        with self._lock:
            waiting = self._waiting
            if self.fifo:  # each open group's first message (a batch ending wakes the
                # consumer for the others)
                waiting = [line[0] for line in self._open_groups()]
            if not waiting:
                return None
            now = self._clock()
            due = [m.due for m in waiting if m.due <= now]
            later = min((m.due for m in waiting if m.due > now), default=None)
            if not due or not self.window_s:
                return min(m.due for m in waiting)
            closes = min(due) + self.window_s
            return closes if later is None else min(closes, later)


def _sequence(message: _Message) -> str:
    return message.fifo["SequenceNumber"] if message.fifo else ""


def failed_messages(ids: list[str], result: Any, error: BaseException | None) -> set[str]:
    """The messages of a batch Lambda returns to the queue, by the function's answer.

    A function error fails them all; so does a response that is not a JSON object, or one
    naming an `itemIdentifier` that is empty, null or not of the batch. A null or empty
    response, or an empty or null `batchItemFailures`, is full success
    (docs/aws-facts.md#event-sources).
    """
    if error is not None:
        return set(ids)
    if result is None:
        return set()
    if not isinstance(result, dict):
        return set(ids)
    failures = result.get("batchItemFailures")
    if failures is None:
        return set()
    if not isinstance(failures, list):
        return set(ids)
    listed = set()
    for failure in failures:
        item = failure.get("itemIdentifier") if isinstance(failure, dict) else None
        if not isinstance(item, str) or item not in ids:
            return set(ids)
        listed.add(item)
    return listed
