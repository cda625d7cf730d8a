"""What API Gateway does around a `$connect` REQUEST authorizer: identity sources, policy, verdict.

https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-websocket-api-lambda-auth.html
- A missing or empty identity source is refused with 401 before the authorizer runs.
- An authorizer error whose message is exactly "Unauthorized" gives 401, any other 500.
- Output without a string `principalId` or a `policyDocument` object, or with a context
  value that is not a string, number or boolean, is a configuration error: 500.
  https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-lambda-authorizer-output.html
- A policy that does not allow `execute-api:Invoke` on the `$connect` method ARN gives 403;
  an explicit Deny wins over any Allow (IAM's evaluation logic; actions match in any case,
  resources case-sensitively, `*` and `?` are the only wildcards).
  https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html
- Once allowed, `principalId`, `integrationLatency` and the context (values as strings:
  `true`, `42`, `1.5`) are `requestContext.authorizer` on every later event.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from runtime.events import RawEvent

from .events import Api, Peer, UpgradeRequest, authorizer_event
from .outcomes import (
    FORBIDDEN,
    FORBIDDEN_MESSAGE,
    INTERNAL_ERROR_MESSAGE,
    INTERNAL_SERVER_ERROR,
    UNAUTHORIZED,
    Step,
    Verdict,
)

UNAUTHORIZED_MESSAGE = "Unauthorized"
"""The authorizer error message API Gateway answers with 401 instead of 500."""


def prepare(
    api: Api, peer: Peer, request: UpgradeRequest, sources: tuple[str, ...]
) -> tuple[RawEvent, Verdict | None]:
    """The authorizer's input event, and the 401 when an identity source is missing (the
    authorizer is then not run)."""
    event = authorizer_event(api, peer, request)
    missing = missing_identity_source(
        sources, request, api.stage_variables, event["requestContext"]
    )
    return event, None if missing is None else missing_source_verdict(missing)


def conclude(output: Any, error: BaseException | None, method_arn: str, latency_ms: int) -> Verdict:
    """The verdict from the authorizer's output or the exception it raised."""
    if error is not None:
        return error_verdict(error)
    return verdict(output, method_arn, latency_ms)


def missing_identity_source(
    sources: tuple[str, ...],
    request: UpgradeRequest,
    stage_variables: dict[str, str],
    request_context: Mapping[str, object],
) -> str | None:
    """The first identity source that is absent or empty, or None when all are present.

    Headers match in any case, query parameters exactly; a repeated one counts by its last
    value (what the authorizer's single-value map holds). `context.a.b` reads the request
    context.
    """
    for source in sources:
        value: Any
        if source.startswith("route.request.header."):
            value = request.header(source.removeprefix("route.request.header."))
        elif source.startswith("route.request.querystring."):
            value = request.query_param(source.removeprefix("route.request.querystring."))
        elif source.startswith("stageVariables."):
            value = stage_variables.get(source.removeprefix("stageVariables."))
        else:
            value = request_context
            for segment in source.removeprefix("context.").split("."):
                value = value.get(segment) if isinstance(value, dict) else None
        if value is None or value == "":
            return source
    return None


def missing_source_verdict(source: str) -> Verdict:
    reason = f"identity source {source} is missing or empty"
    return Verdict(UNAUTHORIZED, reason, UNAUTHORIZED_MESSAGE, step=Step.IDENTITY_SOURCE)


def error_verdict(error: BaseException) -> Verdict:
    """The answer when the authorizer raised `error`."""
    if refuses(error):
        reason = "the authorizer answered Unauthorized"
        return Verdict(
            UNAUTHORIZED,
            reason,
            UNAUTHORIZED_MESSAGE,
            step=Step.AUTHORIZER,
            error=error,
            error_is_refusal=True,
        )
    reason = f"the authorizer raised {type(error).__name__}: {error}"
    return Verdict(
        INTERNAL_SERVER_ERROR, reason, INTERNAL_ERROR_MESSAGE, step=Step.AUTHORIZER, error=error
    )


def refuses(error: BaseException) -> bool:
    """Whether an authorizer's exception is its way to refuse (401), not a failure."""
    return str(error) == UNAUTHORIZED_MESSAGE


MAX_RESULT_BYTES = 8 * 1024
"""API Gateway's limit on an authorizer's result (docs/aws-facts.md#quotas)."""


def verdict(output: Any, method_arn: str, latency_ms: int) -> Verdict:
    """Read an authorizer's output as API Gateway does; `authorizer` is set when allowed."""
    size = _size(output)
    if size > MAX_RESULT_BYTES:
        return _misconfigured(
            f"the authorizer's result is {size} bytes, over API Gateway's 8 KB: "
            "pass less context (an id, not the whole record)"
        )
    if not isinstance(output, dict) or not isinstance(output.get("principalId"), str):
        return _misconfigured("the authorizer's output has no principalId")
    if not isinstance(output.get("policyDocument"), dict):
        return _misconfigured("the authorizer's output has no policyDocument")
    context = output.get("context") or {}
    if not isinstance(context, dict) or not all(
        isinstance(v, str | int | float | bool) for v in context.values()
    ):
        return _misconfigured(
            "the authorizer's context must map names to strings, numbers or booleans"
        )
    if not allows(output["policyDocument"], method_arn):
        reason = "the authorizer's policy does not allow $connect"
        return Verdict(FORBIDDEN, reason, FORBIDDEN_MESSAGE, step=Step.AUTHORIZER)
    authorizer: dict[str, Any] = {
        "principalId": output["principalId"],
        "integrationLatency": latency_ms,
    }
    for key, value in context.items():
        authorizer.setdefault(key, stringify(value))
    return Verdict(200, "allowed", step=Step.AUTHORIZER, authorizer=authorizer)


def _size(output: Any) -> int:
    """The result's size as JSON, the form Lambda returns it in (0 when it is no JSON)."""
    try:
        return len(json.dumps(output, separators=(",", ":"), default=str).encode())
    except (TypeError, ValueError):
        return 0  # refused below for what it is


def _misconfigured(reason: str) -> Verdict:
    return Verdict(INTERNAL_SERVER_ERROR, reason, INTERNAL_ERROR_MESSAGE, step=Step.AUTHORIZER)


def stringify(value: str | int | float | bool) -> str:
    """A context value as API Gateway passes it on: `true`, `42`, `1.5`."""
    return value if isinstance(value, str) else json.dumps(value)


def allows(policy: Any, method_arn: str) -> bool:
    """Whether an IAM policy document allows `execute-api:Invoke` on `method_arn`."""
    if not isinstance(policy, dict):
        return False
    statements = policy.get("Statement")
    if isinstance(statements, dict):
        statements = [statements]
    allowed = False
    for statement in statements if isinstance(statements, list) else []:
        if not isinstance(statement, dict):
            continue
        matches = any(
            _wildcard(a.lower()).fullmatch("execute-api:invoke")
            for a in _as_list(statement.get("Action"))
        ) and any(_wildcard(r).fullmatch(method_arn) for r in _as_list(statement.get("Resource")))
        if matches and statement.get("Effect") == "Deny":
            return False
        allowed = allowed or (matches and statement.get("Effect") == "Allow")
    return allowed


def _wildcard(pattern: str) -> re.Pattern[str]:
    """IAM's wildcards: `*` any run of characters, `?` any one; nothing else is special."""
    return re.compile(
        ".*".join(".".join(map(re.escape, p.split("?"))) for p in pattern.split("*")), re.S
    )


def _as_list(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []
