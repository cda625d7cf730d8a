"""Runs the user's app through its real Lambda entry point, `app(event, context)`, in threads.

Handlers run in a worker pool so that a handler calling `send()`, which is an HTTP request
back to the emulator's event loop, cannot block that loop.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

INTEGRATION_TIMEOUT_MS = 29_000
"""API Gateway's maximum integration timeout; what `get_remaining_time_in_millis` counts down."""


class LambdaContext:
    """The parts of Lambda's context object handlers commonly read."""

    def __init__(self, function_name: str, region: str, account_id: str) -> None:
        self.function_name = function_name
        self.function_version = "$LATEST"
        self.invoked_function_arn = f"arn:aws:lambda:{region}:{account_id}:function:{function_name}"
        self.memory_limit_in_mb = 128
        self.aws_request_id = str(uuid.uuid4())
        self.log_group_name = f"/aws/lambda/{function_name}"
        self.log_stream_name = f"wsgen-local/[$LATEST]{uuid.uuid4().hex}"
        self._deadline = time.monotonic() + INTEGRATION_TIMEOUT_MS / 1000

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


@dataclass
class Outcome:
    """What one invocation gave: the function's result or the exception it raised."""

    result: Any = None
    error: BaseException | None = None
    duration_ms: float = 0.0

    @property
    def failed(self) -> bool:
        return self.error is not None


class Invoker:
    """Calls `app(event, context)` on a worker thread and awaits the outcome."""

    def __init__(self, workers: int, region: str, account_id: str) -> None:
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="wsgen-handler")
        self._region = region
        self._account_id = account_id

    async def invoke(self, app: Callable[..., Any], function_name: str, event: Any) -> Outcome:
        context = LambdaContext(function_name, self._region, self._account_id)
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._pool, _call, app, event, context)

    def shutdown(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=False)


def _call(app: Callable[..., Any], event: Any, context: LambdaContext) -> Outcome:
    start = time.perf_counter()
    try:
        result = app(event, context)
    except Exception as exc:  # the handler's failure is the outcome, as in Lambda
        return Outcome(error=exc, duration_ms=(time.perf_counter() - start) * 1000)
    return Outcome(result=result, duration_ms=(time.perf_counter() - start) * 1000)
