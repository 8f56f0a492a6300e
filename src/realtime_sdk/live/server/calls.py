"""Live over WebRTC: `POST /v1/live/sessions` with `{session, transport: {type:
"webrtc", sdp}}`, the sideband socket `/v1/live/sessions/{id}/attach`, and hangup.

A sideband sees a copy of every event the session sends on its data channel, of the
peer's input audio (as `session.input_audio.append` server events) and of the output
the track plays (`session.output_audio.delta` with `start_ms`/`end_ms`), both 24 kHz
PCM16; it may send every event but `session.start` and audio.

Creation starts the session (no `session.start` on the data channel): the body's
session is read by the same strict model as `session.start`'s, and refused with a 400
naming the field. Each session is put in the shared call directory under its `sess_`
id, so a sideband socket or a hangup reaches it from any process of the service.
Attach and hangup take the application's API key only (an `ek_` key is a browser's).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route, WebSocketRoute
from starlette.websockets import WebSocket

from ..._generated._runtime import EventValidationError, new_event_id
from ..._generated.live import client_events as c
from ..._generated.live.parsing import parse_client_event
from ...backends.base import TurnTakingBackend
from ...server.auth import AuthError, authorize_http, authorize_ws, refuse_ws, unavailable
from ...server.config import ServerConfig
from ...server.errors import ApiError
from ...server.http import accept, read_body
from ...server.sideband import serve_link
from ...server.state.base import CLOSE_LAGGING, CLOSE_NORMAL, CallLink, LinkEnd, StateUnavailable
from ...transports.reclaim import collect_soon
from ...transports.webrtc.sdp import SdpError, check_sdp
from ...transports.websocket import WebSocketTransport
from ..protocol import LiveSession
from .driver import LiveDriver

if TYPE_CHECKING:  # the WebRTC stack (aiortc, PyAV) loads with the first call
    from ...transports.webrtc import Listener, WebRTCTransport

log = logging.getLogger("realtime_sdk.live")

SIDEBAND_REFUSED = frozenset({"session.start", "session.input_audio.append"})
# the `ek_` keys a Live route takes: GA Realtime ones (there is no Live client-secrets route)
LIVE_KEYS = frozenset({"ga"})


def _start_event(body: Any) -> c.SessionStartEvent:
    """The creation body's session as a `session.start` event; ApiError naming what is
    wrong (under `session.`, as the body has it)."""
    if not isinstance(body, dict):
        raise ApiError(400, "The body must be a JSON object.", code="invalid_request_error")
    unknown = sorted(set(body) - {"session", "transport"})
    if unknown:
        raise ApiError(
            400, f"Unknown parameter: '{unknown[0]}'.", code="unknown_parameter", param=unknown[0]
        )
    transport = body.get("transport")
    if not isinstance(transport, dict) or transport.get("type") != "webrtc":
        raise ApiError(
            400, "transport.type must be 'webrtc'.", code="invalid_value", param="transport.type"
        )
    if not isinstance(transport.get("sdp"), str):
        raise ApiError(
            400,
            "Missing required parameter: 'transport.sdp'.",
            code="missing_required_parameter",
            param="transport.sdp",
        )
    try:
        event = parse_client_event({"type": "session.start", "session": body.get("session")})
    except EventValidationError as exc:
        raise ApiError.from_validation(exc) from None
    assert isinstance(event, c.SessionStartEvent)
    return event


class _HeldSession:
    """A WebRTC Live session of this process, as the call directory reaches it."""

    def __init__(
        self, transport: WebRTCTransport, driver: LiveDriver, task: asyncio.Task[None]
    ) -> None:
        self.transport = transport
        self.driver = driver
        self.task = task

    def link(self) -> CallLink:
        return _Link(self.transport, self.driver)

    async def hangup(self) -> None:
        await self.driver.end()
        await asyncio.gather(self.task, return_exceptions=True)


class _Link:
    """A sideband's view: a copy of the session's events and of the peer's input audio;
    its events go in as the peer's."""

    def __init__(self, transport: WebRTCTransport, driver: LiveDriver) -> None:
        self.transport = transport
        self.driver = driver
        self.listener: Listener = transport.listen()
        self.copies = driver.tap()
        self._events: asyncio.Task[str | None] | None = None
        self._copies: asyncio.Task[str] | None = None
        self._end: LinkEnd | None = None

    async def next(self) -> str | None:
        """The next event or input audio copy, whichever comes first."""
        if self._events is None:
            self._events = asyncio.ensure_future(self.listener.next())
        if self._copies is None:
            self._copies = asyncio.ensure_future(self.copies.get())
        await asyncio.wait({self._events, self._copies}, return_when=asyncio.FIRST_COMPLETED)
        if self._events.done():
            text, self._events = self._events.result(), None
            if text is None and self._end is None:
                lagging = self.transport.connected
                self._end = LinkEnd(
                    CLOSE_LAGGING if lagging else CLOSE_NORMAL,
                    "sideband fell behind" if lagging else "session ended",
                )
            return text
        copy, self._copies = self._copies.result(), None
        return copy

    async def send(self, frame: str | bytes) -> None:
        """A sideband event into the session, as the peer's; a sideband sends neither
        `session.start` nor audio, so those get `error` on the sideband alone."""
        kind = _event_type(frame)
        if kind in SIDEBAND_REFUSED:
            error = {
                "type": "invalid_request_error",
                "code": "invalid_value",
                "param": "type",
                "message": f"A sideband does not send '{kind}'.",
            }
            event = {"type": "error", "event_id": new_event_id(), "error": error}
            if not self.copies.full():
                self.copies.put_nowait(json.dumps(event))
            return
        await self.transport.inject(frame)

    async def close(self) -> None:
        for task in (self._events, self._copies):
            if task is not None:
                task.cancel()
        self.driver.untap(self.copies)
        self.transport.unlisten(self.listener)

    @property
    def end(self) -> LinkEnd:
        return self._end or LinkEnd(CLOSE_NORMAL, "detached")


def _event_type(frame: str | bytes) -> str | None:
    try:
        event = json.loads(frame)
    except ValueError:
        return None
    kind = event.get("type") if isinstance(event, dict) else None
    return kind if isinstance(kind, str) else None


def webrtc_routes(
    config: ServerConfig, make_backend: Callable[[], TurnTakingBackend]
) -> list[BaseRoute]:
    """Creation over WebRTC, the sideband socket and hangup."""
    directory = config.state.calls

    async def create(request: Request) -> Response:
        grant = await authorize_http(request, kinds=LIVE_KEYS)
        if (refusal := config.drain.refusal()) is not None:
            raise refusal
        try:
            body = json.loads(await read_body(request))
        except ValueError:
            raise ApiError(400, "The body must be JSON.", code="invalid_json") from None
        event = _start_event(body)
        try:
            sdp = check_sdp(body["transport"]["sdp"])
        except SdpError as exc:
            raise ApiError(400, str(exc), code="invalid_offer", param="transport.sdp") from None
        session = LiveSession(now_s=int(time.time()), transport="webrtc")
        refused = session.begin(event)
        if refused is not None:
            code, message, param = refused
            raise ApiError(400, message, code=code, param=param)
        from ...transports.webrtc import WebRTCTransport

        host = request.client.host if request.client else None
        try:
            transport = await WebRTCTransport.answer(sdp, config.ice, peer_host=host)
        except SdpError as exc:
            raise ApiError(400, str(exc), code="invalid_offer", param="transport.sdp") from None
        driver = LiveDriver(transport, session, make_backend)
        task = asyncio.create_task(_run(driver, transport, session.id), name=session.id)
        release = config.drain.open(lambda: transport.close(reason="server shutting down"))
        task.add_done_callback(lambda _: release())
        try:
            await directory.add(session.id, _HeldSession(transport, driver, task))
        except StateUnavailable as exc:
            log.warning("live session %s not yet shared with other processes: %s", session.id, exc)
        log.info("live session %s opened over WebRTC: auth=%s", session.id, grant.kind)
        answer = {
            "session": {"id": session.id},
            "transport": {"type": "webrtc", "sdp": transport.local_sdp},
        }
        return JSONResponse(answer)

    async def _run(driver: LiveDriver, transport: WebRTCTransport, session_id: str) -> None:
        try:
            await driver.run()
        finally:
            await transport.close()
            with contextlib.suppress(StateUnavailable):
                await directory.remove(session_id)
            collect_soon()
            log.info("live session %s ended", session_id)

    async def attach(websocket: WebSocket) -> None:
        try:
            await authorize_ws(websocket, ephemeral=False)  # the application's, not a browser's
        except AuthError as exc:
            await refuse_ws(websocket, exc)
            return
        session_id = websocket.path_params["session_id"]
        try:
            link = await directory.attach(session_id)
        except StateUnavailable as exc:
            await refuse_ws(websocket, unavailable(exc))
            return
        if link is None:
            await refuse_ws(websocket, _not_found(session_id))
            return
        await accept(websocket)
        await serve_link(session_id, link, WebSocketTransport(websocket, config.max_frame_bytes))

    async def hangup(request: Request) -> Response:
        await authorize_http(request, ephemeral=False)
        session_id = request.path_params["session_id"]
        try:
            found = await directory.hangup(session_id)
        except StateUnavailable as exc:
            raise unavailable(exc) from None
        if not found:
            raise _not_found(session_id)
        return Response(status_code=200)

    return [
        Route("/v1/live/sessions", create, methods=["POST"]),
        WebSocketRoute("/v1/live/sessions/{session_id}/attach", attach),
        Route("/v1/live/sessions/{session_id}/hangup", hangup, methods=["POST"]),
    ]


def _not_found(session_id: str) -> ApiError:
    return ApiError(
        404,
        f"Live session '{session_id}' not found (only WebRTC sessions can be"
        " attached to or hung up).",
        code="not_found",
        param="session_id",
    )
