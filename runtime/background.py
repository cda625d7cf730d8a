"""Work that runs outside the current invocation: Lambda's asynchronous Invoke.

`app.background` starts it. On AWS an asynchronous invocation is one signed request to
Lambda's Invoke API with `X-Amz-Invocation-Type: Event`: Lambda queues the event, answers
202 at once, and runs the function with it soon after (retrying a failed run, then handing
it to the function's on-failure destination).
https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html
https://docs.aws.amazon.com/lambda/latest/dg/invocation-async.html

`wsgen local` and `wsgen.testing.Client` replace it (`app.use_background`) with one that
runs the same payload through the same entry point in their own process.
"""

from __future__ import annotations

import os

from .contract import CONNECTED_KEY, FUNCTION_NAME_ENV, FUNCTION_VERSION_ENV, TASK_PREFIX_ENV
from .exceptions import BackgroundInvokeError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from .events import RawEvent

MAX_ASYNC_PAYLOAD_BYTES = 1024 * 1024
"""Lambda's limit on an asynchronous invocation's payload (docs/aws-facts.md#async-invocation)."""


class Background:
    """Starts asynchronous invocations of the app's functions (`app.background`)."""

    def connected(self, event: RawEvent) -> None:
        """`$connect` accepted the connection: start `@app.on_ws_connected` for `event`.

        On AWS, an asynchronous invocation of this very function (`AWS_LAMBDA_FUNCTION_NAME`)
        with `{"wsgen.connected": event}`, which the entry point recognises: of the version
        running (`AWS_LAMBDA_FUNCTION_VERSION`) when it is a published one, as a `snap_start`
        function's is, so the step starts from its snapshot (`$LATEST` has none).

        Raises:
            BackgroundInvokeError: Lambda refused the invocation.
        """
        name = os.environ.get(FUNCTION_NAME_ENV)
        if not name:
            raise BackgroundInvokeError(
                "(this function)",
                None,
                f"{FUNCTION_NAME_ENV} is not set: outside Lambda, run the app under wsgen "
                "local or wsgen.testing.Client",
            )
        version = os.environ.get(FUNCTION_VERSION_ENV)
        if version and version != "$LATEST":
            name = f"{name}:{version}"
        self.invoke(name, {CONNECTED_KEY: event})

    def task(self, name: str, payload: dict[str, Any]) -> None:
        """Start the task `name` (`task.delay()`): invoke its function asynchronously.

        Its function is `{WSGEN_TASK_FUNCTION_PREFIX}{name}`, as the template names it.

        Raises:
            BackgroundInvokeError: no prefix in the environment, or Lambda refused.
        """
        prefix = os.environ.get(TASK_PREFIX_ENV)
        if not prefix:
            raise BackgroundInvokeError(
                name,
                None,
                f"{TASK_PREFIX_ENV} is not set: deploy with the template of wsgen template, "
                "or run the app under wsgen local or wsgen.testing.Client",
            )
        self.invoke(prefix + name, payload)

    def shards(self, bodies: list[str], delay_s: int = 0) -> dict[int, Exception]:
        """Queue a fan-out's shard messages (`runtime.fanout`), each visible after `delay_s`.

        On AWS, `SendMessageBatch` to the queue `WSGEN_FAN_OUT_QUEUE_URL` names. Returns the
        errors of the bodies not queued, by index (empty: all queued).
        """
        from .fanout import send_to_queue

        return send_to_queue(bodies, delay_s)

    def invoke(self, function_name: str, payload: dict[str, Any]) -> None:
        """Invoke `function_name` asynchronously with `payload` (JSON); returns at once.

        Raises:
            BackgroundInvokeError: over 1 MB, or Lambda refused (after its retries).
        """
        import json

        body = json.dumps(payload, separators=(",", ":")).encode()
        if len(body) > MAX_ASYNC_PAYLOAD_BYTES:
            raise BackgroundInvokeError(
                function_name,
                None,
                f"the payload is {len(body)} bytes, over Lambda's "
                f"{MAX_ASYNC_PAYLOAD_BYTES} for an asynchronous invocation",
            )
        from .aws import credentials, environment_region, quote, request
        from .aws_json import service_endpoint

        found = credentials()
        if found is None:
            _invoke_boto3(function_name, body)
            return
        region = environment_region() or "us-east-1"
        base = service_endpoint("lambda", region)
        url = f"{base}/2015-03-31/functions/{quote(function_name, safe=':')}/invocations"
        response = request(
            "POST",
            url,
            service="lambda",
            credentials=found,
            body=body,
            region=region,
            headers={"X-Amz-Invocation-Type": "Event", "Content-Type": "application/json"},
        )
        if response.status != 202:
            raise BackgroundInvokeError(
                function_name,
                response.status,
                f"{response.error_code or 'error'}: {response.error_message or response.reason}",
            )


def _invoke_boto3(function_name: str, body: bytes) -> None:
    """Outside Lambda (a script with a profile): the same call through boto3."""
    import boto3

    try:
        boto3.client("lambda").invoke(
            FunctionName=function_name, InvocationType="Event", Payload=body
        )
    except Exception as exc:
        raise BackgroundInvokeError(function_name, None, str(exc)) from exc
