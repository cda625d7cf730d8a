"""`wsgen local`: run the app on a local API Gateway WebSocket emulator."""

from __future__ import annotations

import argparse

from . import port

TYPE_CHECKING = False
if TYPE_CHECKING:
    from runtime.spec import AppSpec

NAME = "local"
HELP = "run the app on a local API Gateway WebSocket emulator"
EPILOG = """\
examples:
  wsgen local                               serve ./app.py on ws://127.0.0.1:8000/local
  wsgen local --app-dir samples/echo --reload
  wsgen local --dynamodb                    the app's tables on an embedded DynamoDB (moto)
  wsgen local --sqs-port 9324               the app's queues on http://127.0.0.1:9324
  python -m websockets ws://127.0.0.1:8000/local    talk to it from a terminal
  wsgen invoke jobs --body '{"n": 6}'               in another terminal: an SQS message

Handlers run through the app's Lambda entry point; app.websocket_api.send() reaches the
emulator's management API (http://HOST:PORT/STAGE/@connections/{id}). Schedules
(@app.schedule) run on their clock; `wsgen invoke NAME` fires any other event handler.
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--app-dir", default=".", metavar="DIR", help="the app's directory (default: .)"
    )
    parser.add_argument(
        "--app", default="app:app", metavar="MODULE:ATTR", help="the App object (default: app:app)"
    )
    parser.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)"
    )
    parser.add_argument(
        "--port", type=port, default=8000, help="port (default: 8000; 0 picks a free one)"
    )
    parser.add_argument(
        "--sqs-port",
        type=port,
        default=0,
        metavar="PORT",
        help="port of the endpoint serving the app's SQS queues (default: 0 picks a free one, "
        "printed at start; not --port's)",
    )
    parser.add_argument(
        "--stage", default="local", metavar="NAME", help="stage name in the URLs (default: local)"
    )
    parser.add_argument(
        "--idle-timeout",
        type=float,
        default=600,
        metavar="SECONDS",
        help="close idle connections with 1001 (default: 600, API Gateway's 10 minutes)",
    )
    parser.add_argument(
        "--max-duration",
        type=float,
        default=7200,
        metavar="SECONDS",
        help="close connections with 1001 after this long (default: 7200, API Gateway's 2 hours)",
    )
    parser.add_argument(
        "--reload", action="store_true", help="re-import the app when a .py file changes"
    )
    parser.add_argument(
        "--binary-frames",
        choices=("reject", "accept"),
        default="reject",
        help="reject: close with 1003, as AWS documents API Gateway does (default); "
        "accept: deliver them base64-encoded with isBase64Encoded true",
    )
    parser.add_argument(
        "--allow-origin",
        action="append",
        default=[],
        metavar="ORIGIN",
        help="also accept browser pages from ORIGIN, e.g. https://app.example.com (repeatable; "
        "* for any, null for file:// pages); by default only pages on this machine",
    )
    parser.add_argument(
        "--allow-host",
        action="append",
        default=[],
        metavar="NAME",
        help="also answer requests for the host name NAME (repeatable); by default only IP "
        "addresses, localhost and --host, against DNS rebinding",
    )
    parser.add_argument(
        "--serial-messages",
        action="store_true",
        help="handle each connection's messages one at a time, in arrival order (for "
        "debugging; API Gateway runs them concurrently and replies need not be in order)",
    )
    parser.add_argument(
        "--all-cpus",
        action="store_true",
        help="run on every CPU rather than one (Linux; its threads share one interpreter "
        "lock, so one CPU is faster unless handlers run long C code without it, like numpy)",
    )
    parser.add_argument(
        "--no-schedules",
        dest="schedules",
        action="store_false",
        help="do not run @app.schedule handlers on their clock (wsgen invoke still can)",
    )
    parser.add_argument(
        "--schedule-speed",
        type=float,
        default=1.0,
        metavar="FACTOR",
        help=argparse.SUPPRESS,  # tests: run schedules FACTOR times faster than the clock
    )
    parser.add_argument(
        "--dynamodb",
        nargs="?",
        const=True,
        metavar="URL",
        help="make the app's DynamoDB tables (its template's, merged ones included, and the "
        "connections table of App(..., connections=True)) on this endpoint, e.g. "
        "http://127.0.0.1:8001, and point handlers' boto3 at it; with no URL, on an embedded "
        "server (pip install 'wsgen[local]'). Default: connections in memory, no tables",
    )
    parser.add_argument(
        "--management-delay",
        type=float,
        default=0,
        metavar="MS",
        help=argparse.SUPPRESS,  # benchmarks: add AWS's round trip to every @connections call
    )


def run(args: argparse.Namespace) -> int:
    import asyncio

    from ..exceptions import ConfigError

    for flag in ("idle_timeout", "max_duration"):
        if getattr(args, flag) <= 0:
            raise ConfigError(
                f"must be a positive number of seconds, got {getattr(args, flag)}",
                "--" + flag.replace("_", "-"),
            )
    if args.schedule_speed <= 0:
        raise ConfigError(f"must be positive, got {args.schedule_speed}", "--schedule-speed")
    if args.sqs_port and args.sqs_port == args.port:
        raise ConfigError(
            f"{args.sqs_port} is --port's too; pick another, or 0 for a free one", "--sqs-port"
        )
    if not args.stage or "/" in args.stage:
        raise ConfigError(f"'{args.stage}' is not a stage name (no '/')", "--stage")
    from ..local.origin import origin_problem

    for origin in args.allow_origin:
        if problem := origin_problem(origin):
            raise ConfigError(problem, "--allow-origin")
    if isinstance(args.dynamodb, str) and not args.dynamodb.startswith(("http://", "https://")):
        raise ConfigError(
            f"'{args.dynamodb}' is not an endpoint URL; give one like http://127.0.0.1:8001",
            "--dynamodb",
        )
    if not args.all_cpus:
        from ..local.cpu import run_on_one_cpu

        run_on_one_cpu()  # before any thread starts: every later one inherits it
    return asyncio.run(_serve(args))


async def _serve(args: argparse.Namespace) -> int:
    import asyncio
    import signal
    import sys

    from ..local import Emulator
    from ..local.origin import exposure_warning

    emulator = Emulator(
        args.app_dir,
        args.app,
        host=args.host,
        port=args.port,
        stage=args.stage,
        idle_timeout=args.idle_timeout,
        max_duration=args.max_duration,
        management_delay_ms=args.management_delay,
        accept_binary_frames=args.binary_frames == "accept",
        serial_messages=args.serial_messages,
        allow_origins=args.allow_origin,
        allow_hosts=args.allow_host,
        reload=args.reload,
        schedules=args.schedules,
        schedule_speed=args.schedule_speed,
        dynamodb=args.dynamodb,
        sqs_port=args.sqs_port,
    )
    # asyncio.run's own Ctrl-C handler only cancels the main task, which cannot happen while
    # the app's import blocks (a database it waits for): a first Ctrl-C would do nothing.
    # Python's default raises KeyboardInterrupt right in the import instead.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    await emulator.start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    root = emulator.url.rsplit("/", 1)[0] + "/"
    print(f"wsgen local: serving {args.app} from {args.app_dir}", flush=True)
    print(f"  WebSocket URL:   {emulator.url}  ({root} is accepted too)")
    print(f"  Management API:  {emulator.endpoint}  (@connections/{{id}}, what send() calls)")
    queues = emulator.sqs.queues if emulator.sqs is not None else {}
    if emulator.sqs is not None and queues:
        print(
            f"  SQS endpoint:    {emulator.sqs.endpoint}  (AWS_ENDPOINT_URL_SQS: the app's queues)"
        )
    if emulator.functions is not None and emulator.functions.spec is not None:
        urls = {queue.handler: queue.url for queue in queues.values()}
        _print_functions(emulator.functions.spec, args.schedules, emulator.port, urls)
    if warning := exposure_warning(args.host):
        print(warning, file=sys.stderr, flush=True)
    reloading = "; reloading on change" if args.reload else ""
    print(f"  Ctrl-C closes every connection with 1001 and stops{reloading}", flush=True)
    await stop.wait()
    print("wsgen local: closing connections (Ctrl-C again to exit at once)", flush=True)
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, _exit_now)
    await emulator.stop()
    if emulator.running_handlers:
        # A stuck handler's thread would keep the interpreter from exiting.
        _exit(0)
    return 0


def _print_functions(
    spec: AppSpec, schedules: bool, port: int, queues: dict[str, str] | None = None
) -> None:
    """One line per event handler: a schedule's clock, its local queue's URL (`queues`, by
    handler), or how to fire it."""
    from ..sources.events import invoke_form

    flag = "" if port == 8000 else f" --port {port}"
    for function in spec.functions:
        if function.kind == "fan_out":  # runtime.contract.FAN_OUT: the queue's consumer
            print(f"  fan-out: {function.name} sends the shards of large audiences, in-process")
            continue
        if function.kind == "schedule" and schedules:
            expression = function.options["expression"]
            how = f"runs {expression}; fire it now: wsgen invoke {function.name}{flag}"
        elif function.name in (queues or {}):
            how = f"reads {(queues or {})[function.name]}; or {invoke_form(function)}{flag}"
        else:
            how = f"fire it: {invoke_form(function)}{flag}"
        print(f"  @app.{function.kind} {function.name}: {how}")


EXIT_INTERRUPTED = 130
"""The exit status after a second Ctrl-C: 128 + SIGINT, as shells report an interrupt."""


def _exit_now() -> None:
    print("wsgen local: interrupted again, exiting without waiting for handlers", flush=True)
    _exit(EXIT_INTERRUPTED)


def _exit(status: int) -> None:
    import os
    import sys

    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(status)
