"""The jobs sample: a queue handler pushes each result to whoever asked, a schedule to all.

Through `wsgen.testing.Client`, with its submissions sent to a real SQS-compatible queue
(moto's server on loopback) and the queue's messages handed to the queue handler; then under
`wsgen local` with real WebSocket clients, through its local queue and by `wsgen invoke`.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from types import ModuleType
from typing import Any

import boto3
import pytest
import websockets

from tests.support.paths import ROOT, SAMPLES
from wsgen.local import EventLog, running
from wsgen.testing import Client, Connection

REGION = "eu-west-1"


@pytest.fixture
def jobs(load_sample: Callable[[str], ModuleType]) -> ModuleType:
    return load_sample("jobs")


@pytest.fixture
def client(jobs: ModuleType) -> Iterator[Client]:
    with Client(jobs.app) as client:
        yield client


@pytest.fixture
def sqs(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """moto's server with the `jobs` queue; the environment wsgen.toml gives the function."""
    from moto.server import ThreadedMotoServer  # seconds to import: only where it is used

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    for name, value in {
        "AWS_ENDPOINT_URL_SQS": endpoint,
        "AWS_DEFAULT_REGION": REGION,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
    }.items():
        monkeypatch.setenv(name, value)
    queues = boto3.client("sqs", region_name=REGION, endpoint_url=endpoint)
    monkeypatch.setenv("JOBS_QUEUE_URL", queues.create_queue(QueueName="jobs")["QueueUrl"])
    try:
        yield queues
    finally:
        server.stop()


def delivered(sqs: Any) -> list[str]:
    """The queue's messages' bodies, as Lambda's poller would hand them to run_jobs."""
    url = os.environ["JOBS_QUEUE_URL"]
    messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
    return [message["Body"] for message in messages]


def submit(ws: Connection, text: str) -> Any:
    ws.send_json({"action": "submit", "text": text})
    return ws.receive_json()


@pytest.mark.external  # moto's server (sqs)
def test_a_result_reaches_every_device_of_the_user_who_asked(client: Client, sqs: Any) -> None:
    phone = client.connect(query={"user": "ada"})
    laptop = client.connect(query={"user": "ada"})
    other = client.connect(query={"user": "bob"})
    reply = submit(phone, "one two three")
    assert set(reply) == {"queued"}
    [body] = delivered(sqs)
    assert json.loads(body) == {"id": reply["queued"], "inbox": "user:ada", "text": "one two three"}
    assert client.invoke("run_jobs", body=body) == {"batchItemFailures": []}
    result = {"job": reply["queued"], "words": 3}
    assert [json.loads(m) for m in phone.receive_all()] == [result]
    assert [json.loads(m) for m in laptop.receive_all()] == [result]
    assert other.receive_all() == []


@pytest.mark.external  # moto's server (sqs)
def test_without_a_user_the_result_goes_to_the_asking_connection(client: Client, sqs: Any) -> None:
    asker, bystander = client.connect(), client.connect()
    reply = submit(asker, "a b")
    [body] = delivered(sqs)
    client.invoke("run_jobs", body=body)
    assert json.loads(asker.receive_text()) == {"job": reply["queued"], "words": 2}
    assert bystander.receive_all() == []


@pytest.mark.external  # moto's server (sqs)
def test_a_result_for_a_client_that_left_is_dropped(client: Client, sqs: Any) -> None:
    asker = client.connect(query={"user": "ada"})
    submit(asker, "gone")
    asker.close()
    [body] = delivered(sqs)
    assert client.invoke("run_jobs", body=body) == {"batchItemFailures": []}


def test_the_heartbeat_tells_every_client(client: Client) -> None:
    clients = [client.connect(query={"user": "ada"}), client.connect()]
    client.invoke("heartbeat")
    for ws in clients:
        beat = ws.receive_json()
        assert beat["connected"] == 2 and beat["time"].endswith("Z")


@pytest.mark.parametrize(
    "message", ['{"action": "submit"}', '{"action": "submit", "text": 1}', "hi"]
)
def test_anything_else_gets_the_help(client: Client, jobs: ModuleType, message: str) -> None:
    ws = client.connect()
    ws.send_text(message)
    assert ws.receive_json() == {"error": jobs.HELP}


def test_a_bad_user_name_is_refused(client: Client) -> None:
    from wsgen.testing import ConnectionRejected

    with pytest.raises(ConnectionRejected) as rejected:
        client.connect(query={"user": "no spaces"})
    assert rejected.value.status_code == 400


# Under `wsgen local`


@pytest.mark.slow  # the emulator, real sockets
def test_a_job_goes_through_the_local_queue_to_the_users_group_under_wsgen_local(
    restore_environment: None,
) -> None:
    os.environ.pop("JOBS_QUEUE_URL", None)  # as under wsgen local: wsgen.toml's Ref gives it
    with running(SAMPLES / "jobs", "app:app", log=EventLog(quiet=True), schedules=False) as emu:

        async def body() -> tuple[Any, ...]:
            async with (
                websockets.connect(f"{emu.url}?user=ada") as phone,
                websockets.connect(f"{emu.url}?user=ada") as laptop,
                websockets.connect(f"{emu.url}?user=bob") as other,
            ):
                await phone.send(json.dumps({"action": "submit", "text": "to be or not"}))
                # The reply and the queue handler's push may come in either order.
                on_phone = [json.loads(await asyncio.wait_for(phone.recv(), 10)) for _ in "ab"]
                on_laptop = json.loads(await asyncio.wait_for(laptop.recv(), 10))
                await other.send(json.dumps({"action": "help"}))
                unrelated = json.loads(await asyncio.wait_for(other.recv(), 10))
                return on_phone, on_laptop, unrelated

        on_phone, on_laptop, unrelated = asyncio.run(asyncio.wait_for(body(), 60))
    [reply] = [frame for frame in on_phone if "queued" in frame]
    assert set(reply) == {"queued"}  # sent to the queue: no command to type
    assert [frame for frame in on_phone if "queued" not in frame] == [on_laptop]
    assert on_laptop == {"job": reply["queued"], "words": 4}
    assert "error" in unrelated  # bob's first frame is his own reply: no result reached him


@pytest.mark.slow  # the emulator, real sockets, a wsgen invoke process
def test_wsgen_invoke_fires_the_queue_handler_under_wsgen_local(
    restore_environment: None,
) -> None:
    with running(SAMPLES / "jobs", "app:app", log=EventLog(quiet=True), schedules=False) as emu:

        async def body() -> tuple[Any, ...]:
            async with websockets.connect(f"{emu.url}?user=ada") as phone:
                job = json.dumps({"id": "j-1", "inbox": "user:ada", "text": "to be"})
                invoked = await asyncio.to_thread(
                    subprocess.run,
                    [sys.executable, "-m", "wsgen.cli", "invoke", "run_jobs", "--body", job,
                     "--port", str(emu.port)],
                    capture_output=True, text=True, cwd=ROOT, timeout=60,
                )  # fmt: skip
                return invoked, json.loads(await asyncio.wait_for(phone.recv(), 10))

        invoked, result = asyncio.run(asyncio.wait_for(body(), 60))
    assert command_ok(invoked)
    assert result == {"job": "j-1", "words": 2}


def command_ok(run: subprocess.CompletedProcess[str]) -> bool:
    return run.returncode == 0 and json.loads(run.stdout) == {"batchItemFailures": []}
