"""WebRTC calls over HTTP: `POST /v1/realtime/calls`, hangup, and sideband sockets.

A call is a WebRTC transport, a Session (transport "webrtc") and the driver between
them, kept in a `CallRegistry` by its `rtc_` id so that it can be hung up and so
that a websocket with `?call_id=` can attach to it as a sideband: it sees every
event the call's data channel sees and may send client events into the call.

The offer comes as a raw `application/sdp` body (also to `POST /v1/realtime?model=`,
as beta clients post it), or as `multipart/form-data` with
parts `sdp` and `session` (the session config the call starts from, checked by the
strict generated model, so an unknown field is a 400 naming it, as the service does).
The answer is a 201 with `Content-Type: application/sdp` and `Location` naming the call.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import AsyncGenerator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

from pydantic import BaseModel, ConfigDict, ValidationError
from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartException, MultiPartParser
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Match, Route, WebSocketRoute
from starlette.types import Scope
from starlette.websockets import WebSocket

from .._generated._runtime import new_id, refusal
from .._generated.ga import client_events as c
from ..protocol.config import ConfigError
from ..protocol.session import Session
from ..protocol.turn_detection import VadConfigError
from ..transports.ice import IceConfig
from ..transports.reclaim import collect_soon
from ..transports.sdp import SdpError, check_sdp
from ..transports.websocket import WebSocketChannel
from .auth import AuthError, authorize_http, authorize_ws, refuse_ws
from .dialect import for_dialect, websocket_dialect
from .driver import SessionDriver
from .errors import ApiError

if TYPE_CHECKING:  # the WebRTC stack (aiortc, PyAV) loads with the first call
    from ..transports.webrtc import Limits, WebRTCTransport
    from .app import ServerConfig

log = logging.getLogger("realtime_sdk.server")

MAX_BODY_BYTES = 1024 * 1024  # an offer is a few kB; the session part may carry long instructions
CALL_PREFIX = "rtc_"
CLOSE_LAGGING = 1011


@dataclass
class Call:
    id: str
    transport: WebRTCTransport
    session: Session
    task: asyncio.Task[None] | None = field(default=None, repr=False)


class CallRegistry:
    """The live calls of one app, by id. `ice` and `limits` apply to every new call."""

    def __init__(
        self, ice: IceConfig | None = None, limits: Limits | None = None, max_calls: int = 1000
    ) -> None:
        self.ice = ice or IceConfig()
        self.limits = limits  # None: the transport's defaults
        self.max_calls = max_calls
        self._calls: dict[str, Call] = {}

    def __len__(self) -> int:
        return len(self._calls)

    def get(self, call_id: str) -> Call | None:
        return self._calls.get(call_id)

    def start(self, call: Call, driver: SessionDriver) -> None:
        """Run the call until either side ends it; it leaves the registry then."""
        self._calls[call.id] = call
        call.task = asyncio.create_task(self._run(call, driver), name=f"call-{call.id}")

    async def _run(self, call: Call, driver: SessionDriver) -> None:
        try:
            await driver.run()
        finally:
            await call.transport.close()
            self._calls.pop(call.id, None)
            collect_soon()  # what the call left in reference cycles (transports/reclaim.py)
            log.info("call %s ended (session %s)", call.id, call.session.config["id"])

    async def hangup(self, call_id: str) -> bool:
        """End the call and wait for its clean-up; False if there is no such call."""
        call = self._calls.get(call_id)
        if call is None:
            return False
        await call.transport.close(reason="hangup")
        if call.task is not None:
            await asyncio.gather(call.task, return_exceptions=True)
        return True

    async def close(self) -> None:
        """Hang up every call (at shutdown)."""
        await asyncio.gather(*(self.hangup(i) for i in list(self._calls)))


# -- the offer ------------------------------------------------------------------------


class _CallRequest(BaseModel):
    """The `session` part, strict, so that a refusal names `session.<field>`."""

    model_config = ConfigDict(extra="forbid")
    session: c.RealtimeSessionConfig


async def _body(request: Request) -> bytes:
    length = request.headers.get("content-length")
    if length is not None and length.isdigit() and int(length) > MAX_BODY_BYTES:
        raise ApiError(413, f"The request body is over {MAX_BODY_BYTES} bytes.")
    body = bytearray()
    async for chunk in request.stream():
        body.extend(chunk)
        if len(body) > MAX_BODY_BYTES:
            raise ApiError(413, f"The request body is over {MAX_BODY_BYTES} bytes.")
    return bytes(body)


async def _parts(request: Request, body: bytes) -> dict[str, str]:
    """The text of each multipart part (`sdp`, `session`), whether sent as file or field."""

    async def stream() -> AsyncGenerator[bytes, None]:
        yield body

    parser = MultiPartParser(request.headers, stream(), max_files=4, max_fields=16)
    try:
        form = await parser.parse()
    except MultiPartException as exc:
        raise ApiError(400, f"Unreadable multipart body: {exc.message}") from None
    parts: dict[str, str] = {}
    try:
        for name, value in form.multi_items():
            raw = await value.read() if isinstance(value, UploadFile) else value
            parts[name] = raw.decode() if isinstance(raw, bytes) else raw
    except UnicodeDecodeError:
        raise ApiError(400, "Multipart parts must be UTF-8 text.") from None
    finally:
        await form.close()
    return parts


def _session_update(text: str | None) -> dict[str, Any]:
    """The `session` part as a GA partial session (unset fields left out)."""
    if text is None or not text.strip():
        return {}
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise ApiError(400, f"The 'session' part is not JSON: {exc}.", param="session") from None
    try:
        parsed = _CallRequest.model_validate({"session": data}, strict=True)
    except ValidationError as exc:
        raise ApiError.from_validation(refusal(exc, {"session": data})) from None
    update: dict[str, Any] = parsed.session.model_dump(
        mode="json", exclude_unset=True, by_alias=True
    )
    return update


async def _offer(request: Request) -> tuple[str, dict[str, Any]]:
    """The SDP offer and the session update, from either body shape."""
    body = await _body(request)
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind == "multipart/form-data":
        parts = await _parts(request, body)
        if "sdp" not in parts:
            raise ApiError(
                400, "Missing required parameter: 'sdp'.", code="missing_required_parameter",
                param="sdp",
            )  # fmt: skip
        return parts["sdp"], _session_update(parts.get("session"))
    if kind not in ("application/sdp", "text/plain", ""):
        raise ApiError(
            415, f"Unsupported content type '{kind}': send application/sdp or multipart/form-data."
        )
    try:
        return body.decode(), {}
    except UnicodeDecodeError:
        raise ApiError(400, "The SDP offer is not UTF-8 text.", param="sdp") from None


def _merged(base: dict[str, Any], update: dict[str, Any]) -> dict[str, Any]:
    """`update` over `base` (an `ek_` key's session), merging `audio.input/output` the
    way `session.update` does; `turn_detection` is replaced whole."""
    out = dict(base)
    for key, value in update.items():
        if key in ("audio", "input", "output") and isinstance(out.get(key), dict):
            out[key] = _merged(out[key], value)
        else:
            out[key] = value
    return out


def _new_session(config: ServerConfig, model: str, update: dict[str, Any], backend: Any) -> Session:
    from .app import speech_model  # app imports this module

    partial = {k: v for k, v in update.items() if k not in ("type", "model")}
    try:
        return Session(
            model=model,
            now_s=int(time.time()),
            capabilities=backend.capabilities,
            config=partial or None,
            speech_model=speech_model(config, backend),
            transport="webrtc",
        )
    except ConfigError as exc:
        raise ApiError(400, exc.message, code=exc.code, param=exc.param) from None
    except VadConfigError as exc:
        param = f"session.audio.input.turn_detection.{exc.param}"
        raise ApiError(400, str(exc), code="invalid_value", param=param) from None


# -- routes ---------------------------------------------------------------------------


def call_routes(config: ServerConfig, registry: CallRegistry | None = None) -> list[BaseRoute]:
    """The calls routes, and the sideband websocket (`/v1/realtime?call_id=`); put them
    before the app's own `/v1/realtime` route, which then sees every other connection."""
    calls = registry if registry is not None else CallRegistry(ice=config.ice)

    async def create_call(request: Request) -> Response:
        grant = authorize_http(request)
        sdp, update = await _offer(request)
        try:
            sdp = check_sdp(sdp)  # refused before a back-end and a VAD model are made for it
        except SdpError as exc:
            raise ApiError(400, str(exc), code="invalid_offer", param="sdp") from None
        session_config = _merged(grant.session, update)
        model = (
            grant.model
            or update.get("model")
            or request.query_params.get("model")
            or config.default_model
        )
        if len(calls) >= calls.max_calls:
            raise ApiError(429, "Too many calls on this server.", code="rate_limit_exceeded")
        started = time.perf_counter()
        backend = config.backend_factory()
        session = _new_session(config, model, session_config, backend)
        host = request.client.host if request.client else None
        try:
            from ..transports.webrtc import WebRTCTransport

            transport = await WebRTCTransport.answer(
                sdp, calls.ice, peer_host=host, limits=calls.limits
            )
        except SdpError as exc:
            raise ApiError(400, str(exc), code="invalid_offer", param="sdp") from None
        call = Call(new_id(CALL_PREFIX), transport, session)
        # an offer posted the beta way, or with a beta session's key, speaks beta
        legacy = request.url.path.rstrip("/").endswith("/v1/realtime")
        dialect = "beta" if legacy or grant.dialect == "beta" else "ga"
        calls.start(call, SessionDriver(for_dialect(transport, dialect), session, backend))
        log.info(
            "call %s opened: session=%s model=%s dialect=%s client=%s answer_ms=%.1f",
            call.id, session.config["id"], model, dialect, host,
            (time.perf_counter() - started) * 1000,
        )  # fmt: skip
        location = f"{request.scope.get('root_path', '')}/v1/realtime/calls/{call.id}"
        return Response(
            transport.local_sdp,
            status_code=201,
            media_type="application/sdp",
            headers={"Location": location},
        )

    async def hangup(request: Request) -> Response:
        authorize_http(request, ephemeral=False)  # the application's, not a browser's
        call_id = request.path_params["call_id"]
        if not await calls.hangup(call_id):
            raise ApiError(404, f"Call '{call_id}' not found.", code="not_found", param="call_id")
        return Response(status_code=200)

    async def sideband(websocket: WebSocket) -> None:
        dialect = websocket_dialect(websocket)
        try:
            authorize_ws(websocket, ephemeral=False)  # the application's, not a browser's
        except AuthError as exc:
            await refuse_ws(websocket, exc, dialect)
            return
        call_id = websocket.query_params["call_id"]
        call = calls.get(call_id)
        if call is None:
            error = ApiError(404, f"Call '{call_id}' not found.", code="not_found", param="call_id")
            await refuse_ws(websocket, error, dialect)
            return
        offered = websocket.scope.get("subprotocols", [])
        await websocket.accept(subprotocol="realtime" if offered else None)
        await serve_sideband(call, WebSocketChannel(websocket, config.max_frame_bytes))

    return [
        Route("/v1/realtime/calls", create_call, methods=["POST"]),
        Route("/v1/realtime", create_call, methods=["POST"]),  # the beta way to post an offer
        Route("/v1/realtime/calls/{call_id}/hangup", hangup, methods=["POST"]),
        _SidebandRoute("/v1/realtime", sideband),
    ]


class _SidebandRoute(WebSocketRoute):
    """`/v1/realtime` websockets with a `call_id`; the others fall through to the app's."""

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
        if scope["type"] != "websocket" or not query.get("call_id"):
            return Match.NONE, {}
        return super().matches(scope)


async def serve_sideband(call: Call, channel: WebSocketChannel) -> None:
    """Copy the call's events to the socket and the socket's client events into the
    call, until either ends; the call goes on when the socket leaves."""
    listener = call.transport.listen()
    log.info("sideband attached to call %s", call.id)

    async def down() -> None:
        while (text := await listener.next()) is not None:
            await channel.send(text)
        reason = "sideband fell behind" if call.transport.connected else "call ended"
        await channel.close(CLOSE_LAGGING if call.transport.connected else 1000, reason)

    async def up() -> None:
        while (frame := await channel.recv()) is not None:
            if isinstance(frame, str | bytes):
                await call.transport.inject(frame)

    tasks = [asyncio.create_task(down()), asyncio.create_task(up())]
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in tasks:
            task.cancel()
        with contextlib.suppress(Exception):
            await asyncio.gather(*tasks, return_exceptions=True)
        call.transport.unlisten(listener)
        await channel.close()
        log.info("sideband left call %s", call.id)
