"""wsgen.tables: CreateTable requests from a template's tables, names, and wsgen.toml Refs
(in memory; tests/local/test_tables.py makes them on moto's server)."""

from __future__ import annotations

import pytest

from wsgen.exceptions import ConfigError
from wsgen.tables import (
    LocalTables,
    create_request,
    local_name,
    merged_tables,
    resolve_environment,
    template_tables,
    time_to_live,
)

KEYS = {
    "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}],
    "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
}


def test_every_table_but_the_connections_table():
    template = {
        "Resources": {
            "Orders": {"Type": "AWS::DynamoDB::Table", "Properties": KEYS},
            "WebsocketConnectionsTable": {"Type": "AWS::DynamoDB::Table", "Properties": KEYS},
            "Topic": {"Type": "AWS::SNS::Topic"},
        }
    }
    assert template_tables(template) == {"Orders": KEYS}


def test_a_literal_table_name_is_kept_else_the_logical_id():
    assert local_name("Orders", {"TableName": "shop-orders"}) == "shop-orders"
    assert local_name("Orders", {"TableName": {"Fn::Sub": "${AWS::StackName}-o"}}) == "Orders"
    assert local_name("Orders", {}, "-1a2b") == "Orders-1a2b"


def test_indexes_keep_what_create_table_takes():
    properties = {
        **KEYS,
        "BillingMode": "PROVISIONED",
        "ProvisionedThroughput": {"ReadCapacityUnits": "5", "WriteCapacityUnits": 1},
        "GlobalSecondaryIndexes": [
            {
                "IndexName": "g",
                "KeySchema": KEYS["KeySchema"],
                "Projection": {"ProjectionType": "ALL"},
                "ProvisionedThroughput": {"ReadCapacityUnits": 1, "WriteCapacityUnits": "2"},
                "ContributorInsightsSpecification": {"Enabled": True},
            }
        ],
        "StreamSpecification": {"StreamViewType": "NEW_IMAGE"},
        "SSESpecification": {"SSEEnabled": True},
        "Tags": [{"Key": "team", "Value": "blue"}],
    }
    request = create_request("Orders", properties, "Orders")
    assert request == {
        "TableName": "Orders",
        **KEYS,
        "BillingMode": "PROVISIONED",
        "ProvisionedThroughput": {"ReadCapacityUnits": 5, "WriteCapacityUnits": 1},
        "GlobalSecondaryIndexes": [
            {
                "IndexName": "g",
                "KeySchema": KEYS["KeySchema"],
                "Projection": {"ProjectionType": "ALL"},
                "ProvisionedThroughput": {"ReadCapacityUnits": 1, "WriteCapacityUnits": 2},
            }
        ],
        "StreamSpecification": {"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"},
    }


def test_no_billing_mode_nor_throughput_is_on_demand():
    assert create_request("T", KEYS, "T")["BillingMode"] == "PAY_PER_REQUEST"


def test_an_intrinsic_in_the_keys_is_a_config_error_naming_it():
    properties = {**KEYS, "BillingMode": {"Fn::If": ["Prod", "PROVISIONED", "PAY_PER_REQUEST"]}}
    with pytest.raises(ConfigError) as caught:
        create_request("Orders", properties, "Orders", "resources.yaml")
    assert str(caught.value) == (
        "resources.yaml: 'Resources.Orders.Properties.BillingMode' uses Fn::If, which only "
        "CloudFormation resolves; write the value out for wsgen to make the table locally"
    )


def test_missing_keys_are_a_config_error():
    with pytest.raises(ConfigError, match=r"'Resources\.T\.Properties\.KeySchema' is missing"):
        create_request("T", {"AttributeDefinitions": KEYS["AttributeDefinitions"]}, "T")


def test_time_to_live_only_when_enabled():
    on = {"TimeToLiveSpecification": {"AttributeName": "expires", "Enabled": True}}
    off = {"TimeToLiveSpecification": {"AttributeName": "expires", "Enabled": False}}
    assert time_to_live("T", on) == {"Enabled": True, "AttributeName": "expires"}
    assert time_to_live("T", off) is None
    assert time_to_live("T", {}) is None


def test_refs_of_local_tables_resolve_and_nothing_else():
    environment = {
        "TABLE": {"Ref": "Orders"},
        "QUEUE": {"Ref": "Jobs"},
        "ARN": {"Fn::GetAtt": ["Orders", "Arn"]},
        "PLAIN": "x",
    }
    assert resolve_environment(environment, {"Orders": "Orders-1a2b"}) == {"TABLE": "Orders-1a2b"}


def test_merged_tables_are_read_from_the_file(tmp_path):
    (tmp_path / "r.yaml").write_text(
        "Resources:\n  Orders:\n    Type: AWS::DynamoDB::Table\n    Properties:\n"
        "      TableName: !Sub '${AWS::StackName}-orders'\n"
    )
    tables = merged_tables(tmp_path / "r.yaml")
    assert list(tables) == ["Orders"]
    assert local_name("Orders", tables["Orders"]) == "Orders"
    assert merged_tables(None) == {}


def test_the_banner_line_says_where_the_tables_are_or_that_the_app_makes_none():
    tables = LocalTables("http://127.0.0.1:9")  # a given server: nothing is started
    assert tables.describe() == (
        "DynamoDB at http://127.0.0.1:9; the app's template makes no tables"
    )
    tables.names = {"Orders": "orders-local", "Carts": "carts-local"}
    assert tables.describe() == "DynamoDB at http://127.0.0.1:9; tables: carts-local, orders-local"
