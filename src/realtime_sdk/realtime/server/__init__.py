"""The Realtime protocol's server side: its routes (websocket, WebRTC calls and their
sideband, client secrets), the session builder and the driver between transport, session
and back-end."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..._lazy import lazy_names

if TYPE_CHECKING:
    from .call_registry import Call, CallRegistry
    from .driver import SessionDriver
    from .routes import realtime_routes

_HOMES = {
    "Call": "call_registry",
    "CallRegistry": "call_registry",
    "SessionDriver": "driver",
    "realtime_routes": "routes",
}
__all__ = [
    "Call",
    "CallRegistry",
    "SessionDriver",
    "realtime_routes",
]

__getattr__, __dir__ = lazy_names(__name__, _HOMES)
