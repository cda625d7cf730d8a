"""The stage: its route settings (logging, throttling), its logs and the account logging role.

https://docs.aws.amazon.com/apigateway/latest/developerguide/websocket-api-logging.html
"""

from __future__ import annotations

from typing import Any

from troposphere import AWSObject, GetAtt, Ref, Sub, Template, apigatewayv2
from troposphere.apigateway import Account
from troposphere.apigatewayv2 import AccessLogSettings, Api, Route, Stage
from troposphere.iam import Role
from troposphere.logs import LogGroup

from ..settings import RouteSettings, Settings
from .arns import var
from .function import log_group_attributes
from .names import logical_id

# One JSON object per event, with $context variables API Gateway documents for WebSocket
# access logs. `error.messageString` is the message already quoted for JSON; the others
# are plain values (`-` when API Gateway has none for the event, e.g. messageId outside
# MESSAGE events).
DEFAULT_ACCESS_LOG_FORMAT = (
    "{"
    + ",".join(
        [
            '"requestId":"$context.requestId"',
            '"ip":"$context.identity.sourceIp"',
            '"userAgent":"$context.identity.userAgent"',
            '"requestTime":"$context.requestTime"',
            '"requestTimeEpoch":"$context.requestTimeEpoch"',
            '"eventType":"$context.eventType"',
            '"routeKey":"$context.routeKey"',
            '"connectionId":"$context.connectionId"',
            '"connectedAt":"$context.connectedAt"',
            '"messageId":"$context.messageId"',
            '"status":"$context.status"',
            '"error":$context.error.messageString',
            '"integrationStatus":"$context.integration.status"',
            '"integrationError":"$context.integration.error"',
            '"integrationLatency":"$context.integration.latency"',
            '"authorizeStatus":"$context.authorize.status"',
            '"authorizerError":"$context.authorizer.error"',
            '"principalId":"$context.authorizer.principalId"',
        ]
    )
    + "}"
)

# The access log group needs a retention period (an unbounded one grows forever): this one
# when wsgen.toml sets no log_retention_days.
DEFAULT_ACCESS_LOG_RETENTION_DAYS = 30

PUSH_TO_CLOUDWATCH_POLICY = (
    "arn:${AWS::Partition}:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs"
)


def execution_logging(settings: Settings) -> bool:
    """Whether any route writes execution logs: by the stage's level, or by its own."""
    levels = [settings.logging_level] + [
        route.logging_level or settings.logging_level for route in settings.routes.values()
    ]
    return any(level != "OFF" for level in levels)


def logs_anything(settings: Settings) -> bool:
    """Whether the stage writes access or execution logs (both need the account's role)."""
    return settings.access_logging or execution_logging(settings)


def add_access_log_group(t: Template, settings: Settings) -> LogGroup | None:
    """The log group of the stage's access log, or None with `access_logging = false`.

    It outlives the stack by default (`access_log_deletion_policy`): it is the record of who
    connected, and its retention still expires it.
    """
    if not settings.access_logging:
        return None
    return t.add_resource(
        LogGroup(
            logical_id("APIAccessLogGroup"),
            RetentionInDays=settings.log_retention_days or DEFAULT_ACCESS_LOG_RETENTION_DAYS,
            **log_group_attributes(settings.access_log_deletion_policy),
        )
    )


def add_execution_log_group(t: Template, api: Api, settings: Settings) -> LogGroup | None:
    """The group API Gateway writes execution logs to, made first to give it a retention.

    API Gateway would otherwise create `API-Gateway-Execution-Logs_{api id}/{stage}`
    itself, keeping its logs forever.
    """
    if not execution_logging(settings):
        return None
    return t.add_resource(
        LogGroup(
            logical_id("APIExecutionLogGroup"),
            LogGroupName=Sub(f"API-Gateway-Execution-Logs_{var(api)}/{settings.stage}"),
            RetentionInDays=settings.log_retention_days or DEFAULT_ACCESS_LOG_RETENTION_DAYS,
            **log_group_attributes("Delete"),
        )
    )


def add_account_logging_role(t: Template) -> Account:
    """The account's API Gateway CloudWatch Logs role: account-wide, one per region.

    The role is retained when the stack goes, since every API of the region logs through
    it: deleting it would break their logging, not just this API's.
    """
    role = t.add_resource(
        Role(
            logical_id("APIGatewayLoggingRole"),
            AssumeRolePolicyDocument={
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"Service": "apigateway.amazonaws.com"},
                        "Action": "sts:AssumeRole",
                    }
                ],
            },
            ManagedPolicyArns=[Sub(PUSH_TO_CLOUDWATCH_POLICY)],
            DeletionPolicy="Retain",
            UpdateReplacePolicy="Retain",
        )
    )
    return t.add_resource(
        Account(logical_id("APIGatewayAccount"), CloudWatchRoleArn=GetAtt(role, "Arn"))
    )


def _route_settings(route: RouteSettings) -> dict[str, Any]:
    """A route's settings as CloudFormation names them, without those left unset."""
    properties = {
        "DataTraceEnabled": route.data_trace,
        "LoggingLevel": route.logging_level,
        "ThrottlingBurstLimit": route.throttling_burst_limit,
        "ThrottlingRateLimit": route.throttling_rate_limit,
    }
    return {name: value for name, value in properties.items() if value is not None}


def add_stage(
    t: Template,
    api: Api,
    routes: dict[str, Route],
    settings: Settings,
    access_log_group: LogGroup | None,
    depends_on: list[AWSObject],
) -> Stage:
    """The stage, redeployed by API Gateway itself whenever a route or integration changes.

    `AutoDeploy` replaces Chalice's `Deployment`, whose fixed logical id never redeploys.
    Route settings name routes by key, so the stage waits for those routes to exist.
    """
    defaults = _route_settings(
        RouteSettings(
            data_trace=settings.data_trace,
            logging_level=settings.logging_level,
            throttling_burst_limit=settings.throttling_burst_limit,
            throttling_rate_limit=settings.throttling_rate_limit,
        )
    )
    optional: dict[str, Any] = {}
    if access_log_group is not None:
        optional["AccessLogSettings"] = AccessLogSettings(
            DestinationArn=GetAtt(access_log_group, "Arn"),
            Format=settings.access_log_format or DEFAULT_ACCESS_LOG_FORMAT,
        )
    if settings.routes:
        optional["RouteSettings"] = {
            key: _route_settings(route) for key, route in sorted(settings.routes.items())
        }
        depends_on = depends_on + [routes[key] for key in sorted(settings.routes)]
    if depends_on:
        optional["DependsOn"] = depends_on
    if settings.tags:
        optional["Tags"] = settings.tags
    return t.add_resource(
        Stage(
            logical_id("APIStage"),
            ApiId=Ref(api),
            AutoDeploy=True,
            StageName=settings.stage,
            DefaultRouteSettings=apigatewayv2.RouteSettings(**defaults),
            **optional,
        )
    )
