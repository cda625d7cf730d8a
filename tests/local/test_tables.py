"""The app's own tables on a local DynamoDB: `wsgen local --dynamodb [URL]` and
`Client(app, dynamodb=True | URL)`, end to end.

The notes app (tests/support/apps/notes) merges two tables from resources.yaml and names them
in wsgen.toml (`{ Ref = "NotesTable" }`); its handlers reach them through boto3 with no
endpoint or table name of their own. Under `wsgen local` a real websockets client talks to
it; the test client runs the same steps in memory. Both start moto (the embedded server, or
the `dynamodb_endpoint` one): slow.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import sys
from collections.abc import Iterator
from types import ModuleType

import pytest
import websockets

from tests.support.frontends import Frontend, Link, MemoryFrontend, SocketFrontend
from tests.support.local import run
from tests.support.paths import NOTES_APP
from wsgen import embedded
from wsgen.cli import main
from wsgen.connections import dynamodb_client
from wsgen.loader import load_app
from wsgen.local import EventLog, running
from wsgen.testing import Client

APP = "app:app"


@pytest.fixture
def notes() -> ModuleType:
    load_app(NOTES_APP, APP, fresh=True)
    return sys.modules["app"]


@pytest.fixture(params=["emulator", "test client"])
def frontend(request: pytest.FixtureRequest) -> Iterator[Frontend]:
    front: Frontend
    if request.param == "emulator":
        sys.modules.pop("app", None)  # imported by the emulator, as `wsgen local` does
        with running(NOTES_APP, APP, log=EventLog(quiet=True), dynamodb=True) as emulator:
            front = SocketFrontend(emulator)
            front.tables = emulator.tables  # type: ignore[attr-defined]
            yield front
            front.close()
    else:
        front = MemoryFrontend(load_app(NOTES_APP, APP, fresh=True), dynamodb=True)
        front.tables = front.client.tables  # type: ignore[attr-defined]
        yield front
        front.close()


def ask(link: Link, action: str, **body: str) -> object:
    link.send_text(json.dumps({"action": action, **body}))
    return link.receive()


def test_handlers_boto3_reaches_the_merged_table(frontend):
    ws = frontend.connect()
    assert ask(ws, "get", owner="ana", note="n1") == "no such note"
    assert ask(ws, "put", owner="ana", note="n1", tag="todo", text="buy milk") == "stored"
    assert ask(ws, "put", owner="ana", note="n2", tag="todo", text="call bo") == "stored"
    assert ask(ws, "put", owner="bo", note="n3", tag="idea", text="a song") == "stored"
    assert ask(ws, "get", owner="ana", note="n1") == "buy milk"
    assert json.loads(ask(ws, "tagged", tag="todo")) == ["n1", "n2"]  # the GSI, made too


def test_the_tables_are_made_from_their_properties(frontend):
    names = frontend.tables.names
    client = dynamodb_client(frontend.tables.endpoint)
    notes = client.describe_table(TableName=names["NotesTable"])["Table"]
    assert [k["AttributeName"] for k in notes["KeySchema"]] == ["owner", "note"]
    assert [i["IndexName"] for i in notes["GlobalSecondaryIndexes"]] == ["by-tag"]
    assert [i["IndexName"] for i in notes["LocalSecondaryIndexes"]] == ["by-owner-tag"]
    assert notes["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    ttl = client.describe_time_to_live(TableName=names["NotesTable"])
    assert ttl["TimeToLiveDescription"]["AttributeName"] == "expires"
    audit = client.describe_table(TableName=names["AuditTable"])["Table"]
    assert audit["ProvisionedThroughput"]["ReadCapacityUnits"] == 2
    assert names["AuditTable"].startswith("notes-audit")  # its literal TableName


def test_wsgen_toml_refs_name_the_local_tables(frontend):
    seen = json.loads(ask(frontend.connect(), "seen"))
    assert seen["audit"] == frontend.tables.names["AuditTable"]
    if frontend.name == "emulator":  # set before the app's module ran
        assert seen == {
            "table": "NotesTable",
            "endpoint": frontend.tables.endpoint,
            "audit": "notes-audit",
        }


def test_each_test_client_starts_with_empty_tables_and_deletes_them(notes):
    with Client(notes.app, dynamodb=True) as first:
        ws = first.connect()
        ws.send_text(
            json.dumps({"action": "put", "owner": "a", "note": "1", "tag": "t", "text": "x"})
        )
        assert ws.receive() == "stored"
        names = dict(first.tables.names)
    with Client(notes.app, dynamodb=True) as second:
        assert set(second.tables.names.values()).isdisjoint(names.values())
        ws = second.connect()
        ws.send_text(json.dumps({"action": "get", "owner": "a", "note": "1"}))
        assert ws.receive() == "no such note"
    left = dynamodb_client(embedded.endpoint()).list_tables()["TableNames"]
    assert not set(names.values()) & set(left)


def test_the_test_client_puts_the_environment_back(notes, monkeypatch):
    monkeypatch.delenv("AWS_ENDPOINT_URL_DYNAMODB", raising=False)
    monkeypatch.delenv("NOTES_TABLE", raising=False)
    with Client(notes.app, dynamodb=True) as client:
        import os

        assert os.environ["AWS_ENDPOINT_URL_DYNAMODB"] == client.tables.endpoint
        assert os.environ["NOTES_TABLE"] == client.tables.names["NotesTable"]
    assert "AWS_ENDPOINT_URL_DYNAMODB" not in os.environ
    assert "NOTES_TABLE" not in os.environ


def test_a_dynamodb_url_gets_the_tables_too(notes, dynamodb_endpoint):
    with Client(notes.app, dynamodb=dynamodb_endpoint) as client:
        assert client.tables.endpoint == dynamodb_endpoint
        ws = client.connect()
        ws.send_text(
            json.dumps({"action": "put", "owner": "a", "note": "1", "tag": "t", "text": "x"})
        )
        assert ws.receive() == "stored"
        tables = dynamodb_client(dynamodb_endpoint).list_tables()["TableNames"]
        assert client.tables.names["NotesTable"] in tables


def test_without_moto_the_embedded_dynamodb_is_one_error_line(monkeypatch, capsys):
    monkeypatch.setattr(embedded, "_endpoint", None)  # as in a process that never started it
    monkeypatch.setitem(sys.modules, "moto.server", None)  # as if moto were not installed
    assert main(["local", "--app-dir", str(NOTES_APP), "--port", "0", "--dynamodb"]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert err.count("\n") == 1
    assert err.startswith("error: the embedded DynamoDB needs moto's server mode")
    assert "pip install 'wsgen[local]'" in err


def test_a_table_definition_dynamodb_refuses_names_the_resource(tmp_path, capsys):
    app_dir = tmp_path / "notes"
    shutil.copytree(NOTES_APP, app_dir)
    resources = app_dir / "resources.yaml"
    # The key names an attribute AttributeDefinitions does not define.
    broken = "KeySchema: [{ AttributeName: missing, KeyType: HASH }]"
    text = resources.read_text().replace(
        "KeySchema: [{ AttributeName: id, KeyType: HASH }]", broken
    )
    # A name of its own: the embedded server outlives each test, and keeps an existing table.
    text = text.replace("TableName: notes-audit", "TableName: notes-refused")
    resources.write_text(text)
    assert main(["local", "--app-dir", str(app_dir), "--port", "0", "--dynamodb"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith(
        f"error: {app_dir / 'resources.yaml'}: 'Resources.AuditTable' (table notes-refused): "
        "DynamoDB refuses its definition: "
    )
    assert err.endswith("; fix its Properties\n")
    assert "moto.server" not in err


RELOADED = """\
import os

from runtime import App

app = App(app_name="notes")
app.experimental_feature_flags.update(["WEBSOCKETS"])


@app.on_ws_message(reply=True)
def default(event):
    return "{version} " + os.environ.get("NOTES_TABLE", "unset")
"""


def test_a_reload_keeps_the_refs_of_the_local_tables(tmp_path):
    app_dir = tmp_path / "notes"
    shutil.copytree(NOTES_APP, app_dir)
    (app_dir / "app.py").write_text(RELOADED.format(version="v1"))
    options = {"log": EventLog(quiet=True), "dynamodb": True, "reload": True}
    with running(app_dir, APP, reload_interval=0.05, **options) as emulator:

        async def body():
            async with websockets.connect(emulator.url) as ws:
                await ws.send("?")
                assert await ws.recv() == "v1 NotesTable"
                (app_dir / "app.py").write_text(RELOADED.format(version="v2") + "# edited\n")
                for _ in range(100):  # the watcher polls: bounded retries for the new code
                    await ws.send("?")
                    if (answer := await ws.recv()).startswith("v2"):
                        break
                    await asyncio.sleep(0.05)
                assert answer == "v2 NotesTable"  # wsgen.toml applied again, Refs resolved

        run(body, timeout=30)
