"""The fan-out queue as the front ends run it: in their own process, with SQS's rules.

On AWS a fan-out's shards go through the template's SQS queue to the fan-out function
(`runtime.fanout`). `wsgen local` and the test client give the app's background a
`ShardQueue` instead (`HeldBackground.on_shards`): it holds the shard messages, hands them out
in batches of up to ten as the SQS event Lambda would build (`ApproximateReceiveCount`
included), and settles each batch with the function's partial batch response: a message it
lists is delivered again, and after `FAN_OUT_MAX_RECEIVES` deliveries it goes to
`dead_letters` (the template's dead-letter queue). A message's delay is kept: it is not
handed out before it is due, and a message delivered again waits `visibility_s` first, as
SQS keeps it invisible for the queue's visibility timeout (the template's is six times the
fan-out function's timeout; locally `LOCAL_VISIBILITY_S`, so a retry shows within seconds).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any

from runtime.contract import FAN_OUT_BATCH_SIZE, FAN_OUT_MAX_RECEIVES

from ..sources.events import FAN_OUT_SPEC, Where, sqs_record

LOCAL_VISIBILITY_S = 1.0
"""Seconds a failed message waits before it is delivered again, in place of the visibility
timeout (minutes on AWS)."""


@dataclass
class _Message:
    body: str
    due: float
    receives: int = 0
    record: dict[str, Any] = field(default_factory=dict)


class ShardQueue:
    """Shard messages waiting for the fan-out function; safe to use from several threads."""

    def __init__(
        self, where: Where, clock: Any = time.monotonic, visibility_s: float = LOCAL_VISIBILITY_S
    ) -> None:
        self._where = where
        self._clock = clock
        self.visibility_s = visibility_s
        self._lock = threading.Lock()
        self._waiting: list[_Message] = []
        self._out: dict[str, _Message] = {}
        self.sent = 0
        """Messages queued so far (a retried shard is a new message)."""
        self.dead_letters: list[str] = []
        """Bodies of the messages delivered `FAN_OUT_MAX_RECEIVES` times and failed each time."""
        self.on_put: Any = None
        """Called after messages were queued (the emulator wakes its consumer)."""

    def put(self, bodies: list[str], delay_s: int = 0) -> dict[int, Exception]:
        """Queue messages, each due after `delay_s`; what `Background.shards` returns."""
        due = self._clock() + delay_s
        with self._lock:
            self._waiting.extend(_Message(body, due) for body in bodies)
            self.sent += len(bodies)
        if self.on_put is not None:
            self.on_put()
        return {}

    def take(self, ignore_delays: bool = False) -> dict[str, Any] | None:
        """The next batch as Lambda's SQS event (None: nothing is due); each message in it
        stays out until `settle`."""
        now = self._clock()
        with self._lock:
            due = [m for m in self._waiting if ignore_delays or m.due <= now][:FAN_OUT_BATCH_SIZE]
            if not due:
                return None
            for message in due:
                self._waiting.remove(message)
                message.receives += 1
                record = sqs_record(FAN_OUT_SPEC, message.body, self._where)
                record["attributes"]["ApproximateReceiveCount"] = str(message.receives)
                message.record = record
                self._out[record["messageId"]] = message
        return {"Records": [m.record for m in due]}

    def settle(self, event: dict[str, Any], result: Any, error: BaseException | None) -> None:
        """The function's answer for a batch `take` gave: listed messages (all of them after
        an error) are delivered again, or dead-lettered after their last delivery."""
        ids = [record["messageId"] for record in event["Records"]]
        if error is not None or not isinstance(result, dict):
            failed = set(ids)
        else:
            failed = {f.get("itemIdentifier") for f in result.get("batchItemFailures") or ()}
        now = self._clock()
        with self._lock:
            for message_id in ids:
                message = self._out.pop(message_id)
                if message_id not in failed:
                    continue
                if message.receives >= FAN_OUT_MAX_RECEIVES:
                    self.dead_letters.append(message.body)
                else:
                    message.due = now + self.visibility_s
                    self._waiting.append(message)

    @property
    def pending(self) -> int:
        """Messages waiting or handed out and not settled yet."""
        with self._lock:
            return len(self._waiting) + len(self._out)

    def next_due(self) -> float | None:
        """When the earliest waiting message is due (the clock's time), None if none waits."""
        with self._lock:
            return min((m.due for m in self._waiting), default=None)
