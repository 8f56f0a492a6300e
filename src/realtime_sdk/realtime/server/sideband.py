"""Sideband sockets: a websocket with `?call_id=` attached to a live WebRTC call.

It sees every event the call's data channel sees and may send client events into the
call, wherever the call runs (the shared state's call directory links to it). Only the
application's API key may attach one (an `ek_` key is a browser's), and a socket that
falls behind the call is closed rather than let slow the call down.
"""

from __future__ import annotations

import logging
from urllib.parse import parse_qs

from starlette.routing import Match, WebSocketRoute
from starlette.types import Scope
from starlette.websockets import WebSocket

from ...server.auth import AuthError, authorize_ws, refuse_ws, unavailable
from ...server.errors import ApiError
from ...server.http import accept
from ...server.sideband import serve_link
from ...server.state.base import CallDirectory, StateUnavailable
from ...transports.websocket import WebSocketTransport
from .dialect import websocket_dialect

log = logging.getLogger("realtime_sdk.server")


def sideband_route(calls: CallDirectory, max_frame_bytes: int) -> WebSocketRoute:
    """`/v1/realtime` websockets with a `call_id`; put it before the app's own
    `/v1/realtime` route, which then sees every other connection."""

    async def sideband(websocket: WebSocket) -> None:
        dialect = websocket_dialect(websocket)
        try:
            await authorize_ws(websocket, ephemeral=False)  # the application's, not a browser's
        except AuthError as exc:
            await refuse_ws(websocket, exc, dialect)
            return
        call_id = websocket.query_params["call_id"]
        try:
            link = await calls.attach(call_id)  # the call may run in another process
        except StateUnavailable as exc:
            await refuse_ws(websocket, unavailable(exc), dialect)
            return
        if link is None:
            error = ApiError(404, f"Call '{call_id}' not found.", code="not_found", param="call_id")
            await refuse_ws(websocket, error, dialect)
            return
        await accept(websocket)
        await serve_link(call_id, link, WebSocketTransport(websocket, max_frame_bytes))

    return _SidebandRoute("/v1/realtime", sideband)


class _SidebandRoute(WebSocketRoute):
    """`/v1/realtime` websockets with a `call_id`; the others fall through to the app's."""

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
        if scope["type"] != "websocket" or not query.get("call_id"):
            return Match.NONE, {}
        return super().matches(scope)
