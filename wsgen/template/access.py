"""API keys on `$connect`: the key, the usage plan of the API's stage, and what joins them.

A WebSocket route with `ApiKeyRequired` refuses clients whose `x-api-key` is not a key of a
usage plan of its stage; the plan is REST API Gateway's `AWS::ApiGateway::UsagePlan`, whose
`ApiStages` name the WebSocket API and its stage (docs/aws-facts.md#access-control).
API Gateway generates the key's value; the `WebsocketAPIKeyId` output names the key, and
`aws apigateway get-api-key --api-key ID --include-value` shows the value.
"""

from __future__ import annotations

from typing import Any

from troposphere import Output, Ref, Tags, Template
from troposphere.apigateway import ApiKey, ApiStage, UsagePlan, UsagePlanKey
from troposphere.apigatewayv2 import Api, Stage

from .names import logical_id


def add_api_key(t: Template, api: Api, stage: Stage, tags: dict[str, Any]) -> ApiKey:
    """One generated key, a usage plan of this API's stage holding it, and its id as output."""
    optional = {"Tags": Tags(tags)} if tags else {}
    key = t.add_resource(
        ApiKey(
            logical_id("APIKey"),
            Description="A key clients send in x-api-key to connect",
            Enabled=True,
            **optional,
        )
    )
    # Ref(stage) is the stage's name, and makes the plan wait for the stage to exist.
    plan = t.add_resource(
        UsagePlan(
            logical_id("UsagePlan"),
            ApiStages=[ApiStage(ApiId=Ref(api), Stage=Ref(stage))],
            Description="The API keys that may connect to this stage",
            **optional,
        )
    )
    t.add_resource(
        UsagePlanKey(
            logical_id("UsagePlanKey"), KeyId=Ref(key), KeyType="API_KEY", UsagePlanId=Ref(plan)
        )
    )
    t.add_output(
        Output(
            logical_id("APIKeyId"),
            Description="The API key's id: aws apigateway get-api-key --api-key ID --include-value",
            Value=Ref(key),
        )
    )
    return key
