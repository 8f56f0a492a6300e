"""The Realtime protocol's routes, for the app to mount.

`GET /v1/realtime` (websocket) runs one session per connection: a sans-I/O Session,
a back-end made for it by the factory, and the driver between them and the socket.
`POST /v1/realtime/calls` runs the same over WebRTC (`calls`), and
`POST /v1/realtime/client_secrets` (and the beta `/v1/realtime/sessions` and
`/v1/realtime/transcription_sessions`) issue `ek_` keys whose connections start from the
session they were issued with (`secrets`, `transcription_secrets`).
"""

from __future__ import annotations

import logging

from starlette.routing import BaseRoute, WebSocketRoute
from starlette.websockets import WebSocket

from ...server.auth import AuthError, authorize_ws, refuse_ws
from ...server.config import ServerConfig
from ...server.drain import CLOSE_GOING_AWAY, DRAIN_REASON
from ...server.errors import ApiError
from ...server.http import accept
from ...transports.websocket import WebSocketTransport
from .calls import call_routes
from .dialect import for_dialect, websocket_dialect
from .driver import SessionDriver
from .secrets import client_secret_routes
from .sessions import capabilities_of, chosen_model, new_session
from .transcription_secrets import transcription_session_routes

log = logging.getLogger("realtime_sdk.server")


def realtime_routes(config: ServerConfig) -> list[BaseRoute]:
    """Websocket sessions, WebRTC calls with their sideband sockets, and client secrets."""

    async def realtime(websocket: WebSocket) -> None:
        dialect = websocket_dialect(websocket)
        try:
            grant = await authorize_ws(websocket)
        except AuthError as exc:
            await refuse_ws(websocket, exc, dialect)
            return
        if (refusal := config.drain.refusal()) is not None:
            await refuse_ws(websocket, refusal, dialect)
            return
        model = chosen_model(config, grant, websocket.query_params.get("model"))
        intent = websocket.query_params.get("intent")
        try:  # before the handshake: a session the back-end refuses is the HTTP 400 naming why
            backend, session = new_session(config, model, grant.session, intent=intent)
        except ApiError as exc:
            await refuse_ws(websocket, exc, dialect)
            return
        await accept(websocket)
        session_id = session.config["id"]
        log.info(
            "session %s opened: model=%s dialect=%s auth=%s client=%s",
            session_id,
            model,
            dialect,
            grant.kind,
            websocket.client.host if websocket.client else "?",
        )
        transport = WebSocketTransport(websocket, config.max_frame_bytes)
        release = config.drain.open(lambda: transport.close(CLOSE_GOING_AWAY, DRAIN_REASON))
        try:
            await SessionDriver(for_dialect(transport, dialect), session, backend).run()
        finally:
            release()
            await transport.close()
            log.info("session %s closed", session_id)

    # the calls routes come first: their sideband route takes `/v1/realtime?call_id=`
    routes: list[BaseRoute] = [*call_routes(config), WebSocketRoute("/v1/realtime", realtime)]
    capabilities = capabilities_of(config)
    routes += client_secret_routes(config.default_model, config.keys.clock, capabilities)
    routes += transcription_session_routes(config.keys.clock, capabilities)
    return routes
