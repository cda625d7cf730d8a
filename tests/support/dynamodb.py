"""A DynamoDB-compatible server on loopback for tests: moto's, in server mode, in this process.

It speaks DynamoDB's HTTP API, so the code under test goes through boto3 and the wire as it
would against AWS. One server serves the session; each test makes its own table.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator

from runtime.aws import forget_server
from wsgen.connections import dynamodb_client, ensure_table


def start_server() -> tuple[object, str]:
    """moto's server on a free port of 127.0.0.1; (server, endpoint URL)."""
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one line per request otherwise
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    return server, f"http://{host}:{port}"


def serve() -> Iterator[str]:
    server, endpoint = start_server()
    try:
        yield endpoint
    finally:
        server.stop()  # type: ignore[attr-defined]
        forget_server(endpoint)  # the runtime's pooled connections to it (its own DynamoDB)


def new_table(endpoint: str, region: str = "us-east-1") -> str:
    """A fresh connections table on `endpoint` (tables are per region), made as wsgen does."""
    name = f"connections-{uuid.uuid4().hex[:12]}"
    assert ensure_table(dynamodb_client(endpoint, region), name)
    return name
