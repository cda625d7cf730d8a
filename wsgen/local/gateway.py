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

from ..gateway import authorizer, events, outcomes
from ..gateway.events import Api, Peer, UpgradeRequest
from ..gateway.outcomes import Verdict
from ..gateway.routing import Router
from .connection import BufferFullError, Connection, GoneError, Message
from .invoker import Invoker, Outcome
from .log import EventLog

API_ID = "wsgenlocal"
"""The emulated API's id: ten lowercase characters, like a real one."""


class Gateway:
    """The app as API Gateway sees it: its routes, its authorizer, its entry point."""

    def __init__(
        self,
        app: App,
        spec: AppSpec,
        invoker: Invoker,
        log: EventLog,
        api: Api,
        accept_binary_frames: bool = False,
    ):
        self.invoker = invoker
        self.log = log
        self.api = api
        self.app = app
        self.router = Router(spec)
        self.accept_binary_frames = accept_binary_frames
        """Deliver binary frames base64-encoded instead of closing with 1003 as AWS does."""

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
            if verdict.accepted:
                principal = (verdict.authorizer or {}).get("principalId")
                what = f"allowed principal {principal!r}"
            else:
                what = f"{verdict.status} refused: {verdict.reason}"
            self.log.event("(authorizer)", peer.connection_id, what, start)
            if not verdict.accepted:
                return verdict
            peer.authorizer = verdict.authorizer
            start = time.perf_counter()
        if self.spec.route(CONNECT) is None:
            self.log.event(CONNECT, peer.connection_id, "200 accepted (no $connect)", start)
            return Verdict(200, "accepted (no $connect route)")
        outcome = await self._invoke(events.connect_event(self.api, peer, request))
        verdict = outcomes.connect_verdict(outcome.result, outcome.error)
        if outcome.error is not None:
            what = f"{verdict.status} rejected: {type(outcome.error).__name__}: {outcome.error}"
        else:
            what = f"{verdict.status} {'accepted' if verdict.accepted else 'rejected'}"
        self.log.event(CONNECT, peer.connection_id, what, start)
        return verdict

    async def _authorize(self, peer: Peer, request: UpgradeRequest) -> Verdict:
        assert self.spec.authorizer is not None
        sources = self.spec.authorizer.identity_sources
        event, refusal = authorizer.prepare(self.api, peer, request, sources)
        if refusal is not None:
            return refusal
        start = time.perf_counter()
        outcome = await self._invoke(event)
        latency = round((time.perf_counter() - start) * 1000)
        return authorizer.conclude(outcome.result, outcome.error, self.api.connect_arn, latency)

    # Messages

    async def message(self, conn: Connection, message: Message) -> None:
        start = time.perf_counter()
        router, binary = self.router, not message.text
        if binary and not self.accept_binary_frames:
            conn.close(*outcomes.BINARY_REFUSED)
            what = (
                "binary frame: closed with 1003, as API Gateway does "
                "(run with --binary-frames accept to deliver it instead)"
            )
            self.log.event("(binary)", conn.id, what, start)
            return
        route_key = router.route_key(message.data, binary)
        if route_key is None:
            _send(conn, outcomes.error_frame(outcomes.FORBIDDEN_MESSAGE, conn.id, events.new_id()))
            self.log.event("(no route)", conn.id, "Forbidden frame", start)
            return
        body, is_base64 = outcomes.message_body(message.data, binary)
        event = events.message_event(
            self.api, conn.client, route_key, body, is_base64, message.received_ms
        )
        outcome = await self._invoke(event)
        request_id = event["requestContext"]["requestId"]
        frame = outcomes.answer_frame(
            outcome.result, outcome.error, router.replies(route_key), conn.id, request_id
        )
        if frame is not None:
            _send(conn, frame)
        if outcome.error is not None:
            what = f"error ({type(outcome.error).__name__}: {outcome.error})"
        else:
            what = "ok" if frame is None else f"ok, replied {len(frame)} {_unit(frame)}"
        self.log.event(route_key, conn.id, what, start)

    # $disconnect

    async def close(self, peer: Peer, code: int, reason: str, dropped: int = 0) -> None:
        """Run `$disconnect`; `dropped` counts messages left unhandled by a server close."""
        start = time.perf_counter()
        if dropped:
            what = f"{dropped} queued message(s) dropped: the connection was closed by the server"
            self.log.event("(dropped)", peer.connection_id, what, start)
        if self.spec.route(DISCONNECT) is None:
            self.log.event(DISCONNECT, peer.connection_id, f"{code} (no $disconnect)", start)
            return
        outcome = await self._invoke(events.disconnect_event(self.api, peer, code, reason))
        what = f"{code} {reason!r}".rstrip()
        if outcome.error is not None:
            what += f", error ({type(outcome.error).__name__}: {outcome.error})"
        self.log.event(DISCONNECT, peer.connection_id, what, start)


def _unit(frame: outcomes.Frame) -> str:
    return "chars" if isinstance(frame, str) else "bytes"


def _send(conn: Connection, frame: outcomes.Frame) -> None:
    text = isinstance(frame, str)
    data = frame.encode() if isinstance(frame, str) else frame
    # The client left meanwhile, or reads nothing: the frame is dropped.
    with contextlib.suppress(GoneError, BufferFullError):
        conn.send(data, text=text)
