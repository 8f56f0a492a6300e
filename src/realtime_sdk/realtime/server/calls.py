"""WebRTC calls over HTTP: `POST /v1/realtime/calls`, hangup, and sideband sockets.

A call is a WebRTC transport, a Session (transport "webrtc") and the driver between
them, kept in the app's `CallRegistry`. The offer (`offers`) is answered with a 201,
`Content-Type: application/sdp` and `Location` naming the call; a websocket with
`?call_id=` attaches to it as a sideband (`sideband`).
"""

from __future__ import annotations

import logging
import time

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from ..._generated._runtime import new_id
from ...server.auth import authorize_http, unavailable
from ...server.config import ServerConfig
from ...server.errors import ApiError
from ...server.state.base import StateUnavailable
from ...transports.webrtc.sdp import SdpError, check_sdp
from .call_registry import Call, CallRegistry
from .dialect import for_dialect
from .driver import SessionDriver
from .offers import read_offer
from .sessions import chosen_model, new_session
from .sideband import sideband_route

log = logging.getLogger("realtime_sdk.server")

CALL_PREFIX = "rtc_"


def call_routes(config: ServerConfig, registry: CallRegistry | None = None) -> list[BaseRoute]:
    """The calls routes, and the sideband websocket (`/v1/realtime?call_id=`); put them
    before the app's own `/v1/realtime` route, which then sees every other connection."""
    calls = registry or CallRegistry(ice=config.ice, directory=config.state.calls)

    async def create_call(request: Request) -> Response:
        grant = await authorize_http(request)
        if (refusal := config.drain.refusal()) is not None:
            raise refusal
        sdp, update = await read_offer(request)
        try:
            sdp = check_sdp(sdp)  # refused before a back-end and a VAD model are made for it
        except SdpError as exc:
            raise ApiError(400, str(exc), code="invalid_offer", param="sdp") from None
        model = chosen_model(config, grant, update.get("model"), request.query_params.get("model"))
        if len(calls) >= calls.max_calls:
            raise ApiError(429, "Too many calls on this server.", code="rate_limit_exceeded")
        started = time.perf_counter()
        backend, session = new_session(
            config, model, grant.session, offer=update, transport="webrtc"
        )
        host = request.client.host if request.client else None
        try:
            from ...transports.webrtc import WebRTCTransport

            transport = await WebRTCTransport.answer(
                sdp, calls.ice, peer_host=host, limits=calls.limits
            )
        except SdpError as exc:
            raise ApiError(400, str(exc), code="invalid_offer", param="sdp") from None
        call = Call(new_id(CALL_PREFIX), transport, session)
        # an offer posted the beta way, or with a beta session's key, speaks beta
        legacy = request.url.path.rstrip("/").endswith("/v1/realtime")
        dialect = "beta" if legacy or grant.dialect == "beta" else "ga"
        await calls.start(call, SessionDriver(for_dialect(transport, dialect), session, backend))
        release = config.drain.open(lambda: _hang_up(calls, call.id))
        if call.task is not None:
            call.task.add_done_callback(lambda _: release())
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
        await authorize_http(request, ephemeral=False)  # the application's, not a browser's
        call_id = request.path_params["call_id"]
        try:
            found = await calls.directory.hangup(call_id)  # wherever the call runs
        except StateUnavailable as exc:
            raise unavailable(exc) from None
        if not found:
            raise ApiError(404, f"Call '{call_id}' not found.", code="not_found", param="call_id")
        return Response(status_code=200)

    return [
        Route("/v1/realtime/calls", create_call, methods=["POST"]),
        Route("/v1/realtime", create_call, methods=["POST"]),  # the beta way to post an offer
        Route("/v1/realtime/calls/{call_id}/hangup", hangup, methods=["POST"]),
        sideband_route(calls.directory, config.max_frame_bytes),
    ]


async def _hang_up(calls: CallRegistry, call_id: str) -> None:
    """A call's end at the drain deadline."""
    await calls.hangup(call_id)
