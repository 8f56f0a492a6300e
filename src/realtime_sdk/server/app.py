"""The ASGI app: OpenAI's Realtime routes, mountable into any Starlette/FastAPI app.

`GET /v1/realtime` (websocket) runs one session per connection: a sans-I/O Session,
a back-end made for it by the factory, and the driver between them and the socket.
`POST /v1/realtime/calls` runs the same over WebRTC (`calls`), and
`POST /v1/realtime/client_secrets` (and the beta `/v1/realtime/sessions`) issue `ek_`
keys whose connections start from the session they were issued with (`secrets`).
"""

from __future__ import annotations

import logging

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.routing import BaseRoute, WebSocketRoute
from starlette.websockets import WebSocket

from .. import _compat
from ..transports.websocket import WebSocketChannel
from .auth import Authenticator, AuthError, authorize_ws, refuse_ws
from .calls import call_routes
from .config import ServerConfig
from .dialect import for_dialect, websocket_dialect
from .driver import SessionDriver
from .errors import ApiError, handle_api_error
from .http import accept
from .playground import playground_routes
from .secrets import client_secret_routes
from .sessions import chosen_model, new_session

__all__ = ["ServerConfig", "create_app"]  # ServerConfig lives in `config`; apps start here

log = logging.getLogger("realtime_sdk.server")


def create_app(config: ServerConfig) -> Starlette:
    _compat.apply()  # other libraries' internals, patched as this server needs (checked)
    if not config.api_keys:
        log.warning("no API key configured: the server accepts every client (local use only)")
    if "*" in config.cors_origins:
        log.warning(
            "CORS open: any web page may call this server from a browser (local use only;"
            " restrict with --cors-origin)"
        )

    async def realtime(websocket: WebSocket) -> None:
        dialect = websocket_dialect(websocket)
        try:
            grant = authorize_ws(websocket)
        except AuthError as exc:
            await refuse_ws(websocket, exc, dialect)
            return
        await accept(websocket)
        model = chosen_model(config, grant, websocket.query_params.get("model"))
        intent = websocket.query_params.get("intent")
        backend, session = new_session(config, model, grant.session, intent=intent)
        session_id = session.config["id"]
        log.info(
            "session %s opened: model=%s dialect=%s auth=%s client=%s",
            session_id,
            model,
            dialect,
            grant.kind,
            websocket.client.host if websocket.client else "?",
        )
        channel = WebSocketChannel(websocket, config.max_frame_bytes)
        try:
            await SessionDriver(for_dialect(channel, dialect), session, backend).run()
        finally:
            await channel.close()
            log.info("session %s closed", session_id)

    # the calls routes come first: their sideband route takes `/v1/realtime?call_id=`
    routes: list[BaseRoute] = [*call_routes(config), WebSocketRoute("/v1/realtime", realtime)]
    routes += client_secret_routes(config.default_model, config.ephemeral_keys.clock)
    routes += playground_routes()  # the page at `/`
    app = Starlette(
        routes=routes,
        exception_handlers={ApiError: handle_api_error},
        middleware=[
            Middleware(
                CORSMiddleware,
                allow_origins=config.cors_origins,
                allow_methods=["*"],
                allow_headers=["*"],
                expose_headers=["Location"],
            )
        ],
    )
    app.state.realtime_auth = Authenticator(config.api_keys, config.ephemeral_keys)
    return app
