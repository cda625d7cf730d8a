"""The AWS quotas a generated template can run into, checked before anything is written.

- Lambda: a function's resource-based policy holds at most 20 KB, so a function invoked by
  many routes shares one integration and one invoke permission (`shares_invocation`).
- CloudFormation: at most 500 resources in a stack, counted after SAM's transform
  (`check_resource_quota`).
- API Gateway: 300 routes per API by default, a quota AWS raises on request
  (`route_quota_warning`).
- Lambda: a function's environment variables take at most 4 KB together
  (`check_environment_size`).
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

from troposphere import Template

from runtime.spec import AppSpec

from ..exceptions import LogicalIdError, QuotaError

# Lambda caps a function's resource-based policy at 20,480 bytes: past it, CloudFormation's
# deploy fails with "The final policy size (...) is bigger than the limit (20480)".
# https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html
# Each AWS::Lambda::Permission adds one statement, as compact JSON:
#   {"Sid":"…","Effect":"Allow","Principal":{"Service":"apigateway.amazonaws.com"},
#    "Action":"lambda:InvokeFunction","Resource":"<function ARN>",
#    "Condition":{"ArnLike":{"AWS:SourceArn":"<execute-api ARN>/<stage>/<route key>"}}}
# is 170 bytes of fixed text, a comma, the Sid CloudFormation makes from the stack name, the
# logical id and a random suffix (at most 100 characters), the function ARN (at most 123:
# the aws-us-gov partition, a 14-character region, a 64-character function name) and the
# source ARN (66 before the stage, in the same worst case), plus the stage and route key.
# That is 460 bytes and the stage and route key. A typical statement ("mystack", eu-west-1,
# stage "api", key "join") is about 360 bytes; the worst (stage and route key of 128
# characters each) about 720. 25 statements then take 9 KB typically and 18 KB at worst,
# under 20,480 with room for the statements the user's own triggers add (SQS, S3, ...).
PERMISSIONS_PER_FUNCTION = 25
"""Invoke permissions a function gets one by one: its routes', and the authorizer's."""

RESOURCES_PER_STACK = 500
"""CloudFormation's resource quota, counted on the template after SAM's transform.

https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/cloudformation-limits.html
"""

ROUTES_PER_API = 300
"""API Gateway's default quota of routes per WebSocket API (adjustable).

https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-execution-service-websocket-limits-table.html
"""

# What SAM writes for each of its resource types (samtranslator 1.115): the resource, and
# the role SAM makes for a function or state machine that names none. A function's or state
# machine's events, alias and the like add theirs (`_count`); a type not listed
# counts 3, as many as an API's Api, Deployment and Stage.
_SERVERLESS = {
    "AWS::Serverless::Application": 1,
    "AWS::Serverless::LayerVersion": 1,
    "AWS::Serverless::SimpleTable": 1,
    "AWS::Serverless::HttpApi": 2,
    "AWS::Serverless::Api": 3,
}
_WITH_ROLE = ("AWS::Serverless::Function", "AWS::Serverless::StateMachine")
_UNKNOWN_SERVERLESS = 3
# Polled event sources become one event source mapping, with no permission; every other
# event (a schedule's rule, a topic's subscription, ...) is a resource and its permission.
_MAPPED_EVENTS = frozenset(
    {"SQS", "DynamoDB", "Kinesis", "MQ", "MSK", "SelfManagedKafka", "DocumentDB"}
)


def shares_invocation(routes: int, authorizer: bool) -> bool:
    """Whether a function's routes share one integration and one stage-wide permission.

    Below the threshold each route keeps its own integration and a permission scoped to its
    route key (what SAM's own WebSocket API writes); above it, one statement for the stage
    keeps the function's policy small however many routes it serves.
    """
    return routes + authorizer > PERMISSIONS_PER_FUNCTION


class _Template(Template):
    """A troposphere template that leaves the resource quota to `check_resource_quota`.

    troposphere stops at 500 resources before SAM's transform, with a bare ValueError; the
    template is counted after it instead, with an error naming what to change. A logical id
    made twice (a route key that spells another resource's name) is a `LogicalIdError`.
    """

    def add_resource(self, resource: Any) -> Any:
        if resource.title in self.resources:
            raise LogicalIdError(resource.title)
        self.resources[resource.title] = resource
        return resource


def new_template(description: str) -> Template:
    return _Template(Description=description)


def transformed_count(template: dict[str, Any]) -> int:
    """How many resources CloudFormation gets once SAM has transformed `template`.

    Exact for the resources wsgen writes (a function is the function and its role); for a
    merged template's own SAM resources, an upper estimate.
    """
    resources = list(template.get("Resources", {}).values())
    count = sum(_count(resource) for resource in resources)
    # An Api or HttpApi event naming no API makes SAM add one: the API, a deployment, a stage.
    implicit = any(_implicit_api(event) for resource in resources for event in _events(resource))
    return count + 3 * implicit


def _count(resource: dict[str, Any]) -> int:
    kind = resource.get("Type", "")
    if not kind.startswith("AWS::Serverless::"):
        return 1
    if kind not in _WITH_ROLE:
        return _SERVERLESS.get(kind, _UNKNOWN_SERVERLESS)
    properties = resource.get("Properties") or {}
    return (
        1
        + ("Role" not in properties)
        + sum(_event_count(event) for event in _events(resource))
        + 2 * ("AutoPublishAlias" in properties)  # a version and an alias
        + 3 * ("DeploymentPreference" in properties)  # CodeDeploy's application, group, role
        + 2 * ("FunctionUrlConfig" in properties)  # the URL and its permission
        + ("EventInvokeConfig" in properties)  # its AWS::Lambda::EventInvokeConfig
    )


def _events(resource: dict[str, Any]) -> list[Any]:
    if resource.get("Type") not in _WITH_ROLE:
        return []
    return list(((resource.get("Properties") or {}).get("Events") or {}).values())


def _event_count(event: Any) -> int:
    mapped = isinstance(event, dict) and event.get("Type") in _MAPPED_EVENTS
    return 1 if mapped else 2


def _implicit_api(event: Any) -> bool:
    if not isinstance(event, dict) or event.get("Type") not in ("Api", "HttpApi"):
        return False
    properties = event.get("Properties") or {}
    return "RestApiId" not in properties and "ApiId" not in properties


def check_resource_quota(template: dict[str, Any], merged: bool = False) -> int:
    """The transformed template's resource count; a `QuotaError` past CloudFormation's 500.

    `merged` says whether a merge template added resources (then one fix is fewer of them).
    """
    count = transformed_count(template)
    if count <= RESOURCES_PER_STACK:
        return count
    kinds = Counter(
        resource.get("Type", "?").rpartition("::")[2]
        for resource in template.get("Resources", {}).values()
    )
    fixes = ["fewer routes (one route can dispatch on a field of the message)"]
    if kinds["Integration"] > kinds["Function"]:  # some function has one per route
        fixes.append(
            f"fewer [functions.NAME] tables (a function serving over {PERMISSIONS_PER_FUNCTION} "
            "routes has one integration and one permission for all of them)"
        )
    if kinds["RouteResponse"]:
        fixes.append("fewer two-way routes (each adds a RouteResponse)")
    if merged:
        fixes.append("fewer resources in the merged template")
    fixes.append("or two apps, each in a stack of its own")
    largest = ", ".join(f"{n} {kind}" for kind, n in kinds.most_common(4))
    raise QuotaError(
        f"the template needs {count} resources once SAM transforms it ({largest}, ...), "
        f"over CloudFormation's {RESOURCES_PER_STACK} per stack; use {', '.join(fixes)}"
    )


def route_quota_warning(spec: AppSpec) -> str | None:
    """The warning for an app with more routes than API Gateway allows by default."""
    if len(spec.routes) <= ROUTES_PER_API:
        return None
    return (
        f"{len(spec.routes)} routes: API Gateway allows {ROUTES_PER_API} routes per API by "
        "default, so the deploy fails until AWS raises the 'Routes per API' quota for your "
        "account (a Service Quotas or AWS Support request)"
    )


ENVIRONMENT_BYTES = 4 * 1024
"""Lambda's limit on a function's environment variables, all of them together, measured as
their compact JSON object (docs/aws-facts.md#deploy-time-limits)."""

_FUNCTION_TYPES = ("AWS::Serverless::Function", "AWS::Lambda::Function")


def environment_size(variables: dict[str, Any]) -> int:
    """The size Lambda measures for `variables`, at least: `{"NAME":"value",...}` in UTF-8.

    A value CloudFormation computes (`Ref`, `Fn::Sub`, ...) counts as the literal text it
    holds and one character per reference: less than it will be, so that no template that
    deploys is refused.
    """
    known = {name: _least_text(value) for name, value in variables.items()}
    return len(json.dumps(known, separators=(",", ":"), ensure_ascii=False).encode())


def _least_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and len(value) == 1 and "Fn::Sub" in value:
        template = value["Fn::Sub"]
        text = template if isinstance(template, str) else (template or [""])[0]
        if isinstance(text, str):
            parts = text.split("${")
            return parts[0] + "".join("x" + part.partition("}")[2] for part in parts[1:])
    return "x"


def _variables(holder: Any) -> dict[str, Any]:
    """`holder["Environment"]["Variables"]` when each is a mapping, else nothing."""
    environment = (holder if isinstance(holder, dict) else {}).get("Environment")
    variables = environment.get("Variables") if isinstance(environment, dict) else None
    return variables if isinstance(variables, dict) else {}


def check_environment_size(template: dict[str, Any]) -> None:
    """A `QuotaError` for a function whose environment is over Lambda's 4 KB.

    A SAM function's environment is `Globals.Function.Environment.Variables` merged with its
    own, its own winning on a name both set, as SAM merges them
    (docs/aws-facts.md#deploy-time-limits).
    """
    globals_ = template.get("Globals")
    shared = _variables(globals_.get("Function") if isinstance(globals_, dict) else None)
    for title, resource in sorted(template.get("Resources", {}).items()):
        if not isinstance(resource, dict) or resource.get("Type") not in _FUNCTION_TYPES:
            continue
        own = _variables(resource.get("Properties"))
        serverless = resource["Type"] == "AWS::Serverless::Function"
        variables = {**shared, **own} if serverless else own
        if not variables:
            continue
        size = environment_size(variables)
        if size <= ENVIRONMENT_BYTES:
            continue
        largest = max(variables, key=lambda name: len(_least_text(variables[name])))
        merged = ", with Globals.Function's," if serverless and shared else ""
        raise QuotaError(
            f"function {title}'s environment variables{merged} take {size} bytes, over Lambda's "
            f"{ENVIRONMENT_BYTES} for all of them (the largest: {largest}); keep large values "
            "in SSM Parameter Store or S3 and read them at start"
        )
