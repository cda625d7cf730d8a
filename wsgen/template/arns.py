"""ARNs and URLs of the generated resources, as `Fn::Sub` expressions.

Every ARN is built with `${AWS::Partition}`, and every host name with `${AWS::URLSuffix}`,
so the template also deploys to the China and GovCloud partitions.
"""

from __future__ import annotations

from troposphere import AWSObject, Ref, Sub


def var(resource: AWSObject, attribute: str | None = None) -> str:
    """`${Resource}` or `${Resource.Attribute}`: a reference inside a `Sub` string, by object."""
    return f"${{{resource.title}.{attribute}}}" if attribute else f"${{{resource.title}}}"


def literal(text: str) -> str:
    """`text` escaped for a `Sub` string: `${` would otherwise start a variable."""
    return text.replace("${", "${!")


def invoked(function: AWSObject) -> str:
    """What API Gateway invokes of `function`: `Alias` (SAM's published alias), else `Arn`.

    A function with `AutoPublishAlias` (SnapStart) must be invoked through the alias:
    SnapStart applies to published versions only, never to `$LATEST`.
    https://docs.aws.amazon.com/lambda/latest/dg/snapstart.html
    """
    return "Alias" if "AutoPublishAlias" in function.properties else "Arn"


def invoked_function(function: AWSObject) -> Ref:
    """`FunctionName` for a permission to invoke what `invoked` names."""
    return Ref(f"{function.title}.Alias") if invoked(function) == "Alias" else Ref(function)


def invocations_uri(function: AWSObject) -> Sub:
    """The Lambda invocations URI API Gateway integrations and authorizers call.

    WebSocket APIs need this full form, not the bare function ARN HTTP APIs accept.
    """
    prefix = "arn:${AWS::Partition}:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/"
    if invoked(function) == "Alias":
        # a variable, not `${Function.Alias}` in the string: SAM resolves the alias in a Ref
        return Sub(prefix + "${Target}/invocations", Target=invoked_function(function))
    return Sub(prefix + f"{var(function, 'Arn')}/invocations")


def execute_api_arn(api: AWSObject, *path: str | AWSObject) -> Sub:
    """`arn:…:execute-api:{region}:{account}:{api id}/{path}`.

    The path's strings are taken literally; a resource in it stands for its `Ref`.
    """
    parts = [var(part) if isinstance(part, AWSObject) else literal(part) for part in path]
    return Sub(
        "arn:${AWS::Partition}:execute-api:${AWS::Region}:${AWS::AccountId}:"
        f"{var(api)}/{'/'.join(parts)}"
    )


def api_url(api: AWSObject, scheme: str, stage: str) -> Sub:
    """`{scheme}://{api id}.execute-api.{region}.{url suffix}/{stage}`."""
    return Sub(f"{scheme}://{var(api)}.execute-api.${{AWS::Region}}.${{AWS::URLSuffix}}/{stage}")
