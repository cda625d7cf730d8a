"""The Lambda context object handlers get as their second argument."""

from __future__ import annotations

import functools
import time

from ..arns import arn
from .events import ACCOUNT_ID, new_uuid

INTEGRATION_TIMEOUT_MS = 29_000
"""API Gateway's maximum integration timeout; what `get_remaining_time_in_millis` counts down
when the caller names no function timeout."""


class LambdaContext:
    """The parts of Lambda's context object handlers commonly read.

    One is made per invocation, so what handlers seldom read is worked out when read: the
    ARN, the log group and the request id (a random UUID, the same at every read).
    """

    def __init__(
        self,
        function_name: str,
        region: str,
        account_id: str = ACCOUNT_ID,
        log_stream_name: str | None = None,
        timeout_s: float = INTEGRATION_TIMEOUT_MS / 1000,
    ) -> None:
        self.function_name = function_name
        self.function_version = "$LATEST"
        self.memory_limit_in_mb = 128
        self.log_stream_name = log_stream_name or f"[$LATEST]{new_uuid().replace('-', '')}"
        self._region = region
        self._account_id = account_id
        self._deadline = time.monotonic() + timeout_s

    @property
    def invoked_function_arn(self) -> str:
        return arn("lambda", self._region, self._account_id, f"function:{self.function_name}")

    @property
    def log_group_name(self) -> str:
        return f"/aws/lambda/{self.function_name}"

    @functools.cached_property
    def aws_request_id(self) -> str:
        return new_uuid()

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))
