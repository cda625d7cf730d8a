"""The documentation's examples run: each block the tests name is taken from its page as it is.

A block is found by the heading of its section on README.md or a page of docs/; it is written
out as an app (a fragment with the imports and app it leaves out) and driven with
`wsgen.testing.Client`, so an example calling something that does not exist, or answering
otherwise than its page says, fails here.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import pytest

from runtime import App, AuthResponse
from tests.support.builders import new_app
from tests.support.markdown import code_blocks, python_block
from tests.support.paths import DOCS, README
from wsgen.loader import load_app
from wsgen.settings import load_settings
from wsgen.testing import Client


def test_the_readme_app_answers_as_its_test_says(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text(python_block(README, "1. Write an app"))
    load_app(tmp_path, "app:app")  # what the test's `from app import app` then finds
    test_source = python_block(README, "4. Test it")
    namespace: dict[str, object] = {}
    exec(compile(test_source, "tests/test_app.py", "exec"), namespace)
    test = namespace["test_a_message_is_answered"]
    assert callable(test)
    test()


def test_the_testing_page_example_runs_as_it_says() -> None:
    source = python_block(DOCS / "testing.md", "Testing your app")
    namespace: dict[str, object] = {"__name__": "test_rooms"}
    exec(compile(source, "test_rooms.py", "exec"), namespace)
    tests = sorted(name for name in namespace if name.startswith("test_"))
    assert tests == ["test_a_message_reaches_the_room", "test_refused_without_a_token"]
    for name in tests:
        test = namespace[name]
        assert callable(test)
        test()


def test_push_from_the_rest_of_aws_runs(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text(python_block(DOCS / "events.md", "Push from the rest of AWS"))
    app = load_app(tmp_path, "app:app")
    with Client(app) as client:
        first, second = client.connect(), client.connect()
        client.invoke("heartbeat")
        for ws in (first, second):
            assert set(ws.receive_json()) == {"time"}
        job = {"connection_id": second.connection_id, "id": "j-1"}
        client.invoke("run_jobs", body=json.dumps(job))
        assert second.receive_json() == {"done": "j-1"}
        assert first.receive_all() == []


@pytest.mark.slow  # an emulator on a thread, and boto3
def test_the_testing_page_s_emulator_example_runs_as_it_says(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    heading = "When a handler calls AWS itself"
    page = DOCS / "testing.md"
    section = page.read_text().split(f"## {heading}", 1)[1]
    app_source, test_source = re.findall(r"```python\n(.*?)```", section, re.S)
    (tmp_path / "app.py").write_text(app_source)
    (tmp_path / "wsgen.toml").write_text(toml_blocks_of(section)[0])
    monkeypatch.chdir(tmp_path)
    before = dict(os.environ)
    namespace: dict[str, object] = {"__name__": "test_jobs"}
    exec(compile(test_source, "test_jobs.py", "exec"), namespace)
    test = namespace["test_an_enqueued_job_is_done_and_pushed_back"]
    assert callable(test)
    test()
    assert dict(os.environ) == before  # the emulator put the environment back


def toml_blocks(page: Path) -> list[str]:
    return toml_blocks_of(page.read_text())


def toml_blocks_of(text: str) -> list[str]:
    return [block for language, block in code_blocks(text) if language == "toml"]


def test_the_settings_page_examples_are_one_valid_wsgen_toml(tmp_path: Path) -> None:
    (tmp_path / "wsgen.toml").write_text("\n".join(toml_blocks(DOCS / "settings.md")))
    app = new_app()

    @app.ws_authorizer(identity_sources=["route.request.querystring.token"])
    def authorize(event):
        return AuthResponse.allow("user")

    for route in ("$connect", "$disconnect", "join"):
        app.add_route(route, lambda event: None)
    spec = app.spec()
    top, prod = (
        load_settings(tmp_path, "api", spec=spec),
        load_settings(tmp_path, "prod", spec=spec),
    )
    assert (top.memory_size, prod.memory_size) == (256, 1024)
    assert top.domain is None and prod.domain is not None
    assert prod.domain.name == "ws.example.com"
    assert top.functions["worker"].routes == ("join", "$disconnect")
    assert top.functions["gate"].authorizer


def guide_app(heading: str, page: str = "guide.md") -> App:
    """An app running the fragment under `heading` of a page, with the lines it leaves out."""
    source = "import json\nfrom runtime import App\n"
    source += 'app = App(app_name="guide")\napp.experimental_feature_flags.update(["WEBSOCKETS"])\n'
    namespace: dict[str, Any] = {}
    exec(compile(source + python_block(DOCS / page, heading), heading, "exec"), namespace)
    app = namespace["app"]
    assert isinstance(app, App)
    return app


def test_the_guide_greets_a_new_connection_by_its_name() -> None:
    with Client(guide_app("Greeting a new connection")) as client:
        assert client.connect(query={"name": "ada"}).receive_json() == {"hello": "ada"}
        assert client.connect().receive_json() == {"hello": "you"}


def test_the_guide_task_streams_its_progress_then_its_result() -> None:
    with Client(guide_app("Work past 29 seconds")) as client, client.connect() as ws:
        ws.send_json({"action": "report", "topic": "sales"})
        assert ws.receive_json() == {"started": True}
        assert [ws.receive_json() for _ in range(10)] == [
            {"progress": step, "of": 10} for step in range(1, 11)
        ]
        assert ws.receive_json() == {"result": "..."}
        assert ws.receive_all() == []


def test_the_guide_ping_replies_on_its_two_way_route() -> None:
    with Client(guide_app("Two-way replies")) as client, client.connect() as ws:
        ws.send_json({"action": "ping", "n": 3})
        assert ws.receive_json() == {"pong": 3}


def test_the_guide_client_error_reaches_the_client_as_its_frame() -> None:
    with Client(guide_app("Errors the client sees")) as client, client.connect() as ws:
        ws.send_json({"action": "join", "room": ""})
        error = ws.receive_json()["error"]
        assert error["code"] == "bad_room"
        assert error["message"] == "room must be a non-empty string"
        assert error["route"] == "join"
        assert client.errors == []


def test_the_connections_example_keeps_rooms_and_nicknames() -> None:
    app = guide_app("Connections and groups", "connections.md")
    with Client(app) as client, client.connect() as ada, client.connect() as bob:
        ada.send_json({"action": "join", "room": "lobby", "nick": "ada"})
        assert ada.receive_text() == "ada joined"
        bob.send_json({"action": "join", "room": "lobby"})
        assert [ada.receive_text(), bob.receive_text()] == ["guest joined"] * 2
        bob.send_json({"action": "who", "room": "lobby"})
        assert sorted(bob.receive_json()) == ["ada", "guest"]


def test_the_events_page_test_runs_against_its_app(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text(python_block(DOCS / "events.md", "Push from the rest of AWS"))
    namespace = {"app": load_app(tmp_path, "app:app"), "Client": Client, "json": json}
    exec(compile(python_block(DOCS / "events.md", "In tests"), "In tests", "exec"), namespace)
