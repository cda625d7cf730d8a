"""The order in which API Gateway runs an app for a WebSocket connection, sans I/O.

Each sequence is a generator: it yields the Lambda event to invoke, takes what that
invocation gave, an `Outcome`, through `send()`, and returns API Gateway's decision.
The front ends only invoke and act on the decision: `run` drives a sequence with a plain
function (the test client); the emulator drives every sequence from its invoker's
callbacks (`wsgen.local.driver.Sequence`).

- `Session.open`: IAM's signature check or the authorizer, when the API has one, then the
  API key, when `$connect` needs one (`access`), then `$connect` (when it has the route;
  none means accepted, docs/aws-facts.md#connect): the handshake's `Verdict`.
- `Session.message`: the binary-frame refusal, route selection, the Forbidden frame when
  nothing matches, else the MESSAGE event and the frame its outcome gives: an `Answer`.
- `Session.close`: `$disconnect`, when the API has the route: an `Answer`.

Sizes (1009) and activity (`lastActiveAt`) belong to the transport: a message reaches these
sequences once it was received whole, and counts as activity from then on.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Generator
from dataclasses import dataclass
from typing import TypeVar

from runtime.contract import CONNECT, DISCONNECT
from runtime.events import RawEvent
from runtime.responses import Dropped
from runtime.spec import AppSpec

from . import authorizer, events, outcomes
from .access import ConnectAccess
from .events import Api, Peer, UpgradeRequest
from .outcomes import Frame, Outcome, Step, Verdict
from .routing import Router
from .throttle import THROTTLED_MESSAGE, TOO_MANY_REQUESTS, Throttle

T = TypeVar("T")

__all__ = ["Answer", "Event", "Outcome", "Session", "Step", "Steps", "Verdict", "run"]

Event = RawEvent
"""A Lambda event, typed as the runtime reads it (a plain dict at run time)."""
Steps = Generator[Event, Outcome, T]
"""A sequence: yields events to invoke, is sent their outcomes, returns its decision."""

NO_CONNECT_ROUTE = "accepted (no $connect route)"
"""The verdict's reason when the API has no `$connect` route: API Gateway accepts."""


@dataclass
class Answer:
    """What API Gateway does once a message (or `$disconnect`) was handled.

    Attributes:
        route_key: the route whose integration ran, or None when none ran.
        frame: the frame to send to the client: a reply, or an error frame.
        close: close the connection with this code and reason (the binary-frame refusal).
        error: the exception the integration raised.
        refusal: the `ClientError` the handler refused with; the integration succeeded
            (a message's client got the error frame), so it is no failure.
        refusal_delivered: False when the client had left before the refusal's error frame.
        dropped: the handler of this one-way route returned a value, which API Gateway
            discarded (`outcomes.dropped_note` says so and the fix).
    """

    route_key: str | None = None
    frame: Frame | None = None
    close: tuple[int, str] | None = None
    error: BaseException | None = None
    refusal: BaseException | None = None
    refusal_delivered: bool = True
    dropped: Dropped | None = None
    throttled: bool = False
    """The route's throttling refused it: nothing was invoked, `frame` says so."""

    @property
    def failure(self) -> BaseException | None:
        """The exception that is a failure of the app's code (here, always `error`)."""
        return self.error


class Session:
    """API Gateway's side of every connection to one API: its routes and what it allows."""

    def __init__(
        self,
        api: Api,
        router: Router,
        accept_binary_frames: bool = False,
        throttle: Throttle | None = None,
        access: ConnectAccess | None = None,
    ) -> None:
        self.api = api
        self.access = access or ConnectAccess()
        """The credentials and API keys `$connect`'s IAM and key checks take."""
        self.router = router
        self.accept_binary_frames = accept_binary_frames
        """Deliver binary frames base64-encoded instead of closing with 1003 as AWS does."""
        self.throttle = throttle
        """The stage's throttling (`wsgen.gateway.throttle`); None throttles nothing."""

    @property
    def spec(self) -> AppSpec:
        return self.router.spec

    def use_spec(self, spec: AppSpec) -> None:
        """Serve `spec`'s routes from the next event on (a reloaded app)."""
        self.router = Router(spec)

    def open(
        self,
        peer: Peer,
        request: UpgradeRequest,
        on_authorized: Callable[[Verdict], None] | None = None,
    ) -> Steps[Verdict]:
        """The handshake: the authorizer, then `$connect`; sets `peer.authorizer` if allowed.

        `on_authorized` gets the authorizer's verdict as soon as there is one (the
        emulator logs it before `$connect` runs).
        """
        throttle = self.throttle
        if throttle is not None and not (throttle.allows_connection() and throttle.allows(CONNECT)):
            reason = "over the new-connection rate or $connect's throttling"
            return Verdict(TOO_MANY_REQUESTS, reason, THROTTLED_MESSAGE, step=Step.THROTTLED)
        if self.spec.iam_authorization:
            identity = self.access.iam(self.api, request)
            if isinstance(identity, Verdict):
                return identity
            peer.identity.update(identity)
        if self.spec.authorizer is not None:
            verdict = yield from self._authorize(peer, request)
            if on_authorized is not None:
                on_authorized(verdict)
            if not verdict.accepted:
                return verdict
            peer.authorizer = verdict.authorizer
        if self.spec.api_key_required:
            key = self.access.api_key(request)
            if isinstance(key, Verdict):
                return key
            peer.identity.update(key)
        if self.spec.route(CONNECT) is None:
            return Verdict(200, NO_CONNECT_ROUTE, step=Step.NO_CONNECT_ROUTE)
        outcome = yield events.connect_event(self.api, peer, request)
        return outcomes.connect_verdict(outcome.result, outcome.error)

    def _authorize(self, peer: Peer, request: UpgradeRequest) -> Steps[Verdict]:
        assert self.spec.authorizer is not None
        sources = self.spec.authorizer.identity_sources
        event, refusal = authorizer.prepare(self.api, peer, request, sources)
        if refusal is not None:
            return refusal  # an identity source is missing: the authorizer does not run
        start = time.perf_counter()
        outcome = yield event
        latency = round((time.perf_counter() - start) * 1000)
        return authorizer.conclude(outcome.result, outcome.error, self.api.connect_arn, latency)

    def message(
        self, peer: Peer, data: bytes | str, binary: bool, received_ms: int
    ) -> Steps[Answer]:
        """One complete client message, received at `received_ms` (its `requestTimeEpoch`);
        a text message may come decoded already (`str`)."""
        if binary and not self.accept_binary_frames:
            return Answer(close=outcomes.BINARY_REFUSED)
        router = self.router  # the same routes throughout, even if the app is reloaded
        route_key = router.route_key(data, binary)
        if route_key is None:
            forbidden = outcomes.FORBIDDEN_MESSAGE
            return Answer(
                frame=outcomes.error_frame(forbidden, peer.connection_id, events.new_id())
            )
        if self.throttle is not None and not self.throttle.allows(route_key):
            refusal = outcomes.error_frame(THROTTLED_MESSAGE, peer.connection_id, events.new_id())
            return Answer(route_key, refusal, throttled=True)
        body, is_base64 = outcomes.message_body(data, binary)
        event = events.message_event(self.api, peer, route_key, body, is_base64, received_ms)
        outcome = yield event
        frame = outcomes.answer_frame(
            outcome.result,
            outcome.error,
            router.replies(route_key),
            peer.connection_id,
            event["requestContext"]["requestId"],
        )
        return Answer(
            route_key,
            frame,
            error=outcome.error,
            refusal=outcomes.refusal_of(outcome.result),
            refusal_delivered=outcomes.refusal_delivered(outcome.result),
            dropped=outcomes.dropped_of(outcome.result),
        )

    def close(self, peer: Peer, code: int, reason: str) -> Steps[Answer]:
        """The connection closed with `code` and `reason`: run `$disconnect`."""
        if self.spec.route(DISCONNECT) is None:
            return Answer()
        outcome = yield events.disconnect_event(self.api, peer, code, reason)
        return Answer(
            DISCONNECT,
            error=outcome.error,
            refusal=outcomes.refusal_of(outcome.result),
            dropped=outcomes.dropped_of(outcome.result),
        )


def run(steps: Steps[T], invoke: Callable[[Event], Outcome]) -> T:
    """Drive a sequence, invoking each event with `invoke`; its decision."""
    try:
        event = next(steps)
        while True:
            outcome = invoke(event)  # `invoke` reports an exception as an Outcome, never raises
            event = steps.send(outcome)
    except StopIteration as done:
        decision: T = done.value
        return decision
