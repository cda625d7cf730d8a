"""Connections and groups end to end: real clients, both front ends, both stores.

Each test runs four times: against `wsgen local` through websockets' client over loopback
and against `wsgen.testing.Client`, each with the in-memory store and with a table on
moto's DynamoDB server (`--dynamodb URL`, `Client(app, dynamodb=URL)`), on one app
(tests/support/apps/roomsapp.py).
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Iterator
from types import ModuleType

import pytest

from runtime.dynamodb import DynamoDBStore
from runtime.store import MemoryStore
from tests.support.frontends import Frontend, Link, MemoryFrontend, Refused, SocketFrontend
from tests.support.paths import APPS
from wsgen.loader import load_app
from wsgen.local import EventLog, running

APP = "roomsapp:app"
POLLS = 200
"""How often to look again for what a `$disconnect` on the emulator's thread does."""


@pytest.fixture
def rooms() -> ModuleType:
    load_app(APPS, APP)
    return sys.modules["roomsapp"]


@pytest.fixture(params=["memory", pytest.param("dynamodb", marks=pytest.mark.external)])
def store_option(request: pytest.FixtureRequest) -> dict[str, str]:
    if request.param == "memory":
        return {}
    return {"dynamodb": request.getfixturevalue("dynamodb_endpoint")}


@pytest.fixture(params=[pytest.param("emulator", marks=pytest.mark.slow), "test client"])
def frontend(request, rooms, store_option) -> Iterator[Frontend]:
    front: Frontend
    if request.param == "emulator":
        saved = dict(os.environ)  # the emulator sets AWS_* for its handlers
        try:
            with running(APPS, APP, log=EventLog(quiet=True), **store_option) as emulator:
                front = SocketFrontend(emulator)
                yield front
                front.close()
        finally:
            os.environ.clear()
            os.environ.update(saved)
    else:
        front = MemoryFrontend(rooms.app, **store_option)
        yield front
        front.close()


def ask(link: Link, action: str, **body: object) -> object:
    link.send_text(json.dumps({"action": action, **body}))
    return json.loads(link.receive())


def tell(link: Link, action: str, **body: object) -> None:
    link.send_text(json.dumps({"action": action, **body}))


def eventually(check, expected):
    """`check()` once it returns `expected` (a `$disconnect` or message may still run)."""
    for _ in range(POLLS):
        value = check()
        if value == expected:
            return value
        time.sleep(0.02)
    return value


def test_the_store_is_the_one_asked_for(frontend, rooms, store_option):
    link = frontend.connect(user="ana")
    ask(link, "me")  # the app is served (and its store in place)
    expected = DynamoDBStore if store_option else MemoryStore
    assert isinstance(rooms.app.connections.store, expected)


def test_members_get_the_join_and_who_names_them(frontend):
    ana = frontend.connect(user="ana", nick="ana")
    bo = frontend.connect(user="bo", nick="bo")
    tell(ana, "join", room="lobby")
    assert ana.receive() == "ana joined lobby"
    tell(bo, "join", room="lobby")
    assert bo.receive() == "bo joined lobby"
    assert ana.receive() == "bo joined lobby"
    assert ask(bo, "who", room="lobby") == ["ana", "bo"]


def test_every_event_sees_what_connect_saw_and_set(frontend):
    link = frontend.connect(user="ana", room="lobby", nick="ana")
    me = ask(link, "me")
    assert me["principal"] == "ana"
    assert me["authorizer"] == {"team": "blue"}
    assert me["query"] == {"user": "ana", "room": "lobby", "nick": "ana"}
    assert me["groups"] == ["lobby"]  # joined inside $connect
    assert me["attributes"] == {"nick": "ana"}  # set inside $connect
    assert me["source_ip"]
    tell(link, "nick", nick="ann")  # messages run concurrently, as on AWS: look until it ran
    attributes = eventually(lambda: ask(link, "me")["attributes"], {"nick": "ann"})
    assert attributes == {"nick": "ann"}


def test_disconnect_tells_the_room_then_forgets_the_connection(frontend):
    ana = frontend.connect(user="ana", room="lobby", nick="ana")
    bo = frontend.connect(user="bo", room="lobby", nick="bo")
    assert ask(bo, "counts", room="lobby") == {"all": 2, "room": 2}
    ana.close()
    assert bo.receive() == "ana left lobby"  # $disconnect's handler still saw ana's record
    counts = eventually(lambda: ask(bo, "counts", room="lobby"), {"all": 1, "room": 1})
    assert counts == {"all": 1, "room": 1}
    assert ask(bo, "who", room="lobby") == ["bo"]


def test_a_refused_connection_is_never_recorded(frontend):
    watcher = frontend.connect(user="bo")
    with pytest.raises(Refused) as refused:
        frontend.connect(user="ana", room="closed")  # $connect answers 403
    assert refused.value.status == 403
    with pytest.raises(Refused):
        frontend.connect(user="mallory", room="lobby")  # the authorizer denies
    assert ask(watcher, "counts", room="closed") == {"all": 1, "room": 0}
    assert ask(watcher, "counts", room="lobby") == {"all": 1, "room": 0}


def test_leave_takes_the_connection_out_of_the_room(frontend):
    link = frontend.connect(user="ana", room="lobby", nick="ana")
    tell(link, "leave", room="lobby")
    assert eventually(lambda: ask(link, "who", room="lobby"), []) == []
    assert ask(link, "me")["groups"] == []


def test_one_principals_devices_are_found_and_reached(frontend):
    phone = frontend.connect(user="ana", nick="phone")
    laptop = frontend.connect(user="ana", nick="laptop")
    bo = frontend.connect(user="bo")
    phone_id, laptop_id = ask(phone, "me")["id"], ask(laptop, "me")["id"]
    assert ask(phone, "devices") == sorted([phone_id, laptop_id])
    tell(bo, "dm", to="ana", text="hi ana")
    assert phone.receive() == "hi ana"
    assert laptop.receive() == "hi ana"


def test_group_send_excludes_the_sender(frontend):
    ana = frontend.connect(user="ana", room="lobby")
    bo = frontend.connect(user="bo", room="lobby")
    carl = frontend.connect(user="carl", room="lobby")
    tell(ana, "shout", room="lobby", text="hello")
    assert ana.receive() == "delivered 2"
    assert bo.receive() == "hello" and carl.receive() == "hello"
