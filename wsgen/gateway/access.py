"""IAM authorization and API keys on `$connect`, as API Gateway checks them before the app runs.

- IAM (`on_ws_connect(authorizer=IAMAuthorizer())`, `AuthorizationType: AWS_IAM`): the
  upgrade request must be SigV4-signed for `execute-api` (an `Authorization` header or a
  presigned query), else 403 with API Gateway's message; once verified, the caller's
  identity is in `requestContext.identity` (`accountId`, `caller`, `user`, `userArn`,
  `accessKey`). Locally the only callers are the credentials handlers run with
  (`known_credentials`), and IAM policies are not evaluated: a valid signature is allowed.
- API keys (`api_key_required=True`): the `x-api-key` header must hold a key of the stage's
  usage plan, else 403 Forbidden; then `identity.apiKey` and `identity.apiKeyId` are set.
  Locally the keys are wsgen.toml's `api_keys`.

The checks run IAM (or the Lambda authorizer), then the key, the order of REST APIs;
docs/aws-facts.md#access-control has the sources and what is unverified.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field

from ..arns import global_arn
from . import sigv4
from .events import ACCOUNT_ID, Api, UpgradeRequest
from .outcomes import FORBIDDEN, FORBIDDEN_MESSAGE, Step, Verdict

API_KEY_HEADER = "x-api-key"
DUMMY_KEY = "wsgen-local"
"""The access key id and secret the emulator sets when the user has no credentials of their
own; upgrade requests signed with them pass the IAM check."""


def known_credentials(environ: Mapping[str, str]) -> dict[str, str]:
    """The access keys whose signatures are checked locally, with their secrets: the ones
    handlers run with. Those exported as `AWS_ACCESS_KEY_ID`/`AWS_SECRET_ACCESS_KEY`; else,
    when the user has credentials of their own (`has_credentials`: a profile, SSO, a role...),
    the key botocore's credential chain resolves for this process, as `botocore.Session()
    .get_credentials()` gives it (an SSO or assumed role's credentials may take a call to
    AWS); else wsgen's dummy pair, which handlers then get. Nothing when the chain fails.
    """
    key, secret = environ.get("AWS_ACCESS_KEY_ID"), environ.get("AWS_SECRET_ACCESS_KEY")
    if key and secret:
        return {key: secret}
    from ..local.environment import has_credentials

    if not has_credentials():
        return {DUMMY_KEY: DUMMY_KEY}
    import botocore.session
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        resolved = botocore.session.Session().get_credentials()
        frozen = resolved.get_frozen_credentials() if resolved is not None else None
    except (BotoCoreError, ClientError):
        return {}
    return {frozen.access_key: frozen.secret_key} if frozen is not None else {}


def api_key_id(key: str) -> str:
    """A stable id for a local API key, shaped like API Gateway's (10 lowercase characters)."""
    digest = int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big")
    alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
    return "".join(alphabet[(digest >> (6 * i)) % 36] for i in range(10))


@dataclass
class ConnectAccess:
    """What the front end knows to check `$connect`'s IAM signatures and API keys with."""

    credentials: dict[str, str] = field(default_factory=dict)
    """Access key id to secret: who may sign (`known_credentials`)."""
    api_keys: tuple[str, ...] = ()
    """The keys of the stage's usage plan."""

    def signer(self) -> tuple[str, str] | None:
        """The access key id and secret a local caller signs with (the pair whose signatures
        are checked), or None when there is none."""
        return next(iter(self.credentials.items()), None)

    def iam(self, api: Api, request: UpgradeRequest) -> Verdict | dict[str, str]:
        """The caller's `identity` fields when the signature is valid, else the 403."""
        signer = sigv4.verify(
            request.method, request.target, request.headers, self.credentials, api.region
        )
        if isinstance(signer, sigv4.Refusal):
            reason = f"IAM: {signer.error_type}: {signer.message}"
            return Verdict(FORBIDDEN, reason, signer.message, step=Step.IAM)
        return {
            "accountId": ACCOUNT_ID,
            "caller": signer,
            "user": signer,
            "userArn": global_arn("iam", api.region, ACCOUNT_ID, f"user/{signer}"),
            "accessKey": signer,
        }

    def api_key(self, request: UpgradeRequest) -> Verdict | dict[str, str]:
        """`identity.apiKey` and `apiKeyId` for a key of the usage plan, else the 403."""
        key = request.header(API_KEY_HEADER)
        if not key or key not in self.api_keys:
            what = "no x-api-key header" if not key else "x-api-key is not a key of the stage"
            return Verdict(FORBIDDEN, f"API key: {what}", FORBIDDEN_MESSAGE, step=Step.API_KEY)
        return {"apiKey": key, "apiKeyId": api_key_id(key)}
