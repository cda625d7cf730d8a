"""The SQS queues wsgen makes, made one way: encrypted, waived, tagged, within SQS's limits.

Every queue of the template (a queue handler's, the fan-out queue and its dead-letter
queue, the tasks' failure queue) is encrypted with SQS's own key (`SqsManagedSseEnabled`),
carries `QUEUE_WAIVERS` for checkov and cfn-guard, and the app's `tags`. It takes SQS's
largest message, 1 MiB (`MaximumMessageSize`, also CreateQueue's default now): said, not left
to the default, so that a queue made while the default was 256 KiB takes at the next deploy
what `wsgen local` and the test client accept (docs/aws-facts.md#local-sqs); but in the China
partition, whose SQS reference still says 256 KiB, left to its default (`IN_CHINA`), so that
the stack deploys there whichever it is.
https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/quotas-messages.html
"""

from __future__ import annotations

from typing import Any

from troposphere import Equals, If, NoValue, Ref, Tags, Template
from troposphere.sqs import Queue

from ..sources.checks import SQS_MAX_MESSAGE_BYTES
from .waivers import QUEUE_WAIVERS, metadata

MAX_VISIBILITY_TIMEOUT = 43200  # seconds: SQS's limit (12 hours)
MAX_RETENTION_S = 1209600
"""14 days, SQS's longest message retention: what a queue of failures keeps."""


IN_CHINA = "WsgenInChinaPartition"
"""The template's condition: deployed in the China partition (`aws-cn`)."""


def queue(t: Template, title: str, tags: dict[str, Any], **properties: Any) -> Queue:
    """A queue of the template with `properties`, added to `t`."""
    if IN_CHINA not in t.conditions:
        t.add_condition(IN_CHINA, Equals(Ref("AWS::Partition"), "aws-cn"))
    return t.add_resource(
        Queue(
            title,
            Metadata=metadata(QUEUE_WAIVERS),
            SqsManagedSseEnabled=True,
            MaximumMessageSize=If(IN_CHINA, NoValue, SQS_MAX_MESSAGE_BYTES),
            **properties,
            **({"Tags": Tags(tags)} if tags else {}),
        )
    )


def failure_queue(t: Template, title: str, tags: dict[str, Any]) -> Queue:
    """A queue of what failed, kept as long as SQS keeps anything: time to look and redrive."""
    return queue(t, title, tags, MessageRetentionPeriod=MAX_RETENTION_S)
