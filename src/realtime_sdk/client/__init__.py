"""The typed client: `connect()` to OpenAI or any compatible server, over a websocket, a
WebRTC call, or a transport given (an app in the same process); `connect_translation()`
for a translation session."""

from __future__ import annotations

from ..realtime.client import (
    ConnectionClosedError,
    ConversationState,
    HeardAudio,
    RealtimeConnection,
    Reply,
)
from ..translation.client import Translation, TranslationConnection
from ..transports.asgi import ASGIWebSocketTransport
from ..transports.webrtc.ice import IceConfig
from .dial import connect, create_client_secret
from .translation import connect_translation, create_translation_client_secret

__all__ = [
    "ASGIWebSocketTransport",
    "ConnectionClosedError",
    "ConversationState",
    "HeardAudio",
    "IceConfig",
    "RealtimeConnection",
    "Reply",
    "Translation",
    "TranslationConnection",
    "connect",
    "connect_translation",
    "create_client_secret",
    "create_translation_client_secret",
]
