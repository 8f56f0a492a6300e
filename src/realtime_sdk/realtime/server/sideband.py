"""Sideband sockets: a websocket with `?call_id=` attached to a live WebRTC call.

It sees every event the call's data channel sees and may send client events into the
call. Only the application's API key may attach one (an `ek_` key is a browser's), and
a socket that falls behind the call is closed rather than let slow the call down.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from urllib.parse import parse_qs

from starlette.routing import Match, WebSocketRoute
from starlette.types import Scope
from starlette.websockets import WebSocket

from ...server.auth import AuthError, authorize_ws, refuse_ws
from ...server.errors import ApiError
from ...server.http import accept
from ...transports.websocket import WebSocketTransport
from .call_registry import Call, CallRegistry
from .dialect import websocket_dialect

log = logging.getLogger("realtime_sdk.server")

CLOSE_LAGGING = 1011


def sideband_route(calls: CallRegistry, max_frame_bytes: int) -> WebSocketRoute:
    """`/v1/realtime` websockets with a `call_id`; put it before the app's own
    `/v1/realtime` route, which then sees every other connection."""

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
        await accept(websocket)
        await serve_sideband(call, WebSocketTransport(websocket, max_frame_bytes))

    return _SidebandRoute("/v1/realtime", sideband)


class _SidebandRoute(WebSocketRoute):
    """`/v1/realtime` websockets with a `call_id`; the others fall through to the app's."""

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
        if scope["type"] != "websocket" or not query.get("call_id"):
            return Match.NONE, {}
        return super().matches(scope)


async def serve_sideband(call: Call, socket: WebSocketTransport) -> None:
    """Copy the call's events to the socket and the socket's client events into the
    call, until either ends; the call goes on when the socket leaves."""
    listener = call.transport.listen()
    log.info("sideband attached to call %s", call.id)

    async def down() -> None:
        while (text := await listener.next()) is not None:
            await socket.send(text)
        reason = "sideband fell behind" if call.transport.connected else "call ended"
        await socket.close(CLOSE_LAGGING if call.transport.connected else 1000, reason)

    async def up() -> None:
        while (frame := await socket.recv()) is not None:
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
        await socket.close()
        log.info("sideband left call %s", call.id)
