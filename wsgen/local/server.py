"""The emulator: one asyncio server for WebSocket clients and the management API.

Each TCP connection starts as HTTP. A request with `Upgrade: websocket` becomes a
WebSocket connection, driven by websockets' Sans-I/O `ServerProtocol` so that `$connect`
can run before the handshake completes; any other request is a management API call.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import ipaddress
import json
import logging
import os
import socket
from collections.abc import Callable, Coroutine, Sequence
from http import HTTPStatus
from pathlib import Path
from typing import Any, Literal
from urllib.parse import parse_qsl, unquote

from websockets.datastructures import Headers
from websockets.http11 import Request, Response

from runtime import App
from runtime.aws import forget_server
from runtime.contract import DYNAMODB_ENDPOINT_ENV, MAX_MESSAGE_BYTES, SQS_ENDPOINT_ENV
from runtime.spec import AppSpec
from runtime.store import ConnectionStore

from ..connections import connection_store
from ..exceptions import ConfigError, PortInUseError
from ..gateway.access import known_credentials
from ..gateway.background import HeldBackground
from ..gateway.events import ACCOUNT_ID, Api, Peer, UpgradeRequest, new_id, now_ms
from ..gateway.fanout import ShardQueue
from ..gateway.outcomes import FORBIDDEN_MESSAGE, GOING_AWAY, gateway_response
from ..gateway.throttle import NEW_CONNECTIONS_PER_SECOND
from ..gateway.timeouts import INTEGRATION_TIMEOUT_S
from ..loader import DEFAULT_APP, load_spec, locate_app
from ..settings import Settings, load_settings
from ..sources.events import Where
from ..tables import LocalTables
from ..template import check_settings_references
from .config import Flags, app_config, local_tables
from .connection import READ_BYTES, Connection, GatewayProtocol
from .driver import API_ID, Driver
from .environment import (
    DEFAULT_REGION,
    EnvironmentChanges,
    apply_app_environment,
    check_profile,
    prepare_environment,
)
from .fanout import ShardConsumer
from .functions import Functions, UnknownFunctionError
from .http import (
    EMULATOR_HEADER,
    RECEIVE_BYTES,
    BodyTooLargeError,
    HttpError,
    HttpRequest,
    KeepAliveProtocol,
    Reply,
    answers_as_emulator,
    read_body,
    read_request,
    response_bytes,
)
from .invoker import Invoker
from .limits import ExhaustionReport, raise_gc_threshold, raise_open_file_limit
from .log import EventLog, follow_runtime_log
from .management import HttpResponse, ManagementApi
from .origin import Access
from .sqs import LocalSqs

MAX_URL_CHARS = 4096
"""API Gateway's URL length quota (docs/aws-facts.md#quotas); longer gets 414."""
STOP_TIMEOUT_S = 10.0
"""At stop, how long `$disconnect` handlers (and the management API) get."""
HANDLER_GRACE_S = 2.0
"""At stop, how long a running message handler gets before `$disconnect` runs anyway."""
STREAM_LIMIT = 64 * 1024
"""The stream reader's buffer limit, for the connections `_client` serves."""
INVOKE_PATH = "/_wsgen/invoke/"
"""`POST /_wsgen/invoke/{name}`: what `wsgen invoke` calls; answered to loopback only."""
MAX_INVOKE_BYTES = 6 * 1024 * 1024
"""Lambda's limit for a synchronous invocation's event."""

Served = Literal["too long", "refused", "upgrade", "invoke", "websocket", "call"]
"""What a request to the emulator's port is (`Emulator._classify`): a URL over
`MAX_URL_CHARS` (414), one refused for its Host or Origin (403), a WebSocket upgrade,
`wsgen invoke`, a plain GET of the WebSocket endpoint (426), or a management API call."""


async def _listen_error(
    exc: OSError, host: str, port: int, public_host: str | None = None, flag: str = "--port"
) -> PortInUseError:
    """What listening on `host:port` failed with, as the user's error; with `public_host`
    (the emulator's own port), whether another `wsgen local` answers there."""
    code = exc.errno
    if code is None and not isinstance(exc, socket.gaierror):
        # Python 3.13+ skips an address whose bind fails with EADDRNOTAVAIL and, with
        # none left, raises "could not bind on any address" without an errno.
        code = errno.EADDRNOTAVAIL
    reason = exc.strerror or (os.strerror(code) if code else str(exc))
    unresolved = isinstance(exc, socket.gaierror)  # the name, not the port
    held = (
        code == errno.EADDRINUSE
        and public_host is not None
        and await answers_as_emulator(public_host.strip("[]"), port)
    )
    return PortInUseError(host, port, reason, code, unresolved, emulator=held, flag=flag)


class Emulator:
    """API Gateway's WebSocket API for one app, on `ws://host:port/stage`."""

    def __init__(
        self,
        app_dir: str | Path = ".",
        app_ref: str = DEFAULT_APP,
        *,
        host: str = "127.0.0.1",
        port: int = 8000,
        stage: str = "local",
        idle_timeout: float = 600,
        max_duration: float = 7200,
        workers: int = 32,
        integration_timeout: float = INTEGRATION_TIMEOUT_S,
        function_timeout: float | None = None,
        connection_rate: float = NEW_CONNECTIONS_PER_SECOND,
        management_delay_ms: float = 0,
        accept_binary_frames: bool = False,
        serial_messages: bool = False,
        allow_origins: Sequence[str] = (),
        allow_hosts: Sequence[str] = (),
        reload: bool = False,
        reload_interval: float = 0.5,
        schedules: bool = True,
        schedule_speed: float = 1.0,
        log: EventLog | None = None,
        dynamodb: str | bool | None = None,
        sqs_port: int = 0,
    ) -> None:
        self.app_dir, self.app_ref = Path(app_dir), app_ref
        self.host, self.port, self.stage = host, port, stage
        self.sqs_port = sqs_port
        """Where the app's queues are served (`wsgen.local.sqs`); 0: a free port."""
        self.idle_timeout, self.max_duration = idle_timeout, max_duration
        self.workers = workers
        self.flags = Flags(integration_timeout, function_timeout, connection_rate)
        """The timeouts and rate that override or add to wsgen.toml's."""
        self.accept_binary_frames = accept_binary_frames
        self.serial_messages = serial_messages
        """Handle each connection's messages one at a time, in arrival order (debugging);
        API Gateway invokes them concurrently."""
        self.access = Access(host, allow_origins, allow_hosts)
        """Which Host and Origin values are served (`wsgen.local.origin`)."""
        self.log = log or EventLog()
        self.connections: dict[str, Connection] = {}
        self._connecting: set[str] = set()
        """The ids whose handshake is running: not connections yet, for `@connections`."""
        self.management = ManagementApi(
            stage, self.connections, management_delay_ms, self._connecting, self.log
        )
        self.background = HeldBackground()
        """The app's asynchronous invocations, run here (`@app.on_ws_connected`'s after the
        handshake)."""
        self._driver: Driver | None = None
        self._invoker: Invoker | None = None
        self.schedules, self.schedule_speed = schedules, schedule_speed
        self.functions: Functions | None = None
        """The app's event handlers: schedules on their clock, `wsgen invoke` on demand."""
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        """What `stop` cancels if still running (`_spawn`): the connections served with
        asyncio streams (`_client`), `task.delay()`'s tasks, the `on_ws_connected` steps."""
        self._sessions: set[asyncio.Task[None]] = set()
        """The WebSocket sessions, whose `$disconnect` `stop` waits for (`_session`)."""
        self._keep_alive: set[KeepAliveProtocol] = set()
        """Connections served from the event loop's callbacks (`KeepAliveProtocol`)."""
        self._calls_prefix = f"/{stage}/@connections/"
        """The start of every `@connections` call's target (`_classify`)."""
        self._stopping = False
        self.reload, self.reload_interval = reload, reload_interval
        self._watcher: asyncio.Task[None] | None = None
        self._following = False
        """Whether the runtime's log records go through `follow_runtime_log` (from start)."""
        self._exhaustion = ExhaustionReport(self.log.error)
        self._previous_handler: tuple[asyncio.AbstractEventLoop, Any] | None = None
        """The loop start() set `_exhaustion` on, and the exception handler it had, for stop."""
        self._environment = EnvironmentChanges()
        """What start set in `os.environ` for handlers (region, credentials, the management,
        DynamoDB and SQS endpoints), put back at stop."""
        self._app_environment = EnvironmentChanges()
        """wsgen.toml's `[environment]` as exported (applied again at each reload), put back at
        stop. Apart from `_environment`, so that what start set counts as set from outside."""
        self._restore_gc: Callable[[], None] | None = None
        """Puts the collector's threshold back at stop (`raise_gc_threshold`)."""
        # One buffer per event loop for the sockets' reads, not one per connection (64 KiB
        # each): each read is copied out in the protocol's callback, before the next read.
        self._read_buffer = memoryview(bytearray(READ_BYTES))
        self._receiving = memoryview(bytearray(RECEIVE_BYTES))
        self.region = DEFAULT_REGION
        """The handlers' region (`AWS_REGION`, else `AWS_DEFAULT_REGION`, else us-east-1), set
        at start: the API's, the tables', the fan-out queue's."""
        self._credentials: dict[str, str] | None = None
        """Who may sign an IAM-authorized `$connect`, resolved once, at the first app that
        needs it (`known_credentials`)."""
        self.dynamodb = dynamodb
        """The app's DynamoDB: an endpoint URL, True for the embedded one, None for none (a
        tracked app's connections in memory)."""
        self.tables: LocalTables | None = None
        """The app's tables on that endpoint (`wsgen.tables`), made once it is imported."""
        self.connection_store: ConnectionStore | None = None
        """Where a tracked app's connections are kept, the same across reloads."""
        self.fan_out_queue: ShardQueue | None = None
        """A `fan_out=True` app's shard messages, the same across reloads."""
        self._shards: ShardConsumer | None = None
        self.sqs: LocalSqs | None = None
        """The app's `on_sqs_message(queue=...)` queues and their endpoint (`wsgen.local.sqs`)."""

    @property
    def open_sessions(self) -> int:
        """WebSocket sessions not over yet: handshaking, open, or running their `$disconnect`."""
        return len(self._sessions)

    @property
    def running_handlers(self) -> int:
        """How many handler calls are running now (stuck ones included)."""
        return 0 if self._invoker is None else self._invoker.running

    @property
    def url(self) -> str:
        return f"ws://{self._public_host()}:{self.port}/{self.stage}"

    @property
    def endpoint(self) -> str:
        """The management endpoint handlers' boto3 clients use."""
        return f"http://{self._public_host()}:{self.port}/{self.stage}"

    def _public_host(self) -> str:
        host = "127.0.0.1" if self.host in ("", "0.0.0.0") else self.host
        host = "::1" if host == "::" else host
        return f"[{host}]" if ":" in host else host

    # Lifecycle

    async def start(self) -> None:
        """Load the app, then listen: the app's mistakes are reported before a taken port.

        The app's import sees the endpoints in its environment: a given port's is known before
        it is listened on; a free one (`port=0`, `sqs_port=0`) is listened on first.

        Raises:
            AppLoadError: the app cannot be loaded.
            ConfigError: wsgen.toml is malformed or names what the app lacks.
            PortInUseError: the address (or `sqs_port`) is taken.
        """
        # What the user can fix before the port: the app's files, the AWS profile (before
        # handlers run: botocore would refuse every call).
        locate_app(self.app_dir, self.app_ref)
        check_profile()
        if notice := raise_open_file_limit():
            self.log.info(notice)
        loop = asyncio.get_running_loop()
        self._previous_handler = (loop, loop.get_exception_handler())
        loop.set_exception_handler(self._exhaustion)
        try:
            if self.port == 0:
                # A free port cannot be taken: listened on first, for its number to be in
                # the endpoint the app's import sees. A given port is listened on after it.
                await self._listen()
            self.region = prepare_environment(self.endpoint, self._environment)
            # Before the app's import (no spec to check its route keys against yet): what
            # its module may read, the environment and the merged file's tables.
            settings = load_settings(self.app_dir, self.stage)
            self.tables = local_tables(self.dynamodb, settings)
            if self.tables is not None:
                # boto3 (1.28 and later) and the runtime read it: docs/aws-facts.md#sdk-endpoints
                self._environment.set(DYNAMODB_ENDPOINT_ENV, self.tables.endpoint)
            await self._prepare_sqs(self.region)
            # The queues' Refs resolve once the app is imported (use_app): notices then.
            self._apply_app_environment(settings)
            # The app's mistakes (its import, wsgen.toml against it) before a taken port:
            # the user's first to fix, and cheap to find.
            app, spec = load_spec(self.app_dir, self.app_ref)
            settings = self._settings(spec)
            if self._server is None:
                await self._listen()
            if self.sqs is not None and not self.sqs.endpoint:
                await self._listen_sqs()
            self.use_app(app, spec, settings)
            for notice in self._apply_app_environment(settings):
                self.log.info(notice)
        except BaseException:
            if self._server is not None:
                self._server.close()
            await self._stop_sqs()
            self._put_back()
            raise
        follow_runtime_log(self.log, True)
        self._following = True
        if self.reload:
            from .reload import Reloader, snapshot, watch

            directory = self.app_dir.resolve()
            reloader = Reloader(
                directory,
                self.app_ref,
                self.stage,
                self.use_app,
                self.log,
                self._refs,
                environment=self._app_environment,
            )
            # The baseline is taken now, before start() returns: taken later, in the task,
            # it could already include an edit made meanwhile, which would then never reload.
            baseline = snapshot(directory)
            self._watcher = asyncio.create_task(
                watch(directory, baseline, reloader.reload, self.reload_interval)
            )
        if self._restore_gc is None:
            self._restore_gc = raise_gc_threshold()

    async def _listen(self) -> None:
        """Listen on `host:port` (0: a free port, then `port` is the one listened on).

        Raises:
            PortInUseError: the address is taken, or `host` is none of this machine's.
        """
        loop = asyncio.get_running_loop()
        try:
            self._server = await loop.create_server(self._new_connection, self.host, self.port)
        except OSError as exc:
            raise await _listen_error(exc, self.host, self.port, self._public_host()) from exc
        self.port = self._server.sockets[0].getsockname()[1]

    async def _listen_sqs(self) -> None:
        """Serve the queues on `--sqs-port`, whose endpoint the app's import saw already.

        Raises:
            PortInUseError: the port is taken.
        """
        assert self.sqs is not None
        host = self._public_host().strip("[]")
        try:
            await self.sqs.listen(host, self.sqs_port)
        except OSError as exc:
            raise await _listen_error(exc, host, self.sqs_port, flag="--sqs-port") from exc

    def _settings(self, spec: AppSpec) -> Settings:
        """wsgen.toml for `spec`, checked against the app as `wsgen template` checks it (route
        keys, what its `Ref`s name: `wsgen.template.references`).

        Raises:
            ConfigError: wsgen.toml is malformed or names what the app lacks.
        """
        settings = load_settings(self.app_dir, self.stage, spec=spec)
        check_settings_references(spec, settings)
        return settings

    def use_app(self, app: App, spec: AppSpec, settings: Settings | None = None) -> None:
        """Serve `app`: the first at start, any later one after a reload (open connections,
        the tables, the connection store and the fan-out queue are kept).

        What can fail comes first: when it raises, the app served before is served still,
        as it was.

        Raises:
            ConfigError: wsgen.toml is malformed or names what the app lacks (a route, or a
                resource its `Ref`s name: `wsgen.template.references`).
            DynamoDBEndpointError: a tracked app's table cannot be made on `dynamodb`.
        """
        starting = self._driver is None  # the first app served: start() is running
        if settings is None:  # read once, checked against the app (start did already)
            settings = self._settings(spec)
        if self.tables is not None and starting:
            self.tables.create(spec, settings, self.region)
        store, described = self.connection_store, None
        if spec.connections and store is None:
            endpoint = None if self.tables is None else self.tables.endpoint
            store, described = connection_store(spec.app_name, endpoint)
        if spec.iam_authorization and self._credentials is None:
            self._credentials = known_credentials(os.environ)
        config = app_config(
            settings,
            spec,
            self.flags,
            self.region,
            self._credentials or {},
        )
        if self.tables is not None and starting:  # its tables' names are known now
            refs = self.tables.refs(store)
            apply_app_environment(
                self.app_dir, self.stage, refs, settings, changes=self._app_environment
            )
        # Nothing fails from here on: the new app is swapped in.
        self.connection_store = store
        if described is not None:
            self.log.info(f"wsgen local: {described}")
        if self.tables is not None and starting:
            self.log.info(f"wsgen local: {self.tables.describe()}")
        app.websocket_api.configure_endpoint(self.endpoint)
        if spec.connections and store is not None:
            app.connections.use_store(store)
        for notice in config.notices:
            self.log.info(notice)
        loop = asyncio.get_running_loop()

        def on_task(name: str, payload: dict[str, Any]) -> None:
            loop.call_soon_threadsafe(self._start_task, name, payload)

        self.background.on_task = on_task
        if spec.fan_out and self._shards is None:
            where = Where(self.region, ACCOUNT_ID, app.app_name)
            self.fan_out_queue = ShardQueue(where)
            self._shards = ShardConsumer(self.fan_out_queue, lambda: self.functions)
        if self._shards is not None:
            self._shards.maximum_concurrency = config.fan_out_concurrency
        self.background.on_shards = None if self.fan_out_queue is None else self.fan_out_queue.put
        app.use_background(self.background)
        if self._driver is None:
            self._invoker = Invoker(self.workers, self.region, ACCOUNT_ID, self.log)
            api = Api(
                API_ID, self.region, self.stage, forwarded_proto="http", forwarded_port=self.port
            )
            self._driver = Driver(
                app,
                spec,
                self._invoker,
                self.log,
                api,
                self.accept_binary_frames,
                config.timeouts,
                config.throttle,
                config.access,
            )
            where = Where(self.region, ACCOUNT_ID, app.app_name)
            self.functions = Functions(
                self._invoker,
                self.log,
                where,
                schedules=self.schedules,
                clock_speed=self.schedule_speed,
            )
        else:
            self._driver.swap(app, spec, config.timeouts, config.throttle, config.access)
        assert self.functions is not None
        self.functions.use(app, spec, config.handler_timeouts)
        if self.sqs is not None:
            for name in self.sqs.use(spec, settings):
                if not starting:  # at start, `wsgen local`'s banner lists them
                    self.log.info(f"wsgen local: SQS queue {name}: {self.sqs.queues[name].url}")

    def _apply_app_environment(self, settings: Settings) -> list[str]:
        """Export wsgen.toml's `[environment]` (`settings`), its Refs as they resolve now."""
        return apply_app_environment(
            self.app_dir, self.stage, self._refs(), settings, changes=self._app_environment
        )

    def _refs(self) -> dict[str, str]:
        """What a wsgen.toml `{ Ref = "Id" }` (or `Id.Arn`, its `Fn::GetAtt`) resolves to:
        the tables' local names (`LocalTables.refs`), the queues' URLs and ARNs
        (`LocalSqs.refs`)."""
        refs = {} if self.tables is None else self.tables.refs(self.connection_store)
        if self.sqs is not None:
            refs.update(self.sqs.refs())
        return refs

    async def _prepare_sqs(self, region: str) -> None:
        """Serve the app's queues on a port of their own and point handlers' SQS clients
        there (docs/aws-facts.md#sdk-endpoints), unless the user set `AWS_ENDPOINT_URL_SQS`
        (another emulator's is this one's while it runs: `EnvironmentChanges`)."""
        if self._environment.from_outside(SQS_ENDPOINT_ENV):
            self.log.info(
                f"wsgen local: {SQS_ENDPOINT_ENV} is set: handlers' SQS calls go there, and "
                "the app's queues are not served locally"
                + (" (--sqs-port is not used)" if self.sqs_port else "")
            )
            return
        self.sqs = LocalSqs(Where(region, ACCOUNT_ID, ""), self.log, lambda: self.functions)
        host = self._public_host().strip("[]")
        if self.sqs_port == 0:  # a free port: listened on now, for its number
            endpoint = await self.sqs.listen(host)
        else:  # listened on once the app is loaded (`_listen_sqs`), as the main port is
            endpoint = f"http://{f'[{host}]' if ':' in host else host}:{self.sqs_port}"
        self._environment.set(SQS_ENDPOINT_ENV, endpoint)

    async def _stop_sqs(self) -> None:
        """Stop serving the queues (messages not delivered yet are dropped); `_put_back`
        unsets their endpoint, so that a later emulator in the process serves its own."""
        if self.sqs is None:
            return
        await self.sqs.stop()
        if self.sqs.endpoint:  # listened on (a start that failed may not have)
            forget_server(self.sqs.endpoint)  # the runtime's pooled connections to it

    async def stop(self) -> None:
        """Close every connection with 1001, run each `$disconnect`, stop listening.

        Messages queued but not started are dropped. A running handler gets
        `HANDLER_GRACE_S` to return; then `$disconnect` runs anyway (the handler's thread
        runs on, its result ignored). The management API keeps serving until every
        `$disconnect` returned or `STOP_TIMEOUT_S` passed; new upgrades get 503. What
        start changed in the process is put back, and listening ends, even if stopping fails
        (`_put_back`).
        """
        try:
            await self._shut_down()
        finally:
            # Done already unless a step above failed; then the ports are freed all the same.
            if self._server is not None:
                self._server.close()
            if self.sqs is not None:
                self.sqs.close()
            self._put_back()

    def _put_back(self) -> None:
        """Undo what start changed in the process, so that an emulator started and stopped
        in a user's test process (or one that failed to start) leaves nothing behind: the
        collector's threshold, the runtime's log, the environment variables it set and the
        loop's exception handler. What changed one of those since is left as it is. (The
        soft open-file limit it raised is not lowered again.)"""
        if self._restore_gc is not None:
            self._restore_gc()
            self._restore_gc = None
        if self._following:
            self._following = False
            follow_runtime_log(self.log, False)
        self._app_environment.restore()
        self._environment.restore()
        if self._previous_handler is not None:
            loop, handler = self._previous_handler
            self._previous_handler = None
            if loop.get_exception_handler() is self._exhaustion:
                loop.set_exception_handler(handler)

    async def _shut_down(self) -> None:
        self._stopping = True
        if self._watcher is not None:
            self._watcher.cancel()
        if self.functions is not None:
            self.functions.stop()
        if self._shards is not None:
            await self._shards.stop()
        await self._stop_sqs()
        for connection in list(self.connections.values()):
            connection.close(*GOING_AWAY)
        pending = set(self._sessions)
        if pending:
            _, pending = await asyncio.wait(pending, timeout=HANDLER_GRACE_S)
        if pending:
            for connection in list(self.connections.values()):
                connection.abandon_handler()
            _, pending = await asyncio.wait(pending, timeout=STOP_TIMEOUT_S)
            for task in pending:  # a stuck $connect or $disconnect handler
                task.cancel()
        if self._server is not None:
            self._server.close()
        for keep_alive in list(self._keep_alive):
            keep_alive.close()
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.wait(self._tasks, timeout=STOP_TIMEOUT_S)
        if self._server is not None:
            # The handlers' pooled keep-alive connections here (runtime.aws's, for send()),
            # closed on this side above: closed on theirs too, not left until the process ends.
            forget_server(self.endpoint)
        if self._invoker is not None:
            self._invoker.shutdown()
            if running := self._invoker.running:
                self.log.info(f"wsgen local: {running} handler(s) still running, not waited for")

    # Serving

    def _new_connection(self) -> KeepAliveProtocol:
        return KeepAliveProtocol(
            self._serve_call,
            self._to_streams,
            _plain,
            MAX_MESSAGE_BYTES,
            self._keep_alive,
            self._receiving,
        )

    def _classify(self, request: HttpRequest) -> tuple[Served, str]:
        """What `request` is, for both ways a request is read: `_serve_call`, which answers
        the calls, and `_client`, which answers every kind (its `Served` says which).

        The second item is the refusal for "refused", the function's name for "invoke",
        else empty. The checks run in the order their answers take precedence.
        """
        target = request.target
        if len(target) > MAX_URL_CHARS:
            return "too long", ""
        first = request.first  # the lowercase names' values
        refusal = self.access.refusal(first.get("host"), first.get("origin"))
        if refusal is not None:
            return "refused", refusal
        if request.is_upgrade:
            return "upgrade", ""
        # A path under /{stage}/@connections/ decodes to neither of these (no `%` in the
        # prefix, as stage names have none): only other paths need decoding to tell.
        if not target.startswith(self._calls_prefix):
            path = unquote(target.split("?", 1)[0])
            if path.startswith(INVOKE_PATH):
                return "invoke", path[len(INVOKE_PATH) :]
            if request.method == "GET" and path in self._websocket_paths():
                return "websocket", ""
        return "call", ""

    def _serve_call(self, request: HttpRequest, body: bytes, reply: Reply) -> bool:
        """Answer a plain management call from `KeepAliveProtocol`; False for any other
        request (an upgrade, `wsgen invoke`, one `_client` refuses, a HEAD), which `_client`
        serves."""
        if request.method == "HEAD" or self._classify(request)[0] != "call":
            return False
        keep = request.keep_alive

        def done(response: HttpResponse) -> None:
            reply(_answer(request, response, keep), keep)

        self.management.respond(
            request.method, request.target, body, request.first.get("authorization"), done
        )
        return True

    def _to_streams(self, transport: asyncio.Transport, data: bytes, eof: bool) -> None:
        """Serve a connection `KeepAliveProtocol` handed over with asyncio streams
        (`_client`), from `data`, the first bytes it did not consume."""
        reader = asyncio.StreamReader(limit=STREAM_LIMIT)
        protocol = _StreamsProtocol(reader, self._serve_client)
        transport.set_protocol(protocol)
        protocol.connection_made(transport)  # starts `_client`
        if data:
            reader.feed_data(data)
        if eof:
            protocol.eof_received()

    def _serve_client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._spawn(self._client(reader, writer))

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                try:
                    request = await read_request(reader)
                except HttpError as exc:
                    writer.write(_plain(exc.status, exc.message))
                    return
                except (ValueError, asyncio.LimitOverrunError):  # whatever else will not parse
                    writer.write(_plain(400, "malformed request"))
                    return
                if request is None:
                    return
                served, detail = self._classify(request)
                if served == "too long":
                    writer.write(_plain(414, f"the URL is over {MAX_URL_CHARS} characters"))
                    return
                if served == "refused":
                    self.log.error(f"wsgen local: refused: {detail}")
                    writer.write(_plain(403, detail))
                    return
                if served == "upgrade" and self._stopping:
                    writer.write(_plain(503, "the emulator is shutting down"))
                    return
                if served == "upgrade":
                    await self._session(request, reader, writer)
                    return
                if served == "invoke":
                    await self._invoke(request, detail, reader, writer)
                    return
                if served == "websocket":
                    writer.write(
                        _plain(426, "this is a WebSocket endpoint: connect with a WebSocket client")
                    )
                    return
                if not await self._http(request, reader, writer):
                    return
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            pass  # the client left (a reset, ENOTCONN, EPIPE ...): nothing to answer
        except asyncio.CancelledError:
            pass  # an idle keep-alive connection at shutdown
        finally:
            if not writer.transport.is_closing():
                writer.close()

    async def _http(
        self, request: HttpRequest, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> bool:
        """Serve one management call; whether the connection may be reused."""
        keep = request.keep_alive
        body: bytes | int
        try:
            body = await read_body(reader, request, MAX_MESSAGE_BYTES)
        except BodyTooLargeError as exc:
            body, keep = exc.size, keep and exc.drained
        except HttpError as exc:
            writer.write(_plain(exc.status, exc.message))
            return False
        except ValueError:
            writer.write(_plain(400, "malformed request body"))
            return False
        response = await self.management.handle(
            request.method, request.target, body, request.header("Authorization")
        )
        writer.write(_answer(request, response, keep))
        await writer.drain()
        return keep

    async def _invoke(
        self,
        request: HttpRequest,
        name: str,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
    ) -> None:
        """`wsgen invoke`: run the event handler `name` with the posted event or body.

        The request is `{"event": ...}` or `{"body": "..."}`; the answer is the
        invocation's JSON (200 even when the handler raised, as Lambda's Invoke API answers).
        """
        peer = writer.get_extra_info("peername") or ("",)
        try:
            local = ipaddress.ip_address(str(peer[0]).split("%")[0]).is_loopback
        except ValueError:
            local = False
        if not local:
            writer.write(_plain(403, "wsgen invoke is answered on loopback only"))
            return
        if request.method != "POST":
            writer.write(_plain(405, f"POST {INVOKE_PATH}NAME with a JSON body"))
            return
        try:
            data = json.loads(await read_body(reader, request, MAX_INVOKE_BYTES) or b"{}")
        except BodyTooLargeError:
            writer.write(_plain(413, "the event is over Lambda's 6 MB"))
            return
        except (HttpError, ValueError):
            data = None  # unreadable or not JSON: the same 400 as JSON of the wrong shape
        body = data.get("body") if isinstance(data, dict) else None
        if not isinstance(data, dict) or not isinstance(body, str | None):
            writer.write(_plain(400, 'the body must be JSON: {"event": ...} or {"body": "..."}'))
            return
        assert self.functions is not None, "start() loads the app before serving"
        try:
            invocation = await self.functions.invoke(name, data.get("event"), body)
        except UnknownFunctionError as exc:  # which app, for a CLI that reached another one
            served = (
                f"{exc} (the wsgen local on port {self.port} serves {self.app_ref} in "
                f"{self.app_dir.resolve()}); pass --port for another wsgen local"
            )
            writer.write(_plain(404, served))
            return
        except ConfigError as exc:
            writer.write(_plain(400, str(exc)))
            return
        answer = json.dumps(invocation.to_json()).encode()
        headers = [("Content-Type", "application/json"), ("Connection", "close")]
        headers.append((EMULATOR_HEADER, "1"))
        writer.write(response_bytes(200, headers, answer))
        await writer.drain()

    async def _session(
        self, request: HttpRequest, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        """A WebSocket session, tracked so that `stop` waits for its `$disconnect`."""
        task = asyncio.ensure_future(self._websocket(request, reader, writer))
        self._sessions.add(task)
        try:
            await asyncio.shield(task)
        finally:
            self._sessions.discard(task)

    def _websocket_paths(self) -> tuple[str, ...]:
        return (f"/{self.stage}", f"/{self.stage}/", "/")

    async def _websocket(
        self, request: HttpRequest, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        target, _, query = request.target.partition("?")
        if unquote(target) not in self._websocket_paths():
            body = gateway_response(FORBIDDEN_MESSAGE)
            writer.write(response_bytes(403, [("Connection", "close")], body))
            return
        protocol = GatewayProtocol(logger=logging.getLogger("wsgen.local.websockets"))
        protocol.receive_data(request.head)
        parsed = [e for e in protocol.events_received() if isinstance(e, Request)]
        handshake = protocol.accept(parsed[0]) if parsed else None
        if handshake is None or handshake.status_code != 101:
            if handshake is not None:
                protocol.send_response(handshake)
            for data in protocol.data_to_send():
                writer.write(data)
            return
        peer = writer.get_extra_info("peername") or ("127.0.0.1", 0)
        client = Peer(
            connection_id=new_id(),
            connected_at=now_ms(),
            source_ip=str(peer[0]),
            domain_name=request.header("Host") or f"{self._public_host()}:{self.port}",
            user_agent=request.header("User-Agent"),
        )
        upgrade = UpgradeRequest(
            request.headers,
            parse_qsl(query, keep_blank_values=True),
            request.target,
            request.method,
        )
        self._connecting.add(client.connection_id)
        try:
            verdict = await self._running_driver().open(client, upgrade)
        finally:
            self._connecting.discard(client.connection_id)
        if not verdict.accepted:
            self.background.take_connected(client.connection_id)
            protocol.send_response(_rejection(verdict.status, verdict.body))
            for data in protocol.data_to_send():
                writer.write(data)
            return
        if verdict.subprotocol:
            # Only what $connect returned goes back; API Gateway never picks one itself.
            handshake.headers["Sec-WebSocket-Protocol"] = verdict.subprotocol
        protocol.send_response(handshake)
        transport = writer.transport
        assert isinstance(transport, asyncio.Transport)
        streams = transport.get_protocol()
        eof = isinstance(streams, _StreamsProtocol) and streams.eof
        connection = Connection(
            client, protocol, transport, self._read_buffer, self.serial_messages
        )
        # The connection reads its frames itself from now on; what the stream reader holds
        # already (nothing, from a client that waits for the 101, as it must) is handed on.
        transport.set_protocol(connection)
        self.connections[connection.id] = connection
        try:
            reader.feed_eof()
            try:
                received = await reader.read()  # at its EOF: returns at once, never suspends
            except OSError:  # the client reset the connection meanwhile
                received, eof = b"", True
            for data in protocol.data_to_send():
                transport.write(data)
            if self._stopping:
                connection.close(*GOING_AWAY)
            self._start_connected(client)
            # The driver's own method: `use_app` swaps what it serves, never the driver.
            handle = self._running_driver().message
            await connection.run(handle, self.idle_timeout, self.max_duration, received, eof)
        finally:
            self.connections.pop(connection.id, None)
            # Exactly once per accepted connection, whoever closed it and however.
            code, reason = connection.disconnect_status()
            await self._running_driver().close(client, code, reason, connection.dropped)

    def _start_task(self, name: str, payload: dict[str, Any]) -> None:
        """`task.delay()`: run the task now, as its own function, its timeout enforced."""
        assert self.functions is not None, "start() loads the app before serving"
        self._spawn(self._run_task(name, payload))

    async def _run_task(self, name: str, payload: dict[str, Any]) -> None:
        assert self.functions is not None
        with contextlib.suppress(UnknownFunctionError):  # a reload dropped it: logged there
            await self.functions.invoke(name, payload)

    def _start_connected(self, client: Peer) -> None:
        """Run `@app.on_ws_connected` now that the handshake is written, beside the messages
        (on AWS it is an invocation of its own, concurrent with them)."""
        payload = self.background.take_connected(client.connection_id)
        if payload is None:
            return
        self._spawn(self._running_driver().connected(client, payload))

    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        """Run `work` as a task of its own, which `stop` cancels if it is still running."""
        task = asyncio.get_running_loop().create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _running_driver(self) -> Driver:
        assert self._driver is not None, "start() sets the driver before serving"
        return self._driver


class _StreamsProtocol(asyncio.StreamReaderProtocol):
    """asyncio's stream protocol, remembering whether the client ended its side: a WebSocket
    connection taking its transport over must know, as no later read would tell it."""

    eof = False

    def eof_received(self) -> bool:
        self.eof = True
        return bool(super().eof_received())


def _answer(request: HttpRequest, response: HttpResponse, keep: bool) -> bytes:
    """A management call's serialized response."""
    headers = [*response.headers, ("Connection", "keep-alive" if keep else "close")]
    if request.method == "HEAD":
        # No body, ever, in a HEAD response (RFC 9110 9.3.2); @connections has no HEAD
        # method, so this is the 403 "No method found" API Gateway answers.
        headers.append(("Content-Length", str(len(response.body))))
        return response_bytes(response.status, headers)
    return response_bytes(response.status, headers, response.body)


def _rejection(status: int, body: bytes) -> Response:
    try:
        reason = HTTPStatus(status).phrase
    except ValueError:
        reason = "Unknown"
    headers = Headers([("Content-Length", str(len(body))), ("Connection", "close")])
    if body:
        headers["Content-Type"] = "application/json"
    return Response(status, reason, headers, body)


def _plain(status: int, message: str) -> bytes:
    headers = [("Content-Type", "text/plain; charset=utf-8"), ("Connection", "close")]
    headers.append((EMULATOR_HEADER, "1"))
    return response_bytes(status, headers, (message + "\n").encode())
