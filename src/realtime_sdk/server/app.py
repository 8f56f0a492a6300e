"""The ASGI app: OpenAI's Realtime routes, mountable into any Starlette/FastAPI app.

`GET /v1/realtime` (websocket) runs one session per connection: a sans-I/O Session,
a back-end made for it by the factory, and the driver between them and the socket.
"""

from __future__ import annotations

import logging
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.routing import WebSocketRoute
from starlette.websockets import WebSocket

from ..backends.base import Responder, TurnTakingBackend
from ..protocol.session import Session
from ..transports.websocket import MAX_FRAME_BYTES, WebSocketChannel
from .driver import SessionDriver

log = logging.getLogger("realtime_sdk.server")

Backend = Responder | TurnTakingBackend
KEY_SUBPROTOCOL = "openai-insecure-api-key."
BETA_SUBPROTOCOL = "openai-beta.realtime-v1"
CLOSE_POLICY = 1008


@dataclass
class ServerConfig:
    """What every session of this server shares."""

    backend_factory: Callable[[], Backend]
    api_keys: frozenset[str] = frozenset()  # empty: open, for local use
    default_model: str = "gpt-realtime"
    turn_detection: bool = True  # run a local VAD model per session for server_vad
    max_frame_bytes: int = MAX_FRAME_BYTES
    cors_origins: list[str] = field(default_factory=lambda: ["*"])


def _offered_key(websocket: WebSocket) -> str | None:
    header = websocket.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip()
    for protocol in websocket.scope.get("subprotocols", []):
        if protocol.startswith(KEY_SUBPROTOCOL):
            return str(protocol[len(KEY_SUBPROTOCOL) :])
    return None


def _dialect(websocket: WebSocket) -> str:
    beta_header = "realtime=v1" in websocket.headers.get("openai-beta", "")
    beta_protocol = BETA_SUBPROTOCOL in websocket.scope.get("subprotocols", [])
    return "beta" if beta_header or beta_protocol else "ga"


def _speech_model(config: ServerConfig) -> Any:
    if not config.turn_detection:
        return None
    from ..vad import SileroSpeechModel

    return SileroSpeechModel()


def create_app(config: ServerConfig) -> Starlette:
    if not config.api_keys:
        log.warning("no API key configured: the server accepts every client (local use only)")

    async def realtime(websocket: WebSocket) -> None:
        key = _offered_key(websocket)
        if config.api_keys and not any(
            key is not None and secrets.compare_digest(key, allowed) for allowed in config.api_keys
        ):
            await websocket.close(CLOSE_POLICY, "invalid API key")
            return
        offered = websocket.scope.get("subprotocols", [])
        # browsers and WHATWG clients fail the handshake unless one offered protocol is chosen
        await websocket.accept(subprotocol="realtime" if offered else None)
        model = websocket.query_params.get("model") or config.default_model
        backend = config.backend_factory()
        session = Session(
            model=model,
            now_s=int(time.time()),
            capabilities=backend.capabilities,
            speech_model=_speech_model(config),
        )
        session_id = session.config["id"]
        dialect = _dialect(websocket)
        log.info(
            "session %s opened: model=%s dialect=%s client=%s",
            session_id,
            model,
            dialect,
            websocket.client.host if websocket.client else "?",
        )
        channel = WebSocketChannel(websocket, config.max_frame_bytes)
        try:
            await SessionDriver(channel, session, backend).run()
        finally:
            await channel.close()
            log.info("session %s closed", session_id)

    return Starlette(
        routes=[WebSocketRoute("/v1/realtime", realtime)],
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
