"""Security checks the template deliberately does not meet, with the reason, in the template.

Each `Waiver` becomes resource `Metadata` that the scanners read on their own: checkov's
`checkov: skip: [{id, comment}]` and cfn-guard's `guard: SuppressedRules: [...]` (rule names
of the AWS Guard Rules Registry). So a user's own `checkov -f template.yaml`, with no
configuration, reports no failure, and the reason travels with the resource. SAM copies a
function's `Metadata` onto the `AWS::Lambda::Function` it generates, where cfn-guard's Lambda
rules look. A check a setting can meet (`reserved_concurrency`) is waived only without it.
"""

from __future__ import annotations

import dataclasses
from typing import Any


@dataclasses.dataclass(frozen=True)
class Waiver:
    checkov: str
    """checkov's check id."""
    guard: str | None
    """The Guard Rules Registry's rule name, where it has one."""
    reason: str


# Each reason is one line of the rendered YAML (`render` writes lines up to 200 characters
# itself), so at most REASON_LENGTH characters; docs/deploy.md says the same at more length.
REASON_LENGTH = 170

DEAD_LETTER_QUEUE = Waiver(
    "CKV_AWS_116",
    "LAMBDA_DLQ_CHECK",
    "API Gateway invokes it synchronously, and a DLQ only receives asynchronous events; "
    "a failure goes back to the client and into the stage's access log",
)
POLLED_DEAD_LETTER_QUEUE = Waiver(
    "CKV_AWS_116",
    "LAMBDA_DLQ_CHECK",
    "Its event source mapping invokes it synchronously; a failed message stays in its queue "
    "or stream, for the source's own redrive and retry settings",
)
ASYNC_DEAD_LETTER_QUEUE = Waiver(
    "CKV_AWS_116",
    "LAMBDA_DLQ_CHECK",
    "Lambda retries a failed asynchronous event twice; where a lost event matters, add "
    "DeadLetterQueue or an on-failure destination by merge_template",
)
TASK_DEAD_LETTER_QUEUE = Waiver(
    "CKV_AWS_116",
    "LAMBDA_DLQ_CHECK",
    "The record of a run that failed goes to the on-failure destination "
    "WsgenTaskFailureQueue (EventInvokeConfig), holding more than a DLQ would, the error too",
)
VPC = Waiver(
    "CKV_AWS_117",
    "LAMBDA_INSIDE_VPC",
    "It calls the public @connections endpoint; a VPC needs your subnets and a NAT gateway "
    "or execute-api endpoint. Add VpcConfig by merge_template",
)
RESERVED_CONCURRENCY = Waiver(
    "CKV_AWS_115",
    "LAMBDA_CONCURRENCY_CHECK",
    "A default reservation takes from the account's unreserved pool and fails deploys in "
    "small accounts; stage throttling bounds the load. Set reserved_concurrency",
)
ENVIRONMENT_KEY = Waiver(
    "CKV_AWS_173",
    None,
    "Lambda encrypts variables at rest with an AWS managed key; wsgen's are no secrets "
    "(endpoint URL, table names), and secrets belong in SSM or Secrets Manager",
)
LOG_GROUP_KEY = Waiver(
    "CKV_AWS_158",
    "CLOUDWATCH_LOG_GROUP_ENCRYPTED",
    "CloudWatch Logs encrypts log groups at rest; a customer managed key needs a key policy "
    "of your account trusting logs. Add KmsKeyId by merge_template",
)


QUEUE_KEY = Waiver(
    "CKV_AWS_27",
    None,
    "Encrypted at rest with SQS managed keys (SqsManagedSseEnabled), which this check does "
    "not see; a KMS key would need a key policy letting SNS and EventBridge send",
)
CONNECTIONS_TABLE_KEY = Waiver(
    "CKV_AWS_119",
    None,
    "Encrypted at rest with the AWS managed KMS key; it holds connection ids, groups and app "
    "attributes for 2 hours. A customer managed key needs your key policy",
)
CONNECTIONS_TABLE_WAIVERS = [CONNECTIONS_TABLE_KEY]


def function_waivers(
    reserved_concurrency: int | None, dead_letter_queue: Waiver = DEAD_LETTER_QUEUE
) -> list[Waiver]:
    """What a function of the template waives; `dead_letter_queue` says why it has none
    (API Gateway's synchronous invocation by default)."""
    waivers = [dead_letter_queue, VPC, ENVIRONMENT_KEY]
    if reserved_concurrency is None:
        waivers.append(RESERVED_CONCURRENCY)
    return waivers


LOG_GROUP_WAIVERS = [LOG_GROUP_KEY]
QUEUE_WAIVERS = [QUEUE_KEY]


def metadata(waivers: list[Waiver]) -> dict[str, Any]:
    """The resource `Metadata` carrying `waivers` for checkov and cfn-guard."""
    found: dict[str, Any] = {
        "checkov": {"skip": [{"id": w.checkov, "comment": w.reason} for w in waivers]}
    }
    if rules := [w.guard for w in waivers if w.guard]:
        found["guard"] = {"SuppressedRules": rules}
    return found
