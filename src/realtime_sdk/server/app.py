"""The ASGI app: OpenAI's Realtime routes, mountable into any Starlette/FastAPI app.

`GET /v1/realtime` (websocket) runs one session per connection: a sans-I/O Session,
a back-end made for it by the factory, and the driver between them and the socket.
`POST /v1/realtime/client_secrets` (and the beta `/v1/realtime/sessions`) issue `ek_`
keys whose connections start from the session they were issued with.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.routing import BaseRoute, WebSocketRoute
from starlette.websockets import WebSocket

from ..backends.base import Responder, TurnTakingBackend
from ..protocol.session import Session
from ..transports.ice import IceConfig
from ..transports.websocket import MAX_FRAME_BYTES, WebSocketChannel
from .auth import (
    Authenticator,
    AuthError,
    EphemeralKeys,
    authorize_ws,
    refuse_ws,
)
from .calls import call_routes
from .dialect import for_dialect, websocket_dialect
from .driver import SessionDriver
from .errors import ApiError, handle_api_error
from .playground import playground_routes
from .secrets import client_secret_routes

log = logging.getLogger("realtime_sdk.server")

Backend = Responder | TurnTakingBackend


@dataclass
class ServerConfig:
    """What every session of this server shares."""

    backend_factory: Callable[[], Backend]
    api_keys: frozenset[str] = frozenset()  # empty: open, for local use
    default_model: str = "gpt-realtime"
    turn_detection: bool = True  # run a local VAD model per session for server_vad
    max_frame_bytes: int = MAX_FRAME_BYTES
    # browser origins allowed to call the HTTP routes; ["*"]: any (local use, logged)
    cors_origins: list[str] = field(default_factory=lambda: ["*"])
    # issued `ek_` keys; pass one store to several apps to let them share keys
    ephemeral_keys: EphemeralKeys = field(default_factory=EphemeralKeys)
    # WebRTC calls: STUN/TURN servers (none: host candidates only) and the loopback rule
    ice: IceConfig = field(default_factory=IceConfig)


def speech_model(config: ServerConfig, backend: Backend) -> Any:
    """The per-session VAD model for server_vad, or None.

    None for a back-end that takes its own turns (a FastRTC handler): the session's
    VAD would end turns too and ask it for responses it cannot give.
    """
    if not config.turn_detection or isinstance(backend, TurnTakingBackend):
        return None
    from ..vad import SileroSpeechModel

    return SileroSpeechModel()


def create_app(config: ServerConfig) -> Starlette:
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
        offered = websocket.scope.get("subprotocols", [])
        # browsers and WHATWG clients fail the handshake unless one offered protocol is chosen
        await websocket.accept(subprotocol="realtime" if offered else None)
        # an ek_ key that names a model pins it; its session is where this one starts
        model = grant.model or websocket.query_params.get("model") or config.default_model
        backend = config.backend_factory()
        session = Session(
            model=model,
            now_s=int(time.time()),
            capabilities=backend.capabilities,
            config=grant.session or None,
            intent=websocket.query_params.get("intent"),
            speech_model=speech_model(config, backend),
        )
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
