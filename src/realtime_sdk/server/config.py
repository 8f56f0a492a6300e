"""What every session of one server shares: how to make its back-end, who may connect,
which browser origins may call it, and how WebRTC calls gather candidates."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from ..backends.base import Responder, TurnTakingBackend
from ..transports.webrtc.ice import IceConfig
from ..transports.websocket import MAX_FRAME_BYTES
from .auth import EphemeralKeys

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
