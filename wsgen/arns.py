"""The ARNs wsgen writes for what it serves locally, in their region's partition.

An ARN starts `arn:aws:` in AWS's commercial regions, `arn:aws-cn:` in China (`cn-*`) and
`arn:aws-us-gov:` in GovCloud (`us-gov-*`): the value `${AWS::Partition}` has in a stack
there (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference-arns.html).
"""

from __future__ import annotations


def partition(region: str) -> str:
    """The partition of `region`: `aws-cn`, `aws-us-gov` or `aws`."""
    if region.startswith("cn-"):
        return "aws-cn"
    return "aws-us-gov" if region.startswith("us-gov-") else "aws"


def arn(service: str, region: str, account: str, resource: str) -> str:
    """`arn:{partition}:{service}:{region}:{account}:{resource}`."""
    return f"arn:{partition(region)}:{service}:{region}:{account}:{resource}"


def global_arn(service: str, region: str, account: str, resource: str) -> str:
    """The ARN of a global service's resource (IAM's: no region in it), in `region`'s
    partition."""
    return f"arn:{partition(region)}:{service}::{account}:{resource}"
