"""How long API Gateway and Lambda let an invocation run, and what the client then sees.

docs/aws-facts.md#quotas: API Gateway waits at most 29 seconds for an integration (every
route, `$connect` and the authorizer included); Lambda ends a function at its configured
timeout. Whichever limit comes first decides:

- the function's own timeout: Lambda reports a function error ("Task timed out after N
  seconds"), which API Gateway answers as any failed Lambda-proxy integration: the Internal
  server error frame on a message route, 502 on `$connect`, 500 from an authorizer;
- the integration timeout: API Gateway stops waiting. A message route gets the frame
  `{"message": "Endpoint request timed out", ...}` (what clients report on re:Post,
  "Api Gateway Websocket API 30s timeout"), `$connect` 504 with the same message, API
  Gateway's INTEGRATION_TIMEOUT gateway response
  (https://docs.aws.amazon.com/apigateway/latest/developerguide/supported-gateway-response-types.html).
"""

from __future__ import annotations

from dataclasses import dataclass

INTEGRATION_TIMEOUT_S = 29.0
TIMED_OUT_MESSAGE = "Endpoint request timed out"
GATEWAY_TIMEOUT = 504


class FunctionTimeoutError(Exception):
    """Lambda ended the function at its timeout: to API Gateway, a function error."""

    def __init__(self, seconds: float) -> None:
        super().__init__(seconds)
        self.seconds = seconds

    def __str__(self) -> str:
        return f"Task timed out after {self.seconds:.2f} seconds"  # Lambda's own words


class IntegrationTimeoutError(Exception):
    """API Gateway stopped waiting for the integration."""

    def __init__(self, seconds: float) -> None:
        super().__init__(seconds)
        self.seconds = seconds

    def __str__(self) -> str:
        return f"{TIMED_OUT_MESSAGE} (API Gateway waits {self.seconds:g} s at most)"


@dataclass(frozen=True)
class TimeLimit:
    """How long one invocation may run, and which limit that is."""

    seconds: float
    integration: bool
    """The integration timeout comes first (else the function's own timeout)."""

    def error(self) -> Exception:
        """The invocation's outcome once it ran past `seconds`."""
        if self.integration:
            return IntegrationTimeoutError(self.seconds)
        return FunctionTimeoutError(self.seconds)


def time_limit(
    function_timeout: float, integration_timeout: float = INTEGRATION_TIMEOUT_S
) -> TimeLimit:
    """The limit an invocation of a function with `function_timeout` runs under."""
    if function_timeout <= integration_timeout:
        return TimeLimit(function_timeout, integration=False)
    return TimeLimit(integration_timeout, integration=True)
