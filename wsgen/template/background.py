"""Permissions for the app's asynchronous invocations: `@app.on_ws_connected`'s self-invoke.

The function serving `$connect` starts the connected step by invoking itself
asynchronously (docs/aws-facts.md#async-invocation), so its role may call
`lambda:InvokeFunction` on that one function. The statement cannot sit in the function's own
`Policies`: SAM puts them in the role the function depends on, and the role would then refer
to the function (a cycle CloudFormation refuses). A separate policy attached to SAM's
generated role (`{FunctionLogicalId}Role`) refers to both, and neither refers to it.
"""

from __future__ import annotations

from typing import Any

from troposphere import GetAtt, Ref, Sub, Template
from troposphere.iam import PolicyType
from troposphere.serverless import Function

from runtime.contract import CONNECT
from runtime.spec import AppSpec

from .function import Functions
from .names import logical_id


def add_connected_permission(t: Template, functions: Functions, spec: AppSpec) -> None:
    """With `@app.on_ws_connected`: the `$connect` function may invoke itself, only itself."""
    if spec.connected is None or CONNECT not in functions.by_route:
        return
    function = functions.by_route[CONNECT]
    name = next(n for n, f in functions.all.items() if f is function)
    t.add_resource(
        PolicyType(
            logical_id("ConnectedInvokePolicy", function=name),
            PolicyName="invoke-self-for-on-ws-connected",
            # SAM names the role it generates for a function `{logical id}Role`.
            Roles=[Ref(f"{function.title}Role")],
            PolicyDocument={
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Action": "lambda:InvokeFunction",
                        "Resource": _itself(function),
                    }
                ],
            },
        )
    )


def _itself(function: Function) -> Any:
    """The function's ARN; with `snap_start`, its versions' too: the runtime invokes the
    version running (SnapStart's snapshot is a published version's, never `$LATEST`'s)."""
    arn = GetAtt(function, "Arn")
    if "AutoPublishAlias" not in function.properties:
        return arn
    return [arn, Sub(f"${{{function.title}.Arn}}:*")]
