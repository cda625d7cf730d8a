"""The test client: connects to an app in memory, through its real entry point `app(event, ctx)`.

Everything API Gateway would do happens here, in the caller's thread and before the call
returns: the authorizer and `$connect` on `connect()`, route selection and the error frames on
`send_*()`, `$disconnect` on `close()`. What the app sends (`send`, `broadcast`, two-way
replies) is queued on the receiving `Connection`.

What API Gateway decides comes from `wsgen.gateway.session`; the client only invokes the app,
records failures (`Verdict.failure`, `Answer.failure`) and moves its connections' states.
Its connections reach it through `Link` (`handle_message`, `handle_close`), the in-memory
management client through `Switchboard` (`live_connection`, `post_to_connection`,
`delete_connection`).
"""

from __future__ import annotations

import base64
import os
import sys
import threading
import uuid
import warnings
import weakref
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import quote, urlencode

from runtime import App, FunctionNotFoundError
from runtime.aws import environment_region
from runtime.contract import (
    DYNAMODB_ENDPOINT_ENV,
    MAX_FRAME_BYTES,
    MAX_MESSAGE_BYTES,
    SQS,
)
from runtime.store import ConnectionStore

from ..connections import connection_store
from ..gateway import context, events, outcomes, session
from ..gateway.access import DUMMY_KEY, ConnectAccess, known_credentials
from ..gateway.background import HeldBackground
from ..gateway.events import Api, Pairs, Peer, UpgradeRequest
from ..gateway.fanout import ShardQueue
from ..gateway.outcomes import ABNORMAL_CLOSE, DELETE_CLOSE, GOING_AWAY, Frame, Outcome, Verdict
from ..gateway.routing import Router
from ..gateway.session import Answer, Event, Session, Steps
from ..gateway.sqs import MAX_RECEIVES, SqsError, queue_home, read_message, send_fifo
from ..gateway.state import ConnectionState, gone_message
from ..local.environment import EnvironmentChanges, literal_environment
from ..settings import load_settings
from ..sources.checks import check_functions, queue_name
from ..sources.events import Where, build_event, check_event
from ..tables import LocalTables
from ..template import check_settings_references
from .connection import Connection
from .exceptions import (
    ClientClosedError,
    ConnectionRejected,
    DroppedResultWarning,
    FragmentsError,
    HandshakeFailed,
    QueueMessageError,
    UnroutedMessageWarning,
    WebsocketTestError,
)
from .management import GoneException, MemoryManagementClient

Values = Mapping[str, str | Sequence[str]]
Decision = TypeVar("Decision", Verdict, Answer)


def _app_dir(app: App) -> Path | None:
    """The directory of the module that holds `app` (its wsgen.toml's, its template's)."""
    module = next(
        (
            m
            for m in list(sys.modules.values())
            if getattr(m, "__file__", None) and any(v is app for v in list(vars(m).values()))
        ),
        None,
    )
    if module is None or module.__file__ is None:
        return None
    return Path(module.__file__).parent


def _toml_api_keys(app: App, stage: str) -> tuple[str, ...]:
    """`api_keys` of the app's wsgen.toml for `stage`, as `wsgen local` takes them."""
    from ..settings import load_settings

    app_dir = _app_dir(app)
    if app_dir is None or not (app_dir / "wsgen.toml").is_file():
        return ()
    return load_settings(app_dir, stage).api_keys


def _dynamodb_environment(endpoint: str, region: str) -> dict[str, str]:
    """What handlers' boto3 needs to reach a local DynamoDB: its endpoint, and a region
    and credentials (dummy ones, which local servers accept) unless there are some."""
    from ..local.environment import has_credentials

    values = {DYNAMODB_ENDPOINT_ENV: endpoint}
    if environment_region() is None:
        values["AWS_DEFAULT_REGION"] = region
    if not has_credentials():
        values["AWS_ACCESS_KEY_ID"] = values["AWS_SECRET_ACCESS_KEY"] = DUMMY_KEY
    return values


class LambdaContext(context.LambdaContext):
    """Lambda's context object for an event of the test client's `api`."""

    def __init__(self, function_name: str, api: Api) -> None:
        super().__init__(function_name, api.region, log_stream_name="wsgen-testing")


def _caller() -> int:
    """The `stacklevel` of the test's own frame: the first outside wsgen.testing."""
    frame = sys._getframe(1)
    level = 1
    while frame is not None and frame.f_code.co_filename.startswith(_HERE):
        frame = frame.f_back  # type: ignore[assignment]
        level += 1
    return level


_HERE = os.path.dirname(__file__) + os.sep

_OPEN: dict[int, list[weakref.ref[Client]]] = {}
"""Each app's open clients (by the app's id), oldest first: each installed its management
client, store and background over the one before it (`Client.close` splices itself out).
Weak: a client a test never closes is not kept alive by it."""


def _warn_dropped(answer: Answer) -> None:
    """Warn when the handler of a one-way route returned a value, which went nowhere: at
    every such message (Python's filters show one place's warning once by default), where
    `wsgen local` logs it once per route."""
    if answer.dropped is not None:
        note = outcomes.dropped_note(answer.dropped)
        warnings.warn(DroppedResultWarning(note), stacklevel=_caller())


def _pairs(values: Values | None) -> Pairs:
    """Name/value pairs; a list value is a repeated parameter."""
    return [
        (key, value)
        for key, given in (values or {}).items()
        for value in ([given] if isinstance(given, str) else given)
    ]


def _handshake_headers(api: Api, extra: Pairs) -> Pairs:
    """What a typical client sends in its upgrade request, then the test's own headers."""
    names = {name.lower() for name, _ in extra}
    typical = [
        ("Host", api.domain_name),
        ("Sec-WebSocket-Extensions", "permessage-deflate; client_max_window_bits"),
        ("Sec-WebSocket-Key", base64.b64encode(os.urandom(16)).decode()),
        ("Sec-WebSocket-Version", "13"),
    ]
    return [(k, v) for k, v in typical if k.lower() not in names] + extra


def _python_reason(error: SqsError) -> str:
    """Why SQS refused a `send_sqs_message`, worded for its arguments: by the parameter the
    send lacked (`SqsError.missing`), whatever SQS's text says."""
    if error.missing == "MessageGroupId":
        return "a FIFO queue's message needs message_group_id='...'"
    if error.missing == "MessageDeduplicationId":
        return (
            "a FIFO queue's message needs message_deduplication_id='...' (the template's FIFO "
            "queue has no content-based deduplication)"
        )
    if error.missing == "MessageBody":
        return "body is empty: SQS takes a message of at least one character"
    return error.message


class Client:
    """Connect to `app` in memory; see the module docstring and `connect()`.

    Creating the client routes `app.websocket_api` through an in-memory management client;
    `close()` (or leaving `with Client(app) as client:`) disconnects what is still open and
    puts the previous management client back.

    Args:
        raise_errors: re-raise an exception from a message or `$disconnect` handler out of the
            call that triggered it (after API Gateway's error frame is queued). With False,
            only the frame shows it. Either way it is appended to `errors`. A failure while
            connecting is always a `ConnectionRejected` with the exception as its cause.
        stage_variables: what identity sources `stageVariables.*` read.
        dynamodb: the app's DynamoDB: True for wsgen's embedded server (moto: `pip install
            'wsgen[local]'`), or a DynamoDB endpoint's URL. Every table of the app's
            template (merged ones included) is made there, empty, with a name of this
            client's (wsgen.toml's `{ Ref = "Table" }` values give it to the handlers), and
            deleted at `close()`; handlers' boto3 clients made from then on go there
            (`AWS_ENDPOINT_URL_DYNAMODB`); a tracked app's connections are kept there too.
            None (the default): connections in memory, no tables.
        api_keys: the keys a `$connect` with `api_key_required=True` takes in `x-api-key`;
            by default `api_keys` of the app's wsgen.toml for `stage`. An IAM-authorized
            `$connect` takes upgrades SigV4-signed (for `https://{api domain}/{stage}`) with
            the credentials handlers run with, as `wsgen local` does: the exported
            `AWS_ACCESS_KEY_ID`/`AWS_SECRET_ACCESS_KEY`, else those botocore resolves (a
            profile, SSO...), else `wsgen-local` for both.
    """

    def __init__(
        self,
        app: App,
        *,
        raise_errors: bool = True,
        stage: str = "test",
        region: str = "us-east-1",
        api_id: str = "wsgentest0",
        stage_variables: dict[str, str] | None = None,
        accept_binary_frames: bool = False,
        dynamodb: str | bool | None = None,
        api_keys: Sequence[str] | None = None,
    ) -> None:
        self.app = app
        self.raise_errors = raise_errors
        self.spec = app.spec()  # refuses an app without the WEBSOCKETS flag, as deploying would
        check_functions(self.spec)  # and event handler arguments AWS refuses
        self.api = Api(api_id, region, stage, stage_variables=dict(stage_variables or {}))
        self.router = Router(self.spec)
        keys = tuple(api_keys) if api_keys is not None else _toml_api_keys(app, stage)
        signers = known_credentials(os.environ) if self.spec.iam_authorization else {}
        access = ConnectAccess(signers, keys)
        self.session = Session(self.api, self.router, accept_binary_frames, access=access)
        self.stage_variables = self.api.stage_variables
        self.errors: list[Exception] = []
        """Exceptions raised by the app's handlers and authorizer, in order."""
        self.events: list[Event] = []
        """Every event passed to the app's entry point, in order."""
        self.invocations: list[tuple[str, Any]] = []
        """Every `invoke()`: the event handler's name and the event it got, in order."""
        self.management = MemoryManagementClient(self)
        self._connections: dict[str, Connection] = {}
        self._lock = threading.RLock()  # broadcast() posts from a thread pool
        self._depth = 0
        self._closing: list[str] = []
        self._draining = False
        # The runtime offers no getter for the installed client; read it to restore it.
        self._previous = app.websocket_api.use_client(self.management)
        self.connection_store: ConnectionStore | None = None
        """Where a tracked app's connections are kept: in memory, or `dynamodb`'s table."""
        self.tables: LocalTables | None = None
        """The app's tables on `dynamodb` (`wsgen.tables`): `tables.names[logical id]`."""
        self._environment = EnvironmentChanges()
        """What the client exported for handlers (`dynamodb`'s endpoint, wsgen.toml's
        `[environment]`), put back at `close()`."""
        try:
            self._prepare_dynamodb(dynamodb, stage)
            if self.spec.connections:
                endpoint = None if self.tables is None else self.tables.endpoint
                self.connection_store, _ = connection_store(app.app_name, endpoint)
                self._previous_store = app.connections.use_store(self.connection_store)
            app_dir = _app_dir(app)
            if app_dir is not None and (app_dir / "wsgen.toml").is_file():
                settings = load_settings(app_dir, stage)
                refs: dict[str, str] = {}
                if self.tables is not None:  # made from the template: its Refs checked there
                    refs = self.tables.refs(self.connection_store)
                else:
                    check_settings_references(self.spec, settings)
                for name, value in literal_environment(settings, self.api.region, refs).items():
                    self._environment.set_default(name, value)
        except BaseException:
            app.websocket_api.use_client(self._previous)
            if self.connection_store is not None:
                app.connections.use_store(self._previous_store)
            self._environment.restore()
            if self.tables is not None:
                self.tables.delete()
            raise
        self.fan_out_queue: ShardQueue | None = None
        """A `fan_out=True` app's shard messages, run in memory like tasks (`run_tasks`);
        its `dead_letters` are those the fan-out function failed on every delivery."""
        on_shards = None
        if self.spec.fan_out:
            where = Where(self.api.region, events.ACCOUNT_ID, app.app_name)
            self.fan_out_queue = ShardQueue(where)
            on_shards = self._shards_queued
        self._sent_ids: dict[str, dict[str, tuple[float, dict[str, Any]]]] = {}
        """A FIFO queue's deduplication ids of the last 5 minutes, by queue name."""
        self.queues: dict[str, ShardQueue] = {}
        """The app's SQS queues, by name (`queue=`, or the end of `queue_arn=`): what
        `send_sqs_message` sends to; each one's `dead_letters` are the bodies its handler
        failed on every delivery."""
        for function in self.spec.functions:
            if function.kind == SQS and queue_name(function) not in self.queues:
                self.queues[queue_name(function)] = ShardQueue(
                    queue_home(function, Where(self.api.region, events.ACCOUNT_ID, app.app_name)),
                    function=function,
                    batch_size=function.options["batch_size"],
                    max_receives=MAX_RECEIVES,
                )
        self.background = HeldBackground(self._task_started, on_shards)
        """Where the app's asynchronous invocations go: run in memory (see `connect` and
        `run_tasks`)."""
        self._queued_tasks: list[tuple[str, dict[str, Any]]] = []
        self._previous_background = app.use_background(self.background)
        self._closed = False
        _OPEN.setdefault(id(app), []).append(weakref.ref(self))

    def _prepare_dynamodb(self, dynamodb: str | bool | None, stage: str) -> None:
        """With `dynamodb`: the endpoint in the handlers' environment and the app's tables
        made there."""
        if dynamodb is None or dynamodb is False:
            return
        self.tables = LocalTables(dynamodb, suffix=f"-{uuid.uuid4().hex[:8]}")
        for name, value in _dynamodb_environment(self.tables.endpoint, self.api.region).items():
            self._environment.set(name, value)
        region = environment_region() or self.api.region
        app_dir = _app_dir(self.app)
        if app_dir is not None:
            self.tables.create(self.spec, load_settings(app_dir, stage, spec=self.spec), region)

    @property
    def accept_binary_frames(self) -> bool:
        """Deliver binary frames base64-encoded instead of closing with 1003 as AWS does."""
        return self.session.accept_binary_frames

    @accept_binary_frames.setter
    def accept_binary_frames(self, value: bool) -> None:
        self.session.accept_binary_frames = value

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Disconnect what is still open (1001 "Going away"); restore the management client."""
        if self._closed:
            return
        try:
            for connection in list(self._connections.values()):
                if connection.state is ConnectionState.OPEN:
                    self._disconnect(connection, *GOING_AWAY)
        finally:
            self._closed = True
            self._uninstall()
            self._environment.restore()
            if self.tables is not None:
                self.tables.delete()

    def _uninstall(self) -> None:
        """Give the app back what this client replaced; under a later client of the same app
        still open, that one is handed it instead, so that it keeps serving."""
        opened = [c for ref in _OPEN.get(id(self.app), []) if (c := ref()) is not None]
        index = opened.index(self) if self in opened else len(opened)
        if index + 1 < len(opened):
            later = opened[index + 1]
            later._previous = self._previous
            later._previous_background = self._previous_background
            if self.connection_store is not None:
                later._previous_store = self._previous_store
        else:
            self.app.websocket_api.use_client(self._previous)
            if self.connection_store is not None:
                self.app.connections.use_store(self._previous_store)
            self.app.use_background(self._previous_background)
        rest = [weakref.ref(c) for c in opened if c is not self]
        if rest:
            _OPEN[id(self.app)] = rest
        else:
            _OPEN.pop(id(self.app), None)

    @property
    def connections(self) -> dict[str, Connection]:
        """The open connections by connection id."""
        return {cid: c for cid, c in self._connections.items() if c.state is ConnectionState.OPEN}

    def connect(
        self,
        *,
        headers: Values | None = None,
        query: Values | None = None,
        subprotocols: Sequence[str] = (),
        source_ip: str = "203.0.113.10",
    ) -> Connection:
        """Open a connection: identity sources, the authorizer, then `$connect`.

        A header or query value may be a list (a repeated parameter). A `User-Agent` header
        also sets `requestContext.identity.userAgent`.

        Raises:
            ConnectionRejected: API Gateway would answer with this HTTP status instead of 101.
            HandshakeFailed: `$connect` did not choose one of `subprotocols` (or chose one
                not offered); browsers fail the handshake then.
        """
        if self._closed:
            raise ClientClosedError()
        extra = _pairs(headers)
        if subprotocols:
            extra = [(k, v) for k, v in extra if k.lower() != "sec-websocket-protocol"]
            extra.append(("Sec-WebSocket-Protocol", ", ".join(subprotocols)))
        pairs = _pairs(query)
        target = f"/{self.api.stage}" + (f"?{urlencode(pairs, quote_via=quote)}" if pairs else "")
        request = UpgradeRequest(_handshake_headers(self.api, extra), pairs, target)
        user_agent = request.header("User-Agent")
        # The host the client connected to, as API Gateway reports it (a custom domain too).
        domain_name = request.header("Host") or self.api.domain_name
        peer = Peer(events.new_id(), events.now_ms(), source_ip, domain_name, user_agent)
        connection = Connection(self, peer)
        self._connections[peer.connection_id] = connection  # posts now raise Gone: "connecting"
        verdict = self._run(self.session.open(peer, request))
        if not verdict.accepted:
            connection.mark_closed()
            del self._connections[peer.connection_id]
            raise ConnectionRejected(verdict.status, verdict.reason) from verdict.error
        chosen = verdict.subprotocol
        connection.mark_open(chosen)
        if (chosen is None and subprotocols) or (chosen is not None and chosen not in subprotocols):
            self.background.take_connected(peer.connection_id)
            self._disconnect(connection, *ABNORMAL_CLOSE)
            raise HandshakeFailed(list(subprotocols), chosen)
        self._run_connected(connection)
        self.run_tasks()  # those $connect started, if no connected step ran them
        return connection

    def invoke(self, name: str, event: Any = None, *, body: str | None = None) -> Any:
        """Run the event handler `name` as its own Lambda function would; its result.

        `event` goes to the handler as it is; without it, the event AWS sends that kind of
        handler is built around `body` (an SQS or SNS message, an EventBridge detail or a
        DynamoDB item as JSON, a plain function's JSON event; see `wsgen invoke`). What the
        handler sends reaches this client's connections, as from a WebSocket handler.

        Raises:
            FunctionNotFoundError: the app has no event handler `name`.
            Exception: what the handler raised, when `raise_errors` (it is in `errors`
                either way; an SQS handler's is its batch's `batchItemFailures` instead).
        """
        if self._closed:
            raise ClientClosedError()
        function = self.spec.function(name)
        if function is None:
            raise FunctionNotFoundError(name, self.spec.invocable())
        if event is None:
            where = Where(self.api.region, events.ACCOUNT_ID, self.app.app_name)
            event = build_event(function, body, where, python=True)
        else:
            check_event(function, event, python=True)
        start = len(self.errors)
        result = self._invoke_function(name, event)
        self._run_server_closes()
        self._run_tasks()
        self._raise_new_errors(start)
        return result

    def send_sqs_message(
        self,
        queue: str,
        body: str,
        *,
        message_attributes: dict[str, Any] | None = None,
        message_group_id: str | None = None,
        message_deduplication_id: str | None = None,
    ) -> str:
        """Send a message to the app's queue `queue` and run its handler, as Lambda's poller
        would, before returning; the message's id.

        `queue` is the name given to `on_sqs_message(queue=...)` (or the end of its
        `queue_arn`); `message_attributes` are SendMessage's (`{"kind": {"DataType":
        "String", "StringValue": "job"}}`). A message the handler fails (it raised on it, or
        listed it in `batchItemFailures`) is delivered again at once, its `messageId` kept
        and `ApproximateReceiveCount` one higher, up to 5 deliveries (then it is in
        `queues[queue].dead_letters`), as `wsgen local` does. What the handler sends reaches
        this client's connections. Sent while a handler runs, it runs once that handler
        returned; from another thread, with `run_tasks()`. A FIFO queue's message needs
        `message_group_id` and (but for a `queue_arn=` queue's, which may take the body's
        SHA-256) `message_deduplication_id`; a duplicate of one sent in the last 5 minutes
        is not delivered again, and the first's id is returned; a group's messages run in
        order, a failed one again before the next (docs/local.md#queues).

        Raises:
            QueueMessageError: the app has no handler of `queue`, or SQS would refuse the
                message (empty, over 1 MiB, a character SQS does not take).
        """
        if self._closed:
            raise ClientClosedError()
        messages = self.queues.get(queue)
        if messages is None:
            have = ", ".join(map(repr, self.queues)) or "none"
            raise QueueMessageError(
                queue,
                f"the app has no on_sqs_message handler of it (its queues: {have}); name one "
                "by its queue= (or the queue name ending its queue_arn=)",
            )
        if not isinstance(body, str):
            fix = "json.dumps() it first" if isinstance(body, (dict, list)) else "pass text"
            raise QueueMessageError(
                queue, f"body is str, not {type(body).__name__}: SQS carries text; {fix}"
            )
        request: dict[str, Any] = {"MessageBody": body}
        if message_attributes:
            request["MessageAttributes"] = message_attributes
        if message_group_id is not None:
            request["MessageGroupId"] = message_group_id
        if message_deduplication_id is not None:
            request["MessageDeduplicationId"] = message_deduplication_id
        if not messages.fifo and (message_group_id or message_deduplication_id):
            raise QueueMessageError(
                queue,
                "message_group_id and message_deduplication_id are a FIFO queue's (.fifo); "
                "this queue is a standard one",
            )
        try:
            body, _, attributes = read_message(request)
            if messages.fifo:
                sent = send_fifo(
                    messages,
                    self._sent_ids.setdefault(queue, {}),
                    body,
                    0,
                    attributes,
                    request,
                )
                message_id = str(sent["MessageId"])
            else:
                message_id = messages.send(body, 0, attributes, notify=False)
        except SqsError as exc:
            raise QueueMessageError(queue, _python_reason(exc)) from None
        if self._depth == 0 and threading.current_thread() is threading.main_thread():
            self.run_tasks()
        return message_id

    def _invoke_function(self, name: str, event: Any) -> Any:
        """Call an event handler's or task's function; its exception goes to `errors`."""
        handler = self.app.function_handler(name)
        self.invocations.append((name, event))
        self._depth += 1
        try:
            return handler(event, LambdaContext(f"{self.app.app_name}-{name}", self.api))
        except Exception as exc:
            self.errors.append(exc)
            return None
        finally:
            self._depth -= 1

    def run_tasks(self) -> int:
        """Run the tasks started (`task.delay()`) and not run yet, then the batches of the
        fan-out queue (`fan_out=True`) and of the app's queues (`send_sqs_message`); how many
        invocations ran.

        A task a handler starts runs by itself once that handler's invocation has returned,
        before the client call that made it returns (as on AWS it runs after `delay()`
        returned, in an invocation of its own); one started by the test itself runs at once.
        So this is only needed for a task started from another thread. Tasks they start run
        too. Raises what a task raised, when `raise_errors`.
        """
        start = len(self.errors)
        ran = self._run_tasks()
        self._raise_new_errors(start)
        return ran

    def _shards_queued(self, bodies: list[str], delay_s: int) -> dict[int, Exception]:
        assert self.fan_out_queue is not None
        errors = self.fan_out_queue.put(bodies, delay_s)
        if self._depth == 0 and threading.current_thread() is threading.main_thread():
            self.run_tasks()
        return errors

    def _task_started(self, name: str, payload: dict[str, Any]) -> None:
        with self._lock:
            self._queued_tasks.append((name, payload))
        if self._depth == 0 and threading.current_thread() is threading.main_thread():
            self.run_tasks()

    def _run_tasks(self) -> int:
        """Each queued task in order, as its function would run it, then each batch of the
        fan-out queue and the app's queues (delays not waited for); failures go to
        `errors`."""
        ran = 0
        if self._depth:
            return ran
        while True:
            with self._lock:
                task = self._queued_tasks.pop(0) if self._queued_tasks else None
            if task is not None:
                self._invoke_function(*task)
            elif not self._run_batch():
                return ran
            self._run_server_closes()
            ran += 1

    def _run_batch(self) -> bool:
        """The next batch of the fan-out queue, else of the app's first queue with one, run
        by its function and settled; False when no queue has one."""
        polled = [self.fan_out_queue] if self.fan_out_queue is not None else []
        for queue in [*polled, *self.queues.values()]:
            batch = queue.take(ignore_delays=True)
            if batch is None:
                continue
            failures = len(self.errors)
            result = self._invoke_function(queue.function.name, batch)
            error = self.errors[-1] if len(self.errors) > failures else None
            queue.settle(batch, result, error)
            return True
        return False

    def _run_connected(self, connection: Connection) -> None:
        """`@app.on_ws_connected`, right after the handshake, before `connect()` returns.

        Its failure is recorded in `errors` (and raised with `raise_errors`); the connection
        stays open, as on AWS, where it runs in an invocation of its own.
        """
        # An invocation's payload rather than an API Gateway event; `events` records it too.
        payload: Any = self.background.take_connected(connection.connection_id)
        if payload is None:
            return
        start = len(self.errors)
        outcome = self._invoke(payload)
        if isinstance(outcome.error, Exception):
            self.errors.append(outcome.error)
        if self._depth == 0:
            self._run_server_closes()
            self._run_tasks()
        self._raise_new_errors(start)

    # The connections' side (`Link`).

    def handle_message(
        self, connection: Connection, data: bytes, *, binary: bool, fragments: int = 1
    ) -> None:
        """Take one message from `connection` as API Gateway would; what `send_*` calls.

        Raises:
            FragmentsError: `fragments` is below 1 or above the message's length.
            Exception: what its handler raised, when `raise_errors`.
        """
        if fragments < 1 or (data and fragments > len(data)):
            raise FragmentsError(fragments, len(data))
        start = len(self.errors)
        frame_bytes = -(-len(data) // fragments)  # the largest of `fragments` frames
        if len(data) > MAX_MESSAGE_BYTES or frame_bytes > MAX_FRAME_BYTES:
            # API Gateway closes the connection on an oversized frame or message
            # (docs/aws-facts.md#quotas).
            self._disconnect(connection, *outcomes.MESSAGE_TOO_BIG)
            self._raise_new_errors(start)
            return
        # Received whole: activity, whatever API Gateway then makes of it (as the emulator).
        connection.last_active_at = events.now_ms()
        steps = self.session.message(connection.peer, data, binary, connection.last_active_at)
        answer = self._run(steps)
        if answer.close is not None:
            self._disconnect(connection, *answer.close)
        # Closed by its own handler, the connection takes no reply or error frame.
        elif answer.frame is not None and connection.state is ConnectionState.OPEN:
            connection.deliver(answer.frame)
        if answer.route_key is None and answer.close is None:
            # The Forbidden frame: say why, as `wsgen local` logs it.
            why = self.session.router.unmatched(data, binary)
            warnings.warn(UnroutedMessageWarning(f"Forbidden frame: {why}"), stacklevel=_caller())
        _warn_dropped(answer)
        self._run_tasks()  # after the reply: on AWS they run once delay() has returned
        self._raise_new_errors(start)

    def handle_close(self, connection: Connection, code: int, reason: str) -> None:
        """`connection` closed from the client side: run `$disconnect`; what `close()` calls.

        Raises:
            Exception: what the `$disconnect` handler raised, when `raise_errors`.
        """
        start = len(self.errors)
        self._disconnect(connection, code, reason)
        self._run_tasks()
        self._raise_new_errors(start)

    def _disconnect(self, connection: Connection, code: int, reason: str) -> None:
        """Close `connection` now and run `$disconnect` (when the API has the route)."""
        connection.mark_closed(code, reason)
        self._connections.pop(connection.connection_id, None)
        _warn_dropped(self._run(self.session.close(connection.peer, code, reason)))

    def _run(self, steps: Steps[Decision]) -> Decision:
        """Drive a sequence; record its failure, then disconnect what its handler closed."""
        decision = session.run(steps, self._invoke)
        failure = decision.failure
        if isinstance(failure, Exception):  # an authorizer's "Unauthorized" is not one
            self.errors.append(failure)
        if self._depth == 0:
            self._run_server_closes()
        return decision

    def _invoke(self, event: Event) -> Outcome:
        """Call the entry point; an exception is returned as the outcome, not raised."""
        self.events.append(event)
        self._depth += 1
        try:
            return Outcome(self.app(event, LambdaContext(self.app.app_name, self.api)))
        except Exception as exc:
            return Outcome(error=exc)
        finally:
            self._depth -= 1

    def _run_server_closes(self) -> None:
        """Disconnect what `delete_connection` closed, once no handler is running any more."""
        if self._draining:
            return
        self._draining = True
        try:
            while self._closing:
                connection = self._connections.get(self._closing.pop(0))
                if connection is not None:
                    self._disconnect(connection, *DELETE_CLOSE)
        finally:
            self._draining = False

    def _raise_new_errors(self, start: int) -> None:
        if self.raise_errors and len(self.errors) > start:
            raise self.errors[start]

    def signed_headers(self, query: Values | None = None) -> dict[str, str]:
        """The headers of an upgrade SigV4-signed as an AWS SDK signs it, for
        `connect(headers=...)` of an IAM-authorized `$connect`: a GET of
        `https://{api domain}/{stage}` (with `query`, which `connect` must then get too) for
        `execute-api`, signed with the credentials handlers run with (see the class): for an
        IAM-authorized app, the pair the client resolved when it was made and verifies with."""
        from botocore.auth import SigV4Auth
        from botocore.awsrequest import AWSRequest
        from botocore.credentials import Credentials

        if self.spec.iam_authorization:
            signer = self.session.access.signer()
        else:  # nothing verifies it: what handlers would run with now
            signer = next(iter(known_credentials(os.environ).items()), None)
        if signer is None:
            raise WebsocketTestError(
                "no credentials to sign with: botocore's credential chain failed; export"
                " AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (any values) for the test"
            )
        key, secret = signer
        pairs = _pairs(query)
        url = f"https://{self.api.domain_name}/{self.api.stage}"
        if pairs:
            url += f"?{urlencode(pairs, quote_via=quote)}"
        request = AWSRequest(method="GET", url=url)
        SigV4Auth(Credentials(key, secret), "execute-api", self.api.region).add_auth(request)
        return {name: value for name, value in request.headers.items() if name.lower() != "host"}

    # The management API's side (`Switchboard`): what the app's `websocket_api` reaches
    # through `MemoryManagementClient`. A test may call these too, to act as the server.

    def live_connection(self, connection_id: str) -> Connection:
        """The open connection `connection_id`.

        Raises:
            GoneException: it is connecting, closing, closed or unknown (410, as on AWS).
        """
        connection = self._connections.get(connection_id)
        if connection is None or not connection.state.takes_posts:
            state = None if connection is None else connection.state
            raise GoneException(gone_message(connection_id, state))
        return connection

    def post_to_connection(self, connection_id: str, frame: Frame) -> None:
        """Deliver what the app posted to `@connections`, as `wsgen local` does: a str as a
        text frame, bytes as a text frame when they are valid UTF-8 and a binary one otherwise
        (the POST carries no frame type: `wsgen.gateway.outcomes.is_text` decides).

        Raises:
            GoneException: the connection is not open.
        """
        if not isinstance(frame, str) and outcomes.is_text(frame):
            frame = frame.decode()
        with self._lock:
            self.live_connection(connection_id).deliver(frame)

    def delete_connection(self, connection_id: str) -> None:
        """Close the connection from the server side (1000); `$disconnect` runs once no
        handler is running any more: at once when called from the test itself.

        Raises:
            GoneException: the connection is not open.
        """
        start = len(self.errors)
        with self._lock:
            self.live_connection(connection_id).mark_closing()
            self._closing.append(connection_id)
        if self._depth == 0:  # called from the test itself, not from a handler
            self._run_server_closes()
            self._raise_new_errors(start)
