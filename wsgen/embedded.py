"""The embedded DynamoDB: moto's server mode, on a free loopback port of this process.

`wsgen local --dynamodb` (with no URL) and `wsgen.testing.Client(app, dynamodb=True)` use
it. moto speaks DynamoDB's HTTP API, so handlers' boto3 clients and the runtime reach it over
the wire as they reach AWS. It is an optional dependency: `pip install 'wsgen[local]'`.

One server serves the whole process, started on first use and kept until the process exits
(a daemon thread); its tables live in its memory, so each `wsgen local` run starts empty.
"""

from __future__ import annotations

import threading

from .exceptions import EmbeddedDynamoDBError

_lock = threading.Lock()
_endpoint: str | None = None


def endpoint() -> str:
    """The embedded server's URL (`http://127.0.0.1:PORT`), started on the first call.

    Raises:
        EmbeddedDynamoDBError: moto or its server's dependencies (flask) are missing.
    """
    global _endpoint
    with _lock:
        if _endpoint is None:
            _endpoint = _start()
        return _endpoint


def _start() -> str:
    import logging

    try:
        from moto.server import ThreadedMotoServer
    except ModuleNotFoundError as exc:
        raise EmbeddedDynamoDBError(exc.name or "moto") from exc
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # a line per request otherwise
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    return f"http://{host}:{port}"
