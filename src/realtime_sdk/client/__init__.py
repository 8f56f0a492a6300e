"""The typed client: `connect()` to OpenAI or any compatible server, over a websocket, a
WebRTC call, or a transport given (an app in the same process); `connect_translation()`
for a translation session; `connect_live()` for a GPT-Live session."""

from __future__ import annotations

from ..live.client import LiveConnection, LiveHeard
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
from .live import connect_live
from .translation import connect_translation, create_translation_client_secret

__all__ = [
    "ASGIWebSocketTransport",
    "ConnectionClosedError",
    "ConversationState",
    "HeardAudio",
    "IceConfig",
    "LiveConnection",
    "LiveHeard",
    "RealtimeConnection",
    "Reply",
    "Translation",
    "TranslationConnection",
    "connect",
    "connect_live",
    "connect_translation",
    "create_client_secret",
    "create_translation_client_secret",
]
