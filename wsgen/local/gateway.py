"""The emulator's side of API Gateway: run the authorizer, `$connect`, messages and
`$disconnect` through the invoker, and log each event.

What API Gateway decides (events, verdicts, routes, frames) is `wsgen.gateway`'s; this
module only awaits the app and writes to the connection.
"""

from __future__ import annotations

import contextlib
import time
from typing import Any

from runtime import App
from runtime.contract import CONNECT, DISCONNECT, AppSpec

from ..gateway import authorizer
from ..gateway.events import (
    Api,
    Peer,
    UpgradeRequest,
    authorizer_event,
    connect_event,
    disconnect_event,
    message_event,
    new_id,
)
from ..gateway.outcomes import (
    FORBIDDEN_MESSAGE,
    INTERNAL_ERROR_MESSAGE,
    Frame,
    Verdict,
    connect_verdict,
    error_frame,
    message_body,
    reply_frame,
)
from ..gateway.routing import Router
from .connection import Connection, GoneError, Message
from .invoker import Invoker, Outcome
from .log import EventLog

API_ID = "wsgenlocal"
"""The emulated API's id: ten lowercase characters, like a real one."""


class Gateway:
    """The app as API Gateway sees it: its routes, its authorizer, its entry point."""

    def __init__(self, app: App, spec: AppSpec, invoker: Invoker, log: EventLog, api: Api):
        self.invoker = invoker
        self.log = log
        self.api = api
        self.app = app
        self.router = Router(spec)

    @property
    def spec(self) -> AppSpec:
        return self.router.spec

    def swap(self, app: App, spec: AppSpec) -> None:
        """Serve a reloaded app from the next event on."""
        self.app, self.router = app, Router(spec)

    async def _invoke(self, event: dict[str, Any]) -> Outcome:
        return await self.invoker.invoke(self.app, self.app.app_name, event)

    # $connect

    async def open(self, peer: Peer, request: UpgradeRequest) -> Verdict:
        """Run the authorizer (if any) and `$connect`; the handshake's verdict."""
        start = time.perf_counter()
        if self.spec.authorizer is not None:
            verdict = await self._authorize(peer, request)
            if not verdict.accepted:
                self.log.event(CONNECT, peer.connection_id, f"{verdict.status} refused", start)
                return verdict
            peer.authorizer = verdict.authorizer
        if self.spec.route(CONNECT) is None:
            self.log.event(CONNECT, peer.connection_id, "200 accepted (no $connect)", start)
            return Verdict(200, "accepted (no $connect route)")
        outcome = await self._invoke(connect_event(self.api, peer, request))
        verdict = connect_verdict(outcome.result, outcome.error)
        if outcome.error is not None:
            what = f"{verdict.status} rejected: {type(outcome.error).__name__}: {outcome.error}"
        else:
            what = f"{verdict.status} {'accepted' if verdict.accepted else 'rejected'}"
        self.log.event(CONNECT, peer.connection_id, what, start)
        return verdict

    async def _authorize(self, peer: Peer, request: UpgradeRequest) -> Verdict:
        spec = self.spec.authorizer
        assert spec is not None
        event = authorizer_event(self.api, peer, request)
        missing = authorizer.missing_identity_source(
            spec.identity_sources, request, self.api.stage_variables, event["requestContext"]
        )
        if missing is not None:
            return authorizer.missing_source_verdict(missing)  # the authorizer does not run
        start = time.perf_counter()
        outcome = await self._invoke(event)
        if outcome.error is not None:
            return authorizer.error_verdict(outcome.error)
        latency = round((time.perf_counter() - start) * 1000)
        return authorizer.verdict(outcome.result, self.api.connect_arn, latency)

    # Messages

    async def message(self, conn: Connection, message: Message) -> None:
        start = time.perf_counter()
        router = self.router
        route_key = router.route_key(message.data, binary=not message.text)
        if route_key is None:
            _send(conn, error_frame(FORBIDDEN_MESSAGE, conn.id, new_id()))
            self.log.event("(no route)", conn.id, "Forbidden frame", start)
            return
        body, is_base64 = message_body(message.data, binary=not message.text)
        event = message_event(
            self.api, conn.client, route_key, body, is_base64, message.received_ms
        )
        outcome = await self._invoke(event)
        if outcome.error is not None:
            request_id = event["requestContext"]["requestId"]
            _send(conn, error_frame(INTERNAL_ERROR_MESSAGE, conn.id, request_id))
            error = f"{type(outcome.error).__name__}: {outcome.error}"
            self.log.event(route_key, conn.id, f"error ({error})", start)
            return
        frame = reply_frame(outcome.result) if router.replies(route_key) else None
        replied = ""
        if frame is not None:
            _send(conn, frame)
            replied = f", replied {len(frame)} {'chars' if isinstance(frame, str) else 'bytes'}"
        self.log.event(route_key, conn.id, f"ok{replied}", start)

    # $disconnect

    async def close(self, peer: Peer, code: int, reason: str) -> None:
        start = time.perf_counter()
        if self.spec.route(DISCONNECT) is None:
            self.log.event(DISCONNECT, peer.connection_id, f"{code} (no $disconnect)", start)
            return
        outcome = await self._invoke(disconnect_event(self.api, peer, code, reason))
        what = f"{code} {reason!r}".rstrip()
        if outcome.error is not None:
            what += f", error ({type(outcome.error).__name__}: {outcome.error})"
        self.log.event(DISCONNECT, peer.connection_id, what, start)


def _send(conn: Connection, frame: Frame) -> None:
    text = isinstance(frame, str)
    data = frame.encode() if isinstance(frame, str) else frame
    with contextlib.suppress(GoneError):  # the client left meanwhile: the frame is dropped
        conn.send(data, text=text)
