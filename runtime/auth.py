"""`$connect` authorizers: what the user's authorizer returns and the policy API Gateway reads.

API Gateway calls the authorizer before `$connect`. Its answer is an IAM policy allowing or
denying `execute-api:Invoke` on the `$connect` method ARN, a principal id, and a context
whose values must be strings, numbers or booleans; API Gateway then passes both to every
later event of the connection as `requestContext.authorizer`.
https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-lambda-authorizer-output.html
"""

from __future__ import annotations

from .exceptions import (
    InvalidAuthorizerContextError,
    InvalidAuthorizerResultError,
    InvalidIdentitySourceError,
    WebsocketError,
)

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

IDENTITY_SOURCE_PREFIXES = (
    "route.request.header.",
    "route.request.querystring.",
    "stageVariables.",
    "context.",
)


class IAMAuthorizer:
    """IAM authorization of `$connect`, Chalice's name: `on_ws_connect(authorizer=IAMAuthorizer())`.

    API Gateway then accepts only upgrade requests signed with SigV4 (`execute-api`) by a
    caller allowed `execute-api:Invoke` on `arn:aws:execute-api:{region}:{account}:{api
    id}/{stage}/$connect`; the route's `AuthorizationType` is `AWS_IAM`.
    """

    __slots__ = ()

    def __repr__(self) -> str:
        return "IAMAuthorizer()"


class UnauthorizedError(WebsocketError):
    """Raise in an authorizer to refuse the client with 401 ("Unauthorized")."""

    def __str__(self) -> str:
        # API Gateway answers 401 exactly when the authorizer's error message is this word.
        return "Unauthorized"


class AuthResponse:
    """An authorizer's verdict: `AuthResponse.allow(principal_id, context)` or `.deny(...)`."""

    __slots__ = ("allowed", "context", "principal_id")

    def __init__(
        self, principal_id: str, *, allowed: bool, context: dict[str, Any] | None = None
    ) -> None:
        for key, value in (context or {}).items():
            if not isinstance(value, str | int | float | bool):
                raise InvalidAuthorizerContextError(key, value)
        self.principal_id = principal_id
        self.allowed = allowed
        self.context = dict(context or {})

    @classmethod
    def allow(cls, principal_id: str, context: dict[str, Any] | None = None) -> AuthResponse:
        """Let the client connect; `context` reaches every event as `event.authorizer`."""
        return cls(principal_id, allowed=True, context=context)

    @classmethod
    def deny(cls, principal_id: str = "anonymous") -> AuthResponse:
        """Refuse the client: API Gateway answers 403."""
        return cls(principal_id, allowed=False)

    def to_policy(self, method_arn: str) -> dict[str, Any]:
        """The authorizer output API Gateway expects."""
        policy: dict[str, Any] = {
            "principalId": self.principal_id,
            "policyDocument": {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Action": "execute-api:Invoke",
                        "Effect": "Allow" if self.allowed else "Deny",
                        "Resource": method_arn,
                    }
                ],
            },
        }
        if self.context:
            policy["context"] = self.context
        return policy


def to_authorizer_output(result: Any, method_arn: str) -> dict[str, Any]:
    """Turn an authorizer's return value into API Gateway's policy output.

    An `AuthResponse` builds its policy; a dict with `principalId` and `policyDocument` is
    passed through as already built.

    Raises:
        InvalidAuthorizerResultError: anything else (API Gateway then answers 500).
    """
    if isinstance(result, AuthResponse):
        return result.to_policy(method_arn)
    if isinstance(result, dict) and "principalId" in result and "policyDocument" in result:
        return result
    raise InvalidAuthorizerResultError(result)


def validate_identity_sources(sources: list[str] | tuple[str, ...]) -> tuple[str, ...]:
    """Check identity sources as API Gateway does for a WebSocket REQUEST authorizer."""
    if isinstance(sources, str) or not sources:
        raise InvalidIdentitySourceError(
            None, "e.g. identity_sources=['route.request.querystring.token']"
        )
    for source in sources:
        if not isinstance(source, str) or not source.startswith(IDENTITY_SOURCE_PREFIXES):
            raise InvalidIdentitySourceError(
                source,
                f"must start with one of {', '.join(IDENTITY_SOURCE_PREFIXES)} "
                "(e.g. route.request.header.Authorization)",
            )
        if source.endswith("."):
            raise InvalidIdentitySourceError(source, "names no header, parameter or variable")
    return tuple(sources)
