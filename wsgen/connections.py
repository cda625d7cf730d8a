"""The connections table on a DynamoDB endpoint other than AWS's, made as the template makes it.

`wsgen local --dynamodb URL` and `wsgen.testing.Client(app, dynamodb=URL)` create it from
`runtime.contract.connections_table_schema()`, the definition `wsgen template` deploys.
"""

from __future__ import annotations

import uuid
from typing import Any

from runtime.contract import TTL_ATTRIBUTE, connections_table_schema
from runtime.dynamodb import DynamoDBStore, boto3_call, default_call
from runtime.store import ConnectionStore, MemoryStore

from .exceptions import DynamoDBEndpointError

DEFAULT_TABLE = "wsgen-connections"
LOCAL_KEY = "wsgen-local"
LOCAL_REGION = "us-east-1"
"""The region of tables wsgen makes on a local endpoint (DynamoDB-compatible servers keep
tables per region, so the runtime's calls name the same one)."""


def dynamodb_client(endpoint_url: str, region: str = "us-east-1") -> Any:
    """A boto3 client of `endpoint_url`, with dummy credentials when none are configured."""
    import boto3
    import botocore.config

    return boto3.session.Session().client(
        "dynamodb",
        endpoint_url=endpoint_url,
        region_name=region,
        aws_access_key_id=LOCAL_KEY,
        aws_secret_access_key=LOCAL_KEY,
        config=botocore.config.Config(retries={"max_attempts": 2}, connect_timeout=5),
    )


def ensure_table(client: Any, table_name: str = DEFAULT_TABLE) -> bool:
    """Create the connections table unless it exists, with TTL on; whether it was created.

    Raises:
        DynamoDBEndpointError: the endpoint cannot be reached or refuses the table.
    """
    from botocore.exceptions import BotoCoreError, ClientError

    endpoint = client.meta.endpoint_url
    try:
        try:
            client.describe_table(TableName=table_name)
            return False
        except client.exceptions.ResourceNotFoundException:
            pass
        client.create_table(
            TableName=table_name, BillingMode="PAY_PER_REQUEST", **connections_table_schema()
        )
        client.get_waiter("table_exists").wait(
            TableName=table_name, WaiterConfig={"Delay": 0.2, "MaxAttempts": 100}
        )
        client.update_time_to_live(
            TableName=table_name,
            TimeToLiveSpecification={"Enabled": True, "AttributeName": TTL_ATTRIBUTE},
        )
    except (BotoCoreError, ClientError) as exc:
        raise DynamoDBEndpointError(endpoint, str(exc)) from exc
    return True


def connection_store(app_name: str, dynamodb: str | None) -> tuple[ConnectionStore, str]:
    """The store wsgen local and the test client give a tracked app, and a line saying which.

    In memory without `dynamodb`; else a new table on that endpoint, made as deployed (a new
    name each time, so no record of an earlier run's connections is left in it).

    Raises:
        DynamoDBEndpointError: the endpoint cannot be reached or refuses the table.
    """
    if dynamodb is None:
        return MemoryStore(), "connections: in memory"
    table = f"{app_name}-connections-{uuid.uuid4().hex[:8]}"
    client = dynamodb_client(dynamodb, LOCAL_REGION)
    ensure_table(client, table)
    # The runtime's own way to DynamoDB, as in Lambda: signed by runtime.aws when the
    # environment has keys (wsgen local sets dummy ones), else this boto3 client.
    call = default_call(dynamodb, LOCAL_REGION, fallback=boto3_call(client=client))
    store = DynamoDBStore(table, call)
    return store, f"connections: table {table} at {dynamodb}"
