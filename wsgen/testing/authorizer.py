"""What API Gateway does around a `$connect` REQUEST authorizer: identity sources and verdict.

https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-websocket-api-lambda-auth.html
A missing identity source is refused with 401 before the authorizer runs; an authorizer error
whose message is "Unauthorized" gives 401, any other error 500; a policy that does not allow
`execute-api:Invoke` on the method ARN gives 403. Context values reach later events as strings.
"""

from __future__ import annotations

import json
from fnmatch import fnmatchcase
from typing import Any

from .events import MultiMap


def missing_identity_source(
    sources: tuple[str, ...],
    headers: MultiMap,
    query: MultiMap,
    stage_variables: dict[str, str],
    request_context: dict[str, Any],
) -> str | None:
    """The first identity source that is absent or empty, or None when all are present."""
    folded = {name.lower(): values for name, values in headers.items()}
    for source in sources:
        value: Any
        if source.startswith("route.request.header."):
            value = folded.get(source.removeprefix("route.request.header.").lower())
        elif source.startswith("route.request.querystring."):
            value = query.get(source.removeprefix("route.request.querystring."))
        elif source.startswith("stageVariables."):
            value = stage_variables.get(source.removeprefix("stageVariables."))
        else:
            value = request_context
            for segment in source.removeprefix("context.").split("."):
                value = value.get(segment) if isinstance(value, dict) else None
        if isinstance(value, list):
            value = value[-1] if value else None
        if value is None or value == "":
            return source
    return None


class Verdict:
    """The authorizer's outcome: an HTTP status to refuse with, or what later events carry."""

    def __init__(self, status_code: int, reason: str, authorizer: dict[str, Any] | None) -> None:
        self.status_code = status_code
        self.reason = reason
        self.authorizer = authorizer


def verdict(output: Any, method_arn: str, latency_ms: int) -> Verdict:
    """Read an authorizer's output as API Gateway does."""
    if not isinstance(output, dict) or not isinstance(output.get("principalId"), str):
        return Verdict(500, "the authorizer's output has no principalId", None)
    context = output.get("context") or {}
    if not isinstance(context, dict) or not all(
        isinstance(v, str | int | float | bool) for v in context.values()
    ):
        return Verdict(500, "the authorizer's context must map names to scalars", None)
    if not _allows(output.get("policyDocument"), method_arn):
        return Verdict(403, "the authorizer's policy does not allow $connect", None)
    authorizer = {
        "principalId": output["principalId"],
        "integrationLatency": latency_ms,
        **{key: _stringify(value) for key, value in context.items()},
    }
    return Verdict(200, "allowed", authorizer)


def _stringify(value: str | int | float | bool) -> str:
    """Context values as API Gateway passes them on: `true`, `42`, `1.5`."""
    return value if isinstance(value, str) else json.dumps(value)


def _allows(policy: Any, method_arn: str) -> bool:
    """IAM evaluation of one action on one resource: an explicit Deny wins over any Allow."""
    if not isinstance(policy, dict):
        return False
    statements = policy.get("Statement")
    if isinstance(statements, dict):
        statements = [statements]
    allowed = False
    for statement in statements if isinstance(statements, list) else []:
        if not isinstance(statement, dict):
            continue
        actions = _as_list(statement.get("Action"))
        resources = _as_list(statement.get("Resource"))
        matches = any(fnmatchcase("execute-api:invoke", a.lower()) for a in actions) and any(
            fnmatchcase(method_arn, r) for r in resources
        )
        if matches and statement.get("Effect") == "Deny":
            return False
        allowed = allowed or (matches and statement.get("Effect") == "Allow")
    return allowed


def _as_list(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []
