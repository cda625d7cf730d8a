"""SQS's rules for a message sent to one of the app's queues: what both `wsgen local` and
`wsgen.testing` do.

`wsgen local` serves the app's queues over SQS's JSON protocol (`wsgen.local.sqs`) and the
test client sends to them in memory (`Client.send_sqs_message`); both check a message and
send it to its `ShardQueue` here, so a message one refuses the other refuses too, with the
same `SqsError`: `read_message` (the body, its size and characters, the delay, the message
attributes), `send_fifo` (a FIFO queue's group, deduplication id and 5-minute deduplication
interval) and `sent_answer` (what SendMessage answers: the body's MD5 and
`attributes_md5`). Facts and sources: docs/aws-facts.md#local-sqs.
"""

from __future__ import annotations

import hashlib
import re
import struct
import time
from typing import Any

from runtime.spec import FunctionSpec

from ..sources.checks import SQS_MAX_MESSAGE_BYTES, content_based_deduplication
from ..sources.events import Where
from .fanout import ShardQueue

MAX_MESSAGE_BYTES = SQS_MAX_MESSAGE_BYTES
"""1 MiB: a message, and all of a batch's messages together, as the template's queues take
them (docs/aws-facts.md#local-sqs)."""
MAX_DELAY_S = 900
MAX_RECEIVES = 5
"""Deliveries of a message that keeps failing before it is dropped (docs/local.md#queues)."""
DEDUPLICATION_S = 300.0
"""A FIFO queue's deduplication interval: 5 minutes (docs/aws-facts.md#local-sqs)."""
_VALID_TEXT = re.compile("^[\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]*$")
"""The characters a message may hold (SQS's SendMessage reference)."""


class SqsError(Exception):
    """An error SQS answers: its `__type` name, message and HTTP status; `missing` names the
    request parameter the send lacked when that is the error, for a caller that words it
    its own way (the test client names its keyword argument) without reading SQS's text."""

    def __init__(
        self, code: str, message: str, status: int = 400, *, missing: str | None = None
    ) -> None:
        super().__init__(code, message)
        self.code, self.message, self.status = code, message, status
        self.missing = missing


def queue_home(function: FunctionSpec, where: Where) -> Where:
    """The region and account of `function`'s queue: a `queue_arn=` queue's are its ARN's
    (`arn:aws:sqs:REGION:ACCOUNT:NAME`, checked by `check_functions`), a queue the template
    makes is in `where`'s, the app's own."""
    arn = function.options["queue_arn"]
    if not arn:
        return where
    _, _, _, region, account, _ = str(arn).split(":")
    return Where(region, account, where.app_name)


def read_message(request: dict[str, Any]) -> tuple[str, float, dict[str, Any]]:
    """A message's body, delay and attributes (as the Lambda event has them), checked as
    SendMessage checks them (`SqsError`); the test client's `send_sqs_message` too."""
    body = request.get("MessageBody")
    if not isinstance(body, str) or not body:
        raise SqsError(
            "MissingParameter",
            "The request must contain the parameter MessageBody.",
            missing="MessageBody",
        )
    if len(body.encode()) > MAX_MESSAGE_BYTES:
        raise SqsError(
            "InvalidParameterValue",
            f"One or more parameters are invalid. Reason: Message must be shorter than "
            f"{MAX_MESSAGE_BYTES} bytes.",
        )
    if not _VALID_TEXT.match(body):
        raise SqsError(
            "InvalidMessageContents",
            "Invalid binary character in the message body: SQS takes #x9, #xA, #xD and "
            "#x20 to #x10FFFF but surrogates, #xFFFE and #xFFFF",
        )
    delay = request.get("DelaySeconds", 0)
    if not isinstance(delay, int) or isinstance(delay, bool) or not 0 <= delay <= MAX_DELAY_S:
        raise SqsError(
            "InvalidParameterValue",
            f"Value {delay} for parameter DelaySeconds is invalid. Reason: must be between 0 "
            f"and {MAX_DELAY_S}, if provided.",
        )
    attributes = {}
    for name, value in (request.get("MessageAttributes") or {}).items():
        if not isinstance(value, dict) or not isinstance(value.get("DataType"), str):
            raise SqsError(
                "InvalidParameterValue", f"The message attribute '{name}' must have a DataType."
            )
        attributes[name] = {
            "stringValue": value.get("StringValue"),
            "binaryValue": value.get("BinaryValue"),
            "stringListValues": value.get("StringListValues", []),
            "binaryListValues": value.get("BinaryListValues", []),
            "dataType": value["DataType"],
        }
    return body, float(delay), attributes


def send_fifo(
    messages: ShardQueue,
    sent_ids: dict[str, tuple[float, dict[str, Any]]],
    body: str,
    delay: float,
    attributes: dict[str, Any],
    request: dict[str, Any],
) -> dict[str, Any]:
    """Send to a FIFO queue as SQS does; SendMessage's answer. A group is required and a delay
    refused; without a `MessageDeduplicationId` the send fails on a queue the template makes,
    whose `ContentBasedDeduplication` is false, and the body's SHA-256 stands for it on a
    `queue_arn=` queue, whose setting wsgen cannot know (`content_based_deduplication`). A
    duplicate (an id in `sent_ids`, the ids sent in the last `DEDUPLICATION_S`) is answered as
    the first send was, and not queued (docs/aws-facts.md#local-sqs)."""
    group = request.get("MessageGroupId")
    if not isinstance(group, str) or not group:
        raise SqsError(
            "MissingParameter",
            "The request must contain the parameter MessageGroupId.",
            missing="MessageGroupId",
        )
    if delay:
        raise SqsError(
            "InvalidParameterValue",
            f"Value {int(delay)} for parameter DelaySeconds is invalid. Reason: The request "
            "include parameter that is not valid for this queue type.",
        )
    deduplication = request.get("MessageDeduplicationId")
    if not isinstance(deduplication, str) or not deduplication:
        if content_based_deduplication(messages.function) is False:
            raise SqsError(
                "InvalidParameterValue",
                "The queue should either have ContentBasedDeduplication enabled or "
                "MessageDeduplicationId provided explicitly",
                missing="MessageDeduplicationId",
            )
        deduplication = hashlib.sha256(body.encode()).hexdigest()
    now = time.monotonic()
    for key, (when, _) in list(sent_ids.items()):
        if now - when >= DEDUPLICATION_S:
            del sent_ids[key]
    if deduplication in sent_ids:
        return dict(sent_ids[deduplication][1])
    message_id, sequence = messages.send_fifo(body, group, deduplication, attributes)
    answer = {**sent_answer(message_id, body, request), "SequenceNumber": sequence}
    sent_ids[deduplication] = (now, answer)
    return answer


def sent_answer(message_id: str, body: str, request: dict[str, Any]) -> dict[str, Any]:
    """What SendMessage answers for a message queued: its id, its body's MD5 and, when the
    request had attributes, theirs (`attributes_md5`)."""
    answer = {"MessageId": message_id, "MD5OfMessageBody": hashlib.md5(body.encode()).hexdigest()}
    if request.get("MessageAttributes"):
        answer["MD5OfMessageAttributes"] = attributes_md5(request["MessageAttributes"])
    return answer


def attributes_md5(attributes: dict[str, Any]) -> str:
    """SQS's MD5 of message attributes: per name in order, each of name, data type and value
    length-prefixed (4 bytes, big-endian), the value after a transport byte (1 string, 2
    binary) (docs/aws-facts.md#local-sqs)."""
    import base64

    def field(data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + data

    digest = hashlib.md5()
    for name in sorted(attributes):
        value = attributes[name]
        digest.update(field(name.encode()) + field(value["DataType"].encode()))
        if value.get("StringValue") is not None:
            digest.update(b"\x01" + field(value["StringValue"].encode()))
        elif value.get("BinaryValue") is not None:
            binary = value["BinaryValue"]
            data = base64.b64decode(binary) if isinstance(binary, str) else bytes(binary)
            digest.update(b"\x02" + field(data))
    return digest.hexdigest()
