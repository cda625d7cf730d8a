"""The Lambda context object handlers get as their second argument."""

from __future__ import annotations

import time

from .events import ACCOUNT_ID, new_uuid

INTEGRATION_TIMEOUT_MS = 29_000
"""API Gateway's maximum integration timeout; what `get_remaining_time_in_millis` counts down
when the caller names no function timeout."""


class LambdaContext:
    """The parts of Lambda's context object handlers commonly read."""

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
        self.invoked_function_arn = f"arn:aws:lambda:{region}:{account_id}:function:{function_name}"
        self.memory_limit_in_mb = 128
        self.aws_request_id = new_uuid()
        self.log_group_name = f"/aws/lambda/{function_name}"
        self.log_stream_name = log_stream_name or f"[$LATEST]{new_uuid().replace('-', '')}"
        self._deadline = time.monotonic() + timeout_s

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))
