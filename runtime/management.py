"""Talking back to clients: API Gateway's management API (`@connections`).

In Lambda the calls go through `runtime.aws` (SigV4 over pooled keep-alive connections,
standard library only): importing boto3 and building its client would cost the first
message after a cold start about half a second. boto3 is used, imported on first need,
when the app assigned `app.websocket_api.session` (its credentials are the app's choice)
or when neither Lambda's credential variables nor a container credentials endpoint are
there (a developer's machine with a profile), and for any client given to `use_client()`.
Either way, errors come out the same: `WebsocketDisconnectedError` for a gone connection,
`ManagementApiError` and its subclasses for the others (`exceptions.management_error`).

What only some apps use is apart, imported on first use (cold-start time): the posts of a
`broadcast()`, its `BroadcastResult` and `fan_out()`'s choice between a broadcast and shards
(`runtime.broadcast`), the boto3 calls (`runtime.boto3_calls`).
"""

from __future__ import annotations

from _thread import allocate_lock  # threading.Lock itself; `threading` costs cold-start time

from .common_errors import WebsocketDisconnectedError
from .contract import ENDPOINT_ENV, MAX_MESSAGE_BYTES

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Iterable
    from typing import Any

    from .aws import AwsResponse, Credentials
    from .boto3_calls import Boto3Calls
    from .broadcast import BroadcastResult, Opening
    from .events import RawRequestContext

DEFAULT_FAN_OUT_THRESHOLD = 1000
"""`fan_out()` sends to this many ids itself, more through shards (docs/aws-facts.md#fan-out)."""
DEFAULT_BROADCAST_WORKERS = 64
MAX_POOL_CONNECTIONS = 64
"""HTTP connections kept per endpoint (both clients); broadcast's concurrency is capped by it."""


def endpoint_for(api_id: str, region: str, stage: str) -> str:
    """The execute-api management endpoint of a stage, in the region's partition."""
    from .aws import dns_suffix  # loaded already: the region came through runtime.aws

    return f"https://{api_id}.execute-api.{region}.{dns_suffix(region)}/{stage}"


class WebsocketAPI:
    """Sends to, closes and describes connections of the app's WebSocket API.

    Available as `app.websocket_api`. In Lambda it signs with the function's credentials
    itself; assign `session` (a boto3 Session) to choose other credentials, which routes
    the calls through boto3 (as does a machine where only a profile has credentials).
    """

    def __init__(self) -> None:
        self.session: Any = None
        self._endpoint: str | None = None
        self._clients: dict[str, Any] = {}
        self._override: Any = None
        self.last_request_context: RawRequestContext | None = None
        """The `requestContext` of the latest event the entry point handled.

        Lambda gives a process one event at a time, and every event reaching an app comes
        from the same API and stage, so the latest one names the endpoint to answer on.
        """
        self._pool: Any = None
        self._direct: _Direct | None = None
        """The last calls' client through runtime.aws: the same for every send while the
        endpoint and the credentials are (its region is worked out once)."""
        self._default_session: Any = None
        self._lock = allocate_lock()
        self.on_gone: Callable[[list[str]], None] | None = None
        """Called with the ids a send found gone (410); tracked apps forget them there."""
        self.on_shards: Callable[[list[str], int], dict[int, Exception]] | None = None
        """Queues shard messages with a delay in seconds (`App(..., fan_out=True)` sets it:
        `app.background.shards`); returns the errors of those not queued, by index."""
        self.fan_out_threshold: int | None = None
        """Above this many ids `fan_out()` uses shards; None: `WSGEN_FAN_OUT_THRESHOLD`,
        else `DEFAULT_FAN_OUT_THRESHOLD` (1,000)."""
        self.on_enqueued: Callable[[str, int], None] | None = None
        """Called with a fan-out's id and how many ids its shards got; tracked apps start
        its counters there."""
        self.app_name: str | None = None
        self.app_arguments: tuple[str, ...] = ()
        """The app's arguments other than its name that differ from the defaults
        (`"connections=True"`, ...): errors suggesting `App(...)` keep them."""
        self._opening: set[str] = set()

    def fan_out_off(self, what: str) -> Exception:
        """The error for `what` (a call needing shards) in an app without `fan_out=True`."""
        from .exceptions import FanOutNotEnabledError

        return FanOutNotEnabledError(self.app_name, what, self.app_arguments)

    def use_client(self, client: Any) -> Any:
        """Send every call through `client` instead of boto3 (None goes back to boto3).

        `client` offers boto3's `post_to_connection`, `get_connection`, `delete_connection`
        and `exceptions.GoneException`: a botocore `Stubber`-wrapped client, or the in-memory
        one of `wsgen.testing`. Returns the client used until now (None for boto3's), so a
        caller can put it back.
        """
        previous, self._override = self._override, client
        return previous

    def configure(self, domain_name: str, stage: str) -> None:
        """Use the management endpoint `https://{domain_name}/{stage}`.

        For a custom domain, whose base path replaces the stage, use `configure_endpoint`.
        """
        self.configure_endpoint(f"https://{domain_name}/{stage}")

    def configure_endpoint(self, url: str) -> None:
        """Use this management endpoint URL for every call from now on."""
        self._endpoint = url.rstrip("/")

    @property
    def endpoint(self) -> str:
        """The endpoint the next call will use: configured, then environment, then event."""
        if self._endpoint:
            return self._endpoint
        import os  # here, not at import: an app that never sends need not load it

        from_env = os.environ.get(ENDPOINT_ENV)
        if from_env:
            return from_env.rstrip("/")
        request_context = self.last_request_context
        if request_context is not None:
            region = self._region()
            if region:
                return endpoint_for(request_context["apiId"], region, request_context["stage"])
        from .exceptions import EndpointNotConfiguredError

        raise EndpointNotConfiguredError()

    def send(self, connection_id: str, message: str | bytes) -> None:
        """Send one message to a connected client: str as UTF-8, bytes as they are.

        `@connections` carries no frame type: bytes that are valid UTF-8 may arrive as text
        (they do under `wsgen local` and the test client: docs/guide.md#binary-frames).

        Raises:
            MessageTypeError: neither str nor bytes (a dict: `json.dumps()` it first).
            MessageTooLargeError: over 128 KB, before any network call.
            InvalidMessageError: text with a lone surrogate, which UTF-8 cannot encode.
            WebsocketDisconnectedError: the client is gone.
            ManagementApiError: API Gateway refused it otherwise (`ManagementForbiddenError`,
                `ManagementThrottledError` after the retries, `ManagementPayloadTooLargeError`).
        """
        _check_size(message)
        calls = self._calls()
        try:
            calls.post(connection_id, message)
        except WebsocketDisconnectedError:
            if connection_id in self._opening:
                from .broadcast import post_opening

                if post_opening(calls, connection_id, message):
                    return
            self._gone([connection_id])
            raise

    def opening(self, connection_id: str) -> Opening:
        """Within this block, a 410 from `connection_id` may be its handshake not finished
        yet: `send()` and `broadcast()` retry it (`runtime.broadcast.OPENING_RETRY_DELAYS`)
        before it stands.

        The entry point opens it around `@app.on_ws_connected`, which runs in an
        asynchronous invocation started as `$connect` returns.
        """
        from .broadcast import Opening  # only apps with on_ws_connected open one

        return Opening(self._opening, connection_id)

    def broadcast(
        self,
        connection_ids: Iterable[str],
        message: str | bytes,
        *,
        max_workers: int = DEFAULT_BROADCAST_WORKERS,
    ) -> BroadcastResult:
        """Send one message to many connections, up to `max_workers` at a time.

        API Gateway has no batch post, so this runs `send()` concurrently on one shared
        client and a thread pool kept for the process (at most `MAX_POOL_CONNECTIONS`
        threads, started as needed); each call keeps at most `max_workers` of its posts in
        flight. It never raises for a gone connection: the result names the delivered, gone
        and failed ids. Safe to call from several threads at once.

        Raises:
            MessageTypeError: neither str nor bytes (a dict: `json.dumps()` it first).
            MessageTooLargeError: over 128 KB, before any network call.
            InvalidMessageError: text with a lone surrogate, which UTF-8 cannot encode.
        """
        _check_size(message)
        from .broadcast import BroadcastResult, post_all  # only apps that broadcast load it

        ids = list(dict.fromkeys(connection_ids))
        if not ids:
            return BroadcastResult()
        calls = self._calls()  # resolve endpoint and credentials once, in the caller's context
        workers = max(1, min(max_workers, MAX_POOL_CONNECTIONS, len(ids)))
        result = post_all(calls, self._executor(), ids, message, workers, self._opening)
        if result.gone:
            self._gone(result.gone)
        return result

    def fan_out(
        self,
        connection_ids: Iterable[str],
        message: str | bytes,
        *,
        group: str | None = None,
    ) -> BroadcastResult:
        """Send one message to an audience of any size: `broadcast()` up to the threshold,
        shards through the app's fan-out queue above it (`App(..., fan_out=True)`).

        Above `threshold` ids it returns once SQS holds the shards, with `enqueued` counting
        the ids handed over (`delivered`, `gone` empty; ids of shards SQS refused are in
        `failed`). The fan-out function sends them, retries throttling and 5xx, and forgets
        the gone ids; `group` names the group they came from, whose memberships of gone ids
        it deletes too.

        Raises:
            MessageTypeError: neither str nor bytes (a dict: `json.dumps()` it first).
            MessageTooLargeError: over 128 KB, before anything is sent or queued.
            InvalidMessageError: text with a lone surrogate, which UTF-8 cannot encode.
            FanOutNotEnabledError: the app was created without `fan_out=True`.
        """
        _check_size(message)
        from .broadcast import fan_out  # with the posts: a fan-out broadcasts or queues

        return fan_out(self, connection_ids, message, group)

    @property
    def threshold(self) -> int:
        """The audience size above which `fan_out()` uses shards (see `fan_out_threshold`)."""
        if self.fan_out_threshold is not None:
            return self.fan_out_threshold
        from .broadcast import threshold_from_env

        return threshold_from_env(DEFAULT_FAN_OUT_THRESHOLD)

    def _gone(self, connection_ids: list[str]) -> None:
        """Tell `on_gone`; its failure is logged, not raised: the send's outcome stands."""
        if self.on_gone is None:
            return
        try:
            self.on_gone(connection_ids)
        except Exception as exc:
            import logging

            logging.getLogger("runtime").warning(
                "could not forget gone connections %s: %s: %s",
                ", ".join(connection_ids),
                type(exc).__name__,
                exc,
            )

    def _executor(self) -> Any:
        """The process's broadcast pool, made once; its threads start only when needed."""
        with self._lock:
            if self._pool is None:
                from concurrent.futures import ThreadPoolExecutor

                self._pool = ThreadPoolExecutor(
                    MAX_POOL_CONNECTIONS, thread_name_prefix="wsgen-broadcast"
                )
            return self._pool

    def close(self, connection_id: str) -> None:
        """Disconnect a client. API Gateway then runs `$disconnect` for it."""
        self._calls().delete(connection_id)

    def info(self, connection_id: str) -> dict[str, Any]:
        """The connection's `ConnectedAt`, `LastActiveAt` (UTC datetimes) and `Identity`.

        The shape boto3's `get_connection` returns, without its `ResponseMetadata`.
        """
        return self._calls().get(connection_id)

    def _calls(self) -> _Direct | Boto3Calls:
        """The client for this call: runtime.aws with Lambda's credentials, else boto3."""
        if self._override is None and self.session is None:
            found = (_aws or _load_aws()).credentials()
            if found is not None:
                endpoint = self.endpoint
                direct = self._direct
                if direct is None or not direct.serves(endpoint, found):
                    direct = self._direct = _Direct(endpoint, _signing_region(endpoint), found)
                return direct
        from .boto3_calls import Boto3Calls

        return Boto3Calls(self.client())

    def client(self) -> Any:
        """The boto3 `apigatewaymanagementapi` client for the current endpoint, made once."""
        if self._override is not None:
            return self._override
        endpoint = self.endpoint
        client = self._clients.get(endpoint)
        if client is None:
            with self._lock:
                client = self._clients.get(endpoint)
                if client is None:
                    client = self._new_client(endpoint)
                    self._clients[endpoint] = client
        return client

    def _new_client(self, endpoint: str) -> Any:
        from botocore.config import Config

        from .aws import region_of

        session = self._session()
        return session.client(
            "apigatewaymanagementapi",
            endpoint_url=endpoint,
            # boto3 needs a region even with an explicit endpoint, and signs with it: the
            # endpoint's own region first, or API Gateway refuses the signature.
            region_name=region_of(endpoint) or self._region() or "us-east-1",
            config=Config(max_pool_connections=MAX_POOL_CONNECTIONS),
        )

    def _session(self) -> Any:
        if self.session is not None:
            return self.session
        if self._default_session is None:
            import boto3.session

            self._default_session = boto3.session.Session()
        return self._default_session

    def _region(self) -> str | None:
        from .aws import environment_region

        return environment_region() or self._session().region_name


def _check_size(message: str | bytes) -> None:
    """Refuse what API Gateway cannot carry, before any call: neither str nor bytes, over
    128 KB, or text UTF-8 cannot encode (send, broadcast, groups.send and fan-out all come
    here first)."""
    if isinstance(message, str):
        try:
            size = len(message.encode())
        except UnicodeEncodeError as exc:
            from .exceptions import InvalidMessageError

            raise InvalidMessageError(exc.object[exc.start], exc.start) from exc
    elif isinstance(message, (bytes, bytearray)):
        size = len(message)
    else:
        from .exceptions import MessageTypeError

        raise MessageTypeError(message)
    if size > MAX_MESSAGE_BYTES:
        from .exceptions import MessageTooLargeError

        raise MessageTooLargeError(size, MAX_MESSAGE_BYTES)


def _signing_region(endpoint: str) -> str:
    """The region to sign for: the endpoint's own (or API Gateway refuses), else Lambda's."""
    from .aws import environment_region, region_of

    return region_of(endpoint) or environment_region() or "us-east-1"


class _Direct:
    """`@connections` through runtime.aws, for one endpoint and set of credentials.

    Requests are boto3's byte for byte: `{endpoint}/@connections/{id}` with the id
    percent-encoded, SigV4 for `execute-api`, no Content-Type, the body as it is.
    https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-how-to-call-websocket-api-connections.html
    """

    __slots__ = ("credentials", "endpoint", "region")

    def __init__(self, endpoint: str, region: str, signing: Credentials) -> None:
        self.endpoint = endpoint
        self.region = region
        self.credentials = signing

    def serves(self, endpoint: str, signing: Credentials) -> bool:
        """Whether this client calls `endpoint` with credentials equal to `signing`."""
        mine = self.credentials
        return endpoint == self.endpoint and (
            signing is mine
            or (signing.access_key, signing.secret_key, signing.token)
            == (mine.access_key, mine.secret_key, mine.token)
        )

    def post(self, connection_id: str, message: str | bytes) -> None:
        data = message.encode() if isinstance(message, str) else message
        self._call("POST", "post_to_connection", connection_id, data)

    def delete(self, connection_id: str) -> None:
        self._call("DELETE", "delete_connection", connection_id)

    def get(self, connection_id: str) -> dict[str, Any]:
        raw = self._call("GET", "get_connection", connection_id).json()
        info: dict[str, Any] = {}
        for key, name in (("connectedAt", "ConnectedAt"), ("lastActiveAt", "LastActiveAt")):
            if raw.get(key) is not None:
                info[name] = _timestamp(raw[key])
        identity = raw.get("identity")
        if isinstance(identity, dict):
            info["Identity"] = {
                name: identity[key]
                for key, name in (("sourceIp", "SourceIp"), ("userAgent", "UserAgent"))
                if key in identity
            }
        return info

    def _call(
        self, method: str, operation: str, connection_id: str, body: bytes = b""
    ) -> AwsResponse:
        aws = _aws or _load_aws()
        url = f"{self.endpoint}/@connections/{aws.quote(connection_id)}"
        response: AwsResponse = aws.request(
            method,
            url,
            service="execute-api",
            credentials=self.credentials,
            body=body,
            region=self.region,
        )
        if response.ok:
            return response
        from .exceptions import management_error

        raise management_error(
            operation,
            connection_id,
            response.status,
            response.error_code,
            response.error_message,
            response.request_id,
        )


_aws: Any = None
"""`runtime.aws`, once the first call imported it (sockets and hashing would cost every
cold start at import); each later call finds it here rather than importing again."""


def _load_aws() -> Any:
    global _aws
    from . import aws

    _aws = aws
    return aws


def _timestamp(value: Any) -> Any:
    """An ISO 8601 time from the API as an aware UTC datetime, as boto3 gives it."""
    from datetime import UTC, datetime

    if isinstance(value, int | float):
        return datetime.fromtimestamp(value, UTC)
    parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
