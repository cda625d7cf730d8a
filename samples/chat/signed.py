"""AWS's JSON APIs (SSM, DynamoDB) called with requests `runtime.aws` signs, as the runtime's
own: importing boto3 would cost the chat's cold starts about 365 ms.

The endpoint is `AWS_ENDPOINT_URL_<SERVICE>` when set (`wsgen local --dynamodb` and the tests
set it), else the region's.
"""

import json
import os

from runtime import aws


def call(service, target, payload, protocol="1.1"):
    """`target`'s answer (a dict); a RuntimeError naming `target` and AWS's error if it fails."""
    region = os.environ.get("AWS_REGION", "us-east-1")
    local = os.environ.get(f"AWS_ENDPOINT_URL_{service.upper()}")
    credentials = aws.credentials()
    if credentials is None and local:  # a local server takes any signature (wsgen local)
        credentials = aws.Credentials("local", "local")
    if credentials is None:
        raise RuntimeError(f"no AWS credentials in the environment to call {target}")
    response = aws.request(
        "POST",
        (local or f"https://{service}.{region}.amazonaws.com").rstrip("/") + "/",
        service=service,
        credentials=credentials,
        body=json.dumps(payload).encode(),
        headers={"Content-Type": f"application/x-amz-json-{protocol}", "X-Amz-Target": target},
    )
    if not response.ok:
        raise RuntimeError(f"{target} failed: {response.error_code} {response.error_message}")
    return response.json()
