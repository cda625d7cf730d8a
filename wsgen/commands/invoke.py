"""`wsgen invoke`: deliver an event to an event handler of the app running in `wsgen local`."""

from __future__ import annotations

import argparse

from . import port

NAME = "invoke"
HELP = "deliver an event to an event handler of the app running in wsgen local"
EPILOG = """\
examples:
  wsgen invoke run_jobs --body '{"job": "j-1"}'    an SQS message with this body
  wsgen invoke heartbeat                          a schedule's event, now
  wsgen invoke prices --body 'ACME 41.5'          an SNS notification
  wsgen invoke order_shipped --body '{"orderId": "o-1"}'   an EventBridge event's detail
  wsgen invoke notify --event event.json          a whole event, as AWS would send it

The handler runs inside wsgen local (start it first), so what it sends reaches the clients
connected there. With --body, the event is the one AWS sends that kind of handler, built
around the body; --event FILE sends the file's JSON as it is. The handler's result is
printed as JSON; a handler that raised is an error line and exit status 1. An SQS handler's
record that raised is a batchItemFailures entry of its result (exit status 0, as the
function succeeded), with a line on stderr saying so.
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("name", metavar="NAME", help="the event handler's name (its function's)")
    given = parser.add_mutually_exclusive_group()
    given.add_argument("--event", metavar="FILE", help="a JSON file holding the whole event")
    given.add_argument(
        "--body", metavar="TEXT", help="the message, item or detail; wsgen builds the event"
    )
    parser.add_argument(
        "--host", default="127.0.0.1", help="where wsgen local listens (default: 127.0.0.1)"
    )
    parser.add_argument(
        "--port", type=port, default=8000, help="wsgen local's port (default: 8000)"
    )


def run(args: argparse.Namespace) -> int:
    import json
    import sys
    import urllib.error
    import urllib.request
    from pathlib import Path
    from urllib.parse import quote

    from ..exceptions import ConfigError, WsgenError
    from ..local.http import EMULATOR_HEADER

    request: dict[str, object] = {}
    if args.event is not None:
        try:
            request["event"] = json.loads(Path(args.event).read_text(encoding="utf-8"))
        except OSError as exc:
            raise ConfigError(f"cannot read it: {exc.strerror}", args.event) from exc
        except ValueError as exc:
            raise ConfigError(f"is not JSON: {exc}", args.event) from exc
    elif args.body is not None:
        request["body"] = args.body
    host = f"[{args.host}]" if ":" in args.host else args.host
    url = f"http://{host}:{args.port}/_wsgen/invoke/{quote(args.name, safe='')}"
    post = urllib.request.Request(
        url, json.dumps(request).encode(), {"Content-Type": "application/json"}, method="POST"
    )
    foreign = WsgenError(
        f"{host}:{args.port} does not answer as wsgen local does; start the app with "
        "wsgen local, or pass the --port it serves on"
    )
    try:
        with urllib.request.urlopen(post, timeout=900) as response:  # Lambda's longest run
            if response.headers.get(EMULATOR_HEADER) is None:
                raise foreign
            answer = json.loads(response.read())
    except urllib.error.HTTPError as exc:
        with exc:  # the error is the response: closed, its socket goes now, not at a collection
            if exc.headers.get(EMULATOR_HEADER) is None:
                raise foreign from None
            message = exc.read().decode("utf-8", "replace").strip() or exc.reason
        raise WsgenError(message) from None
    except (urllib.error.URLError, OSError) as exc:
        raise WsgenError(
            f"nothing answers on {host}:{args.port} ({getattr(exc, 'reason', exc)}); start "
            "the app with wsgen local first, or pass the --port it serves on"
        ) from None
    if answer["error"] is not None:
        print(
            f"error: @app.{answer['kind']} handler {answer['function']} raised {answer['error']}",
            file=sys.stderr,
        )
        return 1
    print(json.dumps(answer["result"], indent=2))
    result = answer["result"]
    failed = result.get("batchItemFailures") if isinstance(result, dict) else None
    if failed:
        print(
            f"wsgen invoke: {answer['function']} reported {len(failed)} of the batch's records "
            "as failed (its traceback is in wsgen local's log); SQS would deliver "
            f"{'it' if len(failed) == 1 else 'them'} again",
            file=sys.stderr,
        )
    return 0
