"""The app's own DynamoDB tables on a local endpoint, made from the template it deploys.

`wsgen local --dynamodb [URL]` and `wsgen.testing.Client(app, dynamodb=...)` create every
`AWS::DynamoDB::Table` of the app's template (`wsgen.template.generate`: the generated one
with `merge_template` merged in) from its `Properties`: keys, attribute definitions, global
and local secondary indexes, billing mode and throughput, streams, and its TTL. The
connections table (`WebsocketConnectionsTable`) is left to `wsgen.connections`, which makes a
fresh one each run.

A table is named by its literal `TableName`, else by its logical id (CloudFormation would
add the stack's name and a random suffix); the test client adds a suffix of its own, so each
client starts with empty tables. `wsgen.toml` environment values `{ Ref = "LogicalId" }` of
those tables resolve to these names, as `Ref` of a table gives its name once deployed.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .exceptions import ConfigError, DynamoDBEndpointError
from .merge import load_template

TYPE_CHECKING = False
if TYPE_CHECKING:
    from runtime.spec import AppSpec
    from runtime.store import ConnectionStore

    from .settings import Settings

TABLE_TYPE = "AWS::DynamoDB::Table"
CONNECTIONS_TABLE = "WebsocketConnectionsTable"
"""The generated connections table (`wsgen.template.connections`), made by `wsgen.connections`."""

_INDEX_KEYS = ("IndexName", "KeySchema", "Projection", "ProvisionedThroughput")
"""What CreateTable takes of a CloudFormation index (OnDemandThroughput, ContributorInsights
and the like change nothing locally)."""


class LocalTables:
    """An app's tables on the DynamoDB endpoint `dynamodb` (True: the embedded one).

    `expect()` names the merged file's tables before the app is imported; `create()` makes
    every table of the app's template once it is. `names` maps logical ids to local names.

    Raises:
        EmbeddedDynamoDBError: `dynamodb` is True and moto is not installed.
    """

    def __init__(self, dynamodb: str | bool, suffix: str = "") -> None:
        from . import embedded

        self.embedded = dynamodb is True
        self.endpoint = embedded.endpoint() if dynamodb is True else str(dynamodb)
        self.suffix = suffix
        self.names: dict[str, str] = {}
        self._made: dict[str, str] = {}
        self._client: Any = None

    def expect(self, merge_template: Path | None) -> dict[str, str]:
        """The names the merged file's tables will have (read before the app's import)."""
        for logical_id, properties in merged_tables(merge_template).items():
            self.names.setdefault(logical_id, local_name(logical_id, properties, self.suffix))
        return self.names

    def create(self, spec: AppSpec, settings: Settings, region: str) -> dict[str, str]:
        """Make every table of the app's template in `region` (where handlers look for
        them: DynamoDB keeps tables per region) unless it exists; `names`.

        Raises:
            ConfigError: a table's properties cannot be made locally.
            DynamoDBEndpointError: the endpoint cannot be reached or refuses a table.
        """
        from .connections import dynamodb_client
        from .template import generate

        template = generate(spec, settings, code_uri=".", layer_uri=".")
        self._client = dynamodb_client(self.endpoint, region)
        source = str(settings.merge_template) if settings.merge_template else None
        self._made = create_tables(self._client, template_tables(template), self.suffix, source)
        self.names.update(self._made)
        return self.names

    def refs(self, store: ConnectionStore | None) -> dict[str, str]:
        """What a wsgen.toml `{ Ref = "Table" }` resolves to here: logical id to local name,
        the connections table's too when `store` (a tracked app's) keeps them in one. The
        emulator and the test client both resolve the app's `[environment]` with it."""
        from runtime.dynamodb import DynamoDBStore

        refs = dict(self.names)
        if isinstance(store, DynamoDBStore):
            refs[CONNECTIONS_TABLE] = store.table_name
        return refs

    def describe(self) -> str:
        """One line: where the tables are, and their names."""
        where = f"{self.endpoint} (embedded)" if self.embedded else self.endpoint
        tables = ", ".join(sorted(self.names.values()))
        return f"DynamoDB at {where}; " + (
            f"tables: {tables}" if tables else "the app's template makes no tables"
        )

    def delete(self) -> None:
        """Delete the tables `create()` made (the test client's, when it closes)."""
        if self._client is not None:
            delete_tables(self._client, self._made)


def template_tables(template: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """Each `AWS::DynamoDB::Table` of `template` but the connections table: logical id to
    its `Properties`."""
    resources = template.get("Resources") or {}
    return {
        logical_id: dict(resource.get("Properties") or {})
        for logical_id, resource in resources.items()
        if isinstance(resource, dict)
        and resource.get("Type") == TABLE_TYPE
        and logical_id != CONNECTIONS_TABLE
    }


def merged_tables(merge_template: Path | None) -> dict[str, dict[str, Any]]:
    """The tables of the file `merge_template` alone (read before the app is imported, so
    their names are in the environment when its module runs).

    Raises:
        ConfigError: the file is unreadable or malformed.
    """
    return {} if merge_template is None else template_tables(load_template(merge_template))


def local_name(logical_id: str, properties: Mapping[str, Any], suffix: str = "") -> str:
    """The table's name on the local endpoint: its literal `TableName`, else its logical id."""
    name = properties.get("TableName")
    return (name if isinstance(name, str) and name else logical_id) + suffix


def create_request(
    logical_id: str, properties: Mapping[str, Any], name: str, source: str | None = None
) -> dict[str, Any]:
    """boto3's `create_table` arguments for the table's CloudFormation `Properties`.

    Raises:
        ConfigError: a property it needs is missing or is an intrinsic function (`Fn::If`,
            `Ref`), which only CloudFormation resolves.
    """
    where = f"Resources.{logical_id}.Properties"
    request: dict[str, Any] = {"TableName": name}
    for key in ("KeySchema", "AttributeDefinitions"):
        if not properties.get(key):
            raise ConfigError(
                f"'{where}.{key}' is missing; DynamoDB needs it to make the table", source
            )
    for key in (
        "KeySchema",
        "AttributeDefinitions",
        "BillingMode",
        "ProvisionedThroughput",
        "GlobalSecondaryIndexes",
        "LocalSecondaryIndexes",
    ):
        if key in properties:
            request[key] = _literal(properties[key], f"{where}.{key}", source)
    for key in ("GlobalSecondaryIndexes", "LocalSecondaryIndexes"):
        if key in request:
            request[key] = [
                {k: v for k, v in index.items() if k in _INDEX_KEYS} for index in request[key]
            ]
    if "ProvisionedThroughput" not in request:
        # CloudFormation's default is PROVISIONED, which needs a throughput: without one,
        # the table could not deploy, so on-demand is what the author meant.
        request.setdefault("BillingMode", "PAY_PER_REQUEST")
    if "StreamSpecification" in properties:
        stream = _literal(properties["StreamSpecification"], f"{where}.StreamSpecification", source)
        request["StreamSpecification"] = {"StreamEnabled": True, **stream}
    return _throughputs_as_numbers(request)


def time_to_live(
    logical_id: str, properties: Mapping[str, Any], source: str | None = None
) -> dict[str, Any] | None:
    """`update_time_to_live`'s specification when the table enables TTL, else None."""
    spec = properties.get("TimeToLiveSpecification")
    if not spec:
        return None
    where = f"Resources.{logical_id}.Properties.TimeToLiveSpecification"
    spec = _literal(spec, where, source)
    if spec.get("Enabled") not in (True, "true"):
        return None
    return {"Enabled": True, "AttributeName": spec["AttributeName"]}


def create_tables(
    client: Any,
    tables: Mapping[str, Mapping[str, Any]],
    suffix: str = "",
    source: str | None = None,
) -> dict[str, str]:
    """Create each table on `client`'s endpoint unless it exists; logical id to its name.

    An existing table is kept as it is, with its items: a DynamoDB server that outlives
    `wsgen local` (DynamoDB Local with `-sharedDb`) keeps the app's data between runs.

    Raises:
        ConfigError: a table's properties cannot be made locally (`source` names the file),
            or the server refuses them (a ValidationException).
        DynamoDBEndpointError: the endpoint cannot be reached or fails otherwise.
    """
    from botocore.exceptions import BotoCoreError, ClientError

    names = {}
    for logical_id, properties in tables.items():
        name = local_name(logical_id, properties, suffix)
        request = create_request(logical_id, properties, name, source)
        ttl = time_to_live(logical_id, properties, source)
        try:
            try:
                client.describe_table(TableName=name)
            except client.exceptions.ResourceNotFoundException:
                client.create_table(**request)
                client.get_waiter("table_exists").wait(
                    TableName=name, WaiterConfig={"Delay": 0.2, "MaxAttempts": 100}
                )
                if ttl is not None:
                    client.update_time_to_live(TableName=name, TimeToLiveSpecification=ttl)
        except ClientError as exc:
            error = exc.response.get("Error", {})
            if error.get("Code") == "ValidationException":
                # The server answered, and refused what the table's definition asks for.
                raise ConfigError(
                    f"'Resources.{logical_id}' (table {name}): DynamoDB refuses its "
                    f"definition: {error.get('Message') or exc}; fix its Properties",
                    source,
                ) from exc
            raise DynamoDBEndpointError(
                client.meta.endpoint_url, f"table {name} ({logical_id}): {exc}"
            ) from exc
        except BotoCoreError as exc:
            raise DynamoDBEndpointError(
                client.meta.endpoint_url, f"table {name} ({logical_id}): {exc}"
            ) from exc
        names[logical_id] = name
    return names


def delete_tables(client: Any, names: Mapping[str, str]) -> None:
    """Delete the tables `create_tables` made (the test client's, when it closes)."""
    from botocore.exceptions import BotoCoreError, ClientError

    for name in names.values():
        # Gone already, or the endpoint with it: nothing left to clean.
        with contextlib.suppress(BotoCoreError, ClientError):
            client.delete_table(TableName=name)


def resolve_environment(
    environment: Mapping[str, Any], tables: Mapping[str, str]
) -> dict[str, str]:
    """The `[environment]` values that are `{ Ref = "LogicalId" }` of one of `tables`
    (logical id to local value: a table's local name), or `{ "Fn::GetAtt" = ["LogicalId",
    "Attribute"] }` of one of them (`tables` keyed `LogicalId.Attribute`, as CloudFormation's
    short form names it), by variable name, as their local values."""
    values = {}
    for name, value in environment.items():
        key = _intrinsic_key(value)
        if key is not None and key in tables:
            values[name] = tables[key]
    return values


def _intrinsic_key(value: Any) -> str | None:
    """What a `{ Ref = "Id" }` (`Id`) or `{ "Fn::GetAtt" = ["Id", "Arn"] }` (`Id.Arn`) names."""
    if not isinstance(value, dict) or len(value) != 1:
        return None
    if isinstance(value.get("Ref"), str):
        return str(value["Ref"])
    target = value.get("Fn::GetAtt")
    if isinstance(target, str):
        return target
    if isinstance(target, list) and len(target) == 2 and all(isinstance(t, str) for t in target):
        return f"{target[0]}.{target[1]}"
    return None


def _literal(value: Any, where: str, source: str | None) -> Any:
    """`value` when it holds no intrinsic function, for CreateTable."""
    if isinstance(value, dict):
        for key in value:
            if key == "Ref" or key.startswith("Fn::"):
                raise ConfigError(
                    f"'{where}' uses {key}, which only CloudFormation resolves; write the "
                    "value out for wsgen to make the table locally",
                    source,
                )
        return {key: _literal(item, f"{where}.{key}", source) for key, item in value.items()}
    if isinstance(value, list):
        return [_literal(item, f"{where}[{i}]", source) for i, item in enumerate(value)]
    return value


def _throughputs_as_numbers(request: dict[str, Any]) -> dict[str, Any]:
    """Capacity units as integers: CloudFormation takes "5" as well as 5, boto3 only 5."""
    throughputs = [request.get("ProvisionedThroughput")] + [
        index.get("ProvisionedThroughput") for index in request.get("GlobalSecondaryIndexes", ())
    ]
    for throughput in throughputs:
        if throughput:
            for key, value in throughput.items():
                throughput[key] = int(value)
    return request
