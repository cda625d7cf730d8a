"""AWS's JSON-protocol APIs without boto3: `call_aws_json`, and where each service is.

DynamoDB, SQS, SSM, Secrets Manager, KMS, Kinesis, CloudWatch Logs, Step Functions... take
one signed POST of the operation's input as JSON. `call_aws_json` is the public seam
(`runtime.call_aws_json`, docs/guide.md): it decides the endpoint (the SDKs' override
variables, `service_endpoint`), the credentials and the error (`AwsApiError`), for the
runtime's connections table and fan-out queue as for apps; `runtime.aws.request` signs,
sends and retries.

Apart from `runtime.aws` so that an app that only answers and sends (the echo app's cold
start) never compiles it.
"""

from __future__ import annotations

import os

from .aws import Credentials, credentials, dns_suffix, environment_region, request, split_url

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

__all__ = ["call_aws_json", "service_endpoint"]

_SERVICE_IDS = {
    "events": "EVENTBRIDGE",
    "logs": "CLOUDWATCH_LOGS",
    "secretsmanager": "SECRETS_MANAGER",
    "states": "SFN",
}
"""`<SERVICE>` of `AWS_ENDPOINT_URL_<SERVICE>` for JSON-protocol APIs whose service id is not
their signing name upper-cased (docs/aws-facts.md#sdk-endpoints). Any other service's is its
signing name upper-cased with `-` made `_` (a name a shell can export), which may not be the
SDKs' (`cognito-idp`'s id is "Cognito Identity Provider"): `endpoint=` says it surely."""


def service_endpoint(service: str, region: str | None = None, default: str | None = None) -> str:
    """Where calls to `service` go, without a trailing slash: `AWS_ENDPOINT_URL_<SERVICE>`
    (the service id for `_SERVICE_IDS`' services, else the signing name upper-cased with `-`
    made `_`), then
    `AWS_ENDPOINT_URL` (the SDKs' variables, docs/aws-facts.md#sdk-endpoints), then
    `default`, then AWS's `https://{service}.{region}.amazonaws.com` (`.com.cn` in China;
    `region` defaults to `AWS_REGION`, `AWS_DEFAULT_REGION`, us-east-1)."""
    env = os.environ
    name = _SERVICE_IDS.get(service) or service.upper().replace("-", "_")
    found = env.get(f"AWS_ENDPOINT_URL_{name}") or env.get("AWS_ENDPOINT_URL")
    found = found or default
    if not found:
        region = region or environment_region() or "us-east-1"
        found = f"https://{service}.{region}.{dns_suffix(region)}"
    return found.rstrip("/")


def call_aws_json(
    service: str,
    target: str,
    payload: dict[str, Any],
    *,
    json_version: str,
    endpoint: str | None = None,
    region: str | None = None,
    credentials: Credentials | None = None,
) -> Any:
    """Call an operation of an AWS API that speaks the JSON protocol; its answer, parsed.

    DynamoDB, SQS, SSM, Secrets Manager, KMS, Kinesis, CloudWatch Logs, Step Functions...
    take one POST of the operation's input as JSON, naming the operation in
    `X-Amz-Target` (`target`: the API's target prefix, a dot, the operation:
    `AmazonSSM.GetParameter`) and the protocol's version in `Content-Type`
    (`json_version`: "1.0" or "1.1", the `jsonVersion` of the API's model). The request is
    signed (SigV4, for `service`) and retried as `runtime.aws.request()` does.

    It goes to `endpoint`, else to `service_endpoint(service, region)`: the SDKs' override
    variables `AWS_ENDPOINT_URL_<SERVICE>`, then `AWS_ENDPOINT_URL`, then AWS's regional
    endpoint. It is signed with `credentials`, else the function's (`runtime.aws.credentials()`);
    with neither, an endpoint that is not AWS's own (moto, DynamoDB Local, LocalStack) gets
    placeholder keys, which such servers take.

    Raises:
        AwsApiError: the API answered an error (its code, message and HTTP status).
        CredentialsError: no credentials to sign with, for AWS's own endpoint.
        OSError: the network failed on the last attempt.
    """
    import json

    url = (endpoint or service_endpoint(service, region)).rstrip("/") + "/"
    signing = credentials if credentials is not None else _function_credentials()
    if signing is None:
        if _is_aws_host(split_url(url)[1]):
            from .exceptions import CredentialsError

            raise CredentialsError(
                "the environment",
                f"none to call {target} (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, as "
                "Lambda sets them, or a container credentials endpoint); set them, or pass "
                "credentials=",
            )
        signing = Credentials("local", "local")  # a local server takes any signature
    text = json.dumps(payload, separators=(",", ":"), ensure_ascii=False)
    try:
        body = text.encode()
    except UnicodeEncodeError:  # a lone surrogate: JSON's own \ud800 escape carries it
        body = json.dumps(payload, separators=(",", ":")).encode()
    response = request(
        "POST",
        url,
        service=service,
        credentials=signing,
        body=body,
        headers={
            "Content-Type": f"application/x-amz-json-{json_version}",
            "X-Amz-Target": target,
        },
        region=region,
    )
    if response.ok:
        return response.json() if response.body else {}
    from .exceptions import AwsApiError

    try:
        details = response.json() if response.body[:1] == b"{" else None
    except ValueError:  # not JSON after all: the code and status still say it
        details = None
    raise AwsApiError(
        target,
        response.status,
        response.error_code,
        response.error_message,
        response.request_id,
        details if isinstance(details, dict) else {},
    )


def _function_credentials() -> Credentials | None:
    return credentials()  # the module's function, which the parameter above hides


def _is_aws_host(host: str) -> bool:
    return host.endswith((".amazonaws.com", ".amazonaws.com.cn", ".api.aws"))
