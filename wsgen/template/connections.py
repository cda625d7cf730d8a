"""The connections table of an app with `App(..., connections=True)`, and its IAM.

The table's keys and index come from `runtime.contract.connections_table_schema()`, the one
definition `wsgen local --dynamodb` also creates tables from; docs/connections.md explains the
key design.
"""

from __future__ import annotations

from typing import Any

from troposphere import GetAtt, Output, Ref, Sub, Template
from troposphere.dynamodb import (
    AttributeDefinition,
    GlobalSecondaryIndex,
    KeySchema,
    PointInTimeRecoverySpecification,
    Projection,
    SSESpecification,
    Table,
    TimeToLiveSpecification,
)

from runtime.contract import PRINCIPAL_INDEX, TTL_ATTRIBUTE, connections_table_schema

from .arns import var
from .names import logical_id
from .waivers import CONNECTIONS_TABLE_WAIVERS, metadata

TABLE_ACTIONS = (
    # TransactWriteItems (join, leave) is authorized as the PutItem, UpdateItem and
    # DeleteItem it is made of.
    # https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/transaction-apis-iam.html
    "dynamodb:BatchGetItem",
    "dynamodb:BatchWriteItem",
    "dynamodb:DeleteItem",
    "dynamodb:GetItem",
    "dynamodb:PutItem",
    "dynamodb:Query",
    "dynamodb:Scan",
    "dynamodb:UpdateItem",
)
"""What `runtime.dynamodb.DynamoDBStore` calls on the table, and nothing else."""
INDEX_ACTIONS = ("dynamodb:Query",)
"""What it calls on the `principal` index (`connections.for_principal`)."""


def _keys(entries: list[dict[str, str]]) -> list[KeySchema]:
    return [KeySchema(**entry) for entry in entries]


def add_connections_table(t: Template) -> Table:
    """`WebsocketConnectionsTable`: on-demand, TTL on `expires_at`, encrypted with KMS."""
    schema = connections_table_schema()
    table = t.add_resource(
        Table(
            logical_id("ConnectionsTable"),
            # Records live 2 hours at most and are re-made by reconnecting: nothing to keep.
            DeletionPolicy="Delete",
            UpdateReplacePolicy="Delete",
            Metadata=metadata(CONNECTIONS_TABLE_WAIVERS),
            BillingMode="PAY_PER_REQUEST",
            AttributeDefinitions=[AttributeDefinition(**a) for a in schema["AttributeDefinitions"]],
            KeySchema=_keys(schema["KeySchema"]),
            GlobalSecondaryIndexes=[
                GlobalSecondaryIndex(
                    IndexName=index["IndexName"],
                    KeySchema=_keys(index["KeySchema"]),
                    Projection=Projection(**index["Projection"]),
                )
                for index in schema["GlobalSecondaryIndexes"]
            ],
            TimeToLiveSpecification=TimeToLiveSpecification(
                AttributeName=TTL_ATTRIBUTE, Enabled=True
            ),
            SSESpecification=SSESpecification(SSEEnabled=True, SSEType="KMS"),
            PointInTimeRecoverySpecification=PointInTimeRecoverySpecification(
                PointInTimeRecoveryEnabled=True
            ),
        )
    )
    t.add_output(
        Output(
            logical_id("ConnectionsTableName"),
            Description="The table of tracked connections (WSGEN_CONNECTIONS_TABLE)",
            Value=Ref(table),
        )
    )
    return table


def connections_policy(table: Table) -> dict[str, Any]:
    """The actions the runtime uses on the table and on its index, on those only."""
    return {
        "Statement": [
            {
                "Effect": "Allow",
                "Action": list(TABLE_ACTIONS),
                "Resource": GetAtt(table, "Arn"),
            },
            {
                "Effect": "Allow",
                "Action": list(INDEX_ACTIONS),
                "Resource": Sub(f"{var(table, 'Arn')}/index/{PRINCIPAL_INDEX}"),
            },
        ]
    }
