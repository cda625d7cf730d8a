"""Talking back to clients: API Gateway's management API (`@connections`) through boto3.

boto3 is imported the first time a call needs it, never at import time: every Lambda Python
runtime ships it, and importing it costs cold-start time a handler may never need.
"""

from __future__ import annotations

import os
from _thread import allocate_lock  # threading.Lock itself; `threading` costs cold-start time

from .contract import ENDPOINT_ENV, MAX_MESSAGE_BYTES
from .exceptions import EndpointNotConfiguredError, MessageTooLargeError, WebsocketDisconnectedError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Iterable
    from typing import Any

    from .events import RawRequestContext

DEFAULT_BROADCAST_WORKERS = 32
MAX_POOL_CONNECTIONS = 64
"""HTTP connections the management client keeps; broadcast's concurrency is capped by it."""


class BroadcastResult:
    """What `broadcast()` did: ids delivered, ids gone (410), and ids that failed otherwise."""

    __slots__ = ("delivered", "failed", "gone")

    def __init__(self) -> None:
        self.delivered: list[str] = []
        self.gone: list[str] = []
        self.failed: dict[str, Exception] = {}

    def __repr__(self) -> str:
        return (
            f"BroadcastResult(delivered={len(self.delivered)}, gone={self.gone!r}, "
            f"failed={list(self.failed)!r})"
        )


def endpoint_for(api_id: str, region: str, stage: str) -> str:
    """The execute-api management endpoint of a stage, in the region's partition."""
    suffix = "amazonaws.com.cn" if region.startswith("cn-") else "amazonaws.com"
    return f"https://{api_id}.execute-api.{region}.{suffix}/{stage}"


class WebsocketAPI:
    """Sends to, closes and describes connections of the app's WebSocket API.

    Available as `app.websocket_api`. Assign `session` (a boto3 Session) to choose the
    credentials; otherwise a default session is made on first use.
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
        self._lock = allocate_lock()
        self.on_gone: Callable[[list[str]], None] | None = None
        """Called with the ids a send found gone (410); tracked apps forget them there."""

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
        from_env = os.environ.get(ENDPOINT_ENV)
        if from_env:
            return from_env.rstrip("/")
        request_context = self.last_request_context
        if request_context is not None:
            region = self._region()
            if region:
                return endpoint_for(request_context["apiId"], region, request_context["stage"])
        raise EndpointNotConfiguredError()

    def send(self, connection_id: str, message: str | bytes) -> None:
        """Send one message (text for str, binary for bytes) to a connected client.

        Raises:
            MessageTooLargeError: over 128 KB, before any network call.
            WebsocketDisconnectedError: the client is gone.
        """
        _check_size(message)
        client = self.client()
        try:
            # A str goes as it is (boto3 sends it UTF-8 encoded), so a client that can tell
            # text from binary, like wsgen.testing's, sees what the app meant.
            client.post_to_connection(ConnectionId=connection_id, Data=message)
        except client.exceptions.GoneException as exc:
            self._gone([connection_id])
            raise WebsocketDisconnectedError(connection_id) from exc

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
            MessageTooLargeError: over 128 KB, before any network call.
        """
        _check_size(message)
        ids = list(dict.fromkeys(connection_ids))
        result = BroadcastResult()
        if not ids:
            return result
        from threading import BoundedSemaphore

        client = self.client()  # resolve the endpoint once, in the caller's context
        pool = self._executor()
        in_flight = BoundedSemaphore(max(1, min(max_workers, MAX_POOL_CONNECTIONS)))

        def post(connection_id: str) -> Exception | None:
            try:
                return self._post(client, connection_id, message)
            finally:
                in_flight.release()

        futures = []
        for connection_id in ids:
            in_flight.acquire()
            futures.append(pool.submit(post, connection_id))
        outcomes = [future.result() for future in futures]
        for connection_id, outcome in zip(ids, outcomes, strict=True):
            if outcome is None:
                result.delivered.append(connection_id)
            elif isinstance(outcome, WebsocketDisconnectedError):
                result.gone.append(connection_id)
            else:
                result.failed[connection_id] = outcome
        if result.gone:
            self._gone(result.gone)
        return result

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

    @staticmethod
    def _post(client: Any, connection_id: str, data: str | bytes) -> Exception | None:
        try:
            client.post_to_connection(ConnectionId=connection_id, Data=data)
        except client.exceptions.GoneException:
            return WebsocketDisconnectedError(connection_id)
        except Exception as exc:
            return exc
        return None

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
        client = self.client()
        try:
            client.delete_connection(ConnectionId=connection_id)
        except client.exceptions.GoneException as exc:
            raise WebsocketDisconnectedError(connection_id) from exc

    def info(self, connection_id: str) -> dict[str, Any]:
        """The connection's `ConnectedAt`, `LastActiveAt` and `Identity`, as boto3 returns them."""
        client = self.client()
        try:
            response = client.get_connection(ConnectionId=connection_id)
        except client.exceptions.GoneException as exc:
            raise WebsocketDisconnectedError(connection_id) from exc
        response.pop("ResponseMetadata", None)
        return response  # type: ignore[no-any-return]

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

        session = self._session()
        return session.client(
            "apigatewaymanagementapi",
            endpoint_url=endpoint,
            # boto3 needs a region even with an explicit endpoint, and signs with it: the
            # endpoint's own region first, or API Gateway refuses the signature.
            region_name=_region_in(endpoint) or self._region() or "us-east-1",
            config=Config(max_pool_connections=MAX_POOL_CONNECTIONS),
        )

    def _session(self) -> Any:
        if self.session is None:
            import boto3.session

            self.session = boto3.session.Session()
        return self.session

    def _region(self) -> str | None:
        region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
        return region or self._session().region_name


def _check_size(message: str | bytes) -> None:
    size = len(message.encode()) if isinstance(message, str) else len(message)
    if size > MAX_MESSAGE_BYTES:
        raise MessageTooLargeError(size, MAX_MESSAGE_BYTES)


def _region_in(endpoint: str) -> str | None:
    """The region named in an execute-api host name, if the endpoint is one."""
    host = endpoint.split("://", 1)[-1].split("/", 1)[0]
    parts = host.split(".")
    return parts[2] if len(parts) > 3 and parts[1] == "execute-api" else None
