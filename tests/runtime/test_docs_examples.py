"""The three examples of Chalice's WebSocket documentation run on wsgen, import line changed."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
from botocore.stub import Stubber

pytestmark = pytest.mark.usefixtures("aws_env")

EXAMPLES = Path(__file__).parent / "docs_examples"
CID = "Xq4mT2rLpNcFa8w="


def load(name: str):
    spec = importlib.util.spec_from_file_location(f"docs_{name}", EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.app


def test_only_the_import_line_differs_from_chalice():
    for path in EXAMPLES.glob("*.py"):
        imports = [line for line in path.read_text().splitlines() if "import" in line]
        assert "from runtime import Chalice" in imports
        assert not any("chalice" in line for line in imports)


def test_logging_example_prints_each_event(load_event, capsys):
    app = load("logging_app")
    for name in ["connect.json", "message_default.json", "disconnect_1001.json"]:
        assert app(load_event(name), None) == {"statusCode": 200}
    assert capsys.readouterr().out.splitlines() == [
        f"New connection: {CID}",
        f"{CID}: hello there",
        f"{CID} disconnected",
    ]


def test_protocol_example_returns_the_header_with_status_200(load_event):
    app = load("protocol_app")
    assert app(load_event("connect_query_user_agent.json"), None) == {
        "statusCode": 200,
        "headers": {"Sec-WebSocket-Protocol": "My-Protocol"},
    }


@pytest.mark.parametrize("fixture", ["message_default.json", "message_custom_route.json"])
def test_send_example_answers_on_the_same_connection(load_event, fixture):
    app = load("send_app")
    event = load_event(fixture)
    # The client send() will use: boto3's, for the endpoint the event names.
    app.websocket_api.last_request_context = event["requestContext"]
    client = app.websocket_api.client()
    assert client.meta.endpoint_url == "https://k3x9v2pq7d.execute-api.eu-west-1.amazonaws.com/dev"
    with Stubber(client) as stub:
        stub.add_response(
            "post_to_connection", {}, {"ConnectionId": CID, "Data": "I got your message!"}
        )
        assert app(event, None) == {"statusCode": 200}
        stub.assert_no_pending_responses()
