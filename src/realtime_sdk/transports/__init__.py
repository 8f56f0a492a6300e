"""Transports: how events (and, for WebRTC, audio) travel between a peer and a session.

One interface (`Transport`, and `AudioTransport` for a transport that carries audio
itself), used by the server's driver and the client alike, and its implementations side by
side: in memory, a websocket's server end and client end, a `create_app()` app in the same
process, and WebRTC (`transports.webrtc`, loaded only when used).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._lazy import lazy_names

if TYPE_CHECKING:
    from .asgi import ASGIWebSocketTransport
    from .base import (
        AudioTag,
        AudioTransport,
        Inbound,
        InputFrame,
        PlaybackStarted,
        PlaybackStopped,
        Played,
        Transport,
    )
    from .memory import MemoryTransport
    from .websocket import WebSocketTransport
    from .websocket_client import WebSocketClientTransport

_HOMES = {
    "ASGIWebSocketTransport": "asgi",
    "AudioTag": "base",
    "AudioTransport": "base",
    "Inbound": "base",
    "InputFrame": "base",
    "MemoryTransport": "memory",
    "PlaybackStarted": "base",
    "PlaybackStopped": "base",
    "Played": "base",
    "Transport": "base",
    "WebSocketClientTransport": "websocket_client",
    "WebSocketTransport": "websocket",
}
__all__ = [
    "ASGIWebSocketTransport",
    "AudioTag",
    "AudioTransport",
    "Inbound",
    "InputFrame",
    "MemoryTransport",
    "PlaybackStarted",
    "PlaybackStopped",
    "Played",
    "Transport",
    "WebSocketClientTransport",
    "WebSocketTransport",
]

__getattr__, __dir__ = lazy_names(__name__, _HOMES)
