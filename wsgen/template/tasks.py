"""`@app.task()` in the template: the task's function, its failure queue, who may start it.

A task's function has a name known before it exists, `${AWS::StackName}-{task}`, so every
function of the app can be given `lambda:InvokeFunction` on it, and the prefix to find it
(`WSGEN_TASK_FUNCTION_PREFIX`), without referring to it: a reference would make a task that
starts a task (or itself) a dependency cycle. The stack's name and the task's must fit
Lambda's 64 characters together. Each task's function sends the record of a run that failed
all its attempts (`retry_attempts`, Lambda's `MaximumRetryAttempts`) to one queue,
`WsgenTaskFailureQueue`; SAM adds the role's `sqs:SendMessage` on it.
https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-retain-records.html
"""

from __future__ import annotations

from typing import Any

from troposphere import GetAtt, Output, Ref, Sub, Template
from troposphere.serverless import DestinationConfiguration, EventInvokeConfiguration, OnFailure
from troposphere.sqs import Queue

from runtime.contract import TASK, TASK_PREFIX_ENV
from runtime.spec import AppSpec

from ..settings import FunctionSettings, Settings
from .queues import failure_queue


def task_names(spec: AppSpec) -> tuple[str, ...]:
    return tuple(f.name for f in spec.functions if f.kind == TASK)


def task_function_name(task: str) -> Sub:
    return Sub("${AWS::StackName}-" + task)


def task_access(tasks: tuple[str, ...]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The policy starting these tasks' functions, and the environment naming them."""
    policy = {
        "Statement": [
            {
                "Effect": "Allow",
                "Action": "lambda:InvokeFunction",
                "Resource": [
                    Sub(
                        "arn:${AWS::Partition}:lambda:${AWS::Region}:${AWS::AccountId}:"
                        "function:${AWS::StackName}-" + task
                    )
                    for task in tasks
                ],
            }
        ]
    }
    return policy, {TASK_PREFIX_ENV: Sub("${AWS::StackName}-")}


def add_failure_queue(t: Template, settings: Settings) -> Queue:
    """`WsgenTaskFailureQueue`, kept 14 days: time to look at a failed task's record."""
    queue = failure_queue(t, "WsgenTaskFailureQueue", settings.tags)
    t.add_output(
        Output(
            "WsgenTaskFailureQueueURL",
            Description="Where the record of each @app.task() run that failed every attempt goes",
            Value=Ref(queue),
        )
    )
    return queue


def task_properties(task: str, plan: FunctionSettings, failures: Queue) -> dict[str, Any]:
    """The task function's own name and its asynchronous invocations' settings."""
    return {
        "FunctionName": task_function_name(task),
        "EventInvokeConfig": EventInvokeConfiguration(
            MaximumRetryAttempts=plan.retry_attempts,
            DestinationConfig=DestinationConfiguration(
                OnFailure=OnFailure(Type="SQS", Destination=GetAtt(failures, "Arn"))
            ),
        ),
    }
