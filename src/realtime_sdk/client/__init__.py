"""The typed client: `connect()` to OpenAI or any compatible server, over a websocket, a
WebRTC call, or a transport given (an app in the same process)."""

from __future__ import annotations

from ..realtime.client import (
    ConnectionClosedError,
    ConversationState,
    HeardAudio,
    RealtimeConnection,
    Reply,
)
from ..transports.asgi import ASGIWebSocketTransport
from ..transports.webrtc.ice import IceConfig
from .dial import connect, create_client_secret

__all__ = [
    "ASGIWebSocketTransport",
    "ConnectionClosedError",
    "ConversationState",
    "HeardAudio",
    "IceConfig",
    "RealtimeConnection",
    "Reply",
    "connect",
    "create_client_secret",
]
