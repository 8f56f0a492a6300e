"""What every session of one server shares: how to make its back-end, who may connect,
which browser origins may call it, and how WebRTC calls gather candidates."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from ..backends.base import Responder, TurnTakingBackend
from ..backends.translation import Translator
from ..transports.webrtc.ice import IceConfig
from ..transports.websocket import MAX_FRAME_BYTES
from .auth import EphemeralKeys
from .drain import Drain
from .state.base import SharedState
from .state.memory import MemoryState

Backend = Responder | TurnTakingBackend


@dataclass
class ServerConfig:
    """What every session of this server shares."""

    backend_factory: Callable[[], Backend]
    api_keys: frozenset[str] = frozenset()  # empty: open, for local use
    default_model: str = "gpt-realtime"
    # what serves `/v1/realtime/translations`, one per session; None: refused there
    translator_factory: Callable[[], Translator] | None = None
    turn_detection: bool = True  # run a local VAD model per session for server_vad
    max_frame_bytes: int = MAX_FRAME_BYTES
    # browser origins allowed to call the HTTP routes; ["*"]: any (local use, logged)
    cors_origins: list[str] = field(default_factory=lambda: ["*"])
    # keys and calls shared with the service's other processes (Redis), or this one's only
    state: SharedState = field(default_factory=MemoryState)
    # issued `ek_` keys; None: kept by `state`. Pass one to several apps to share keys
    ephemeral_keys: EphemeralKeys | None = None
    # WebRTC calls: STUN/TURN servers (none: host candidates only) and the loopback rule
    ice: IceConfig = field(default_factory=IceConfig)
    # the open sessions, and whether new ones are taken (/readyz, SIGTERM)
    drain: Drain = field(default_factory=Drain)
    # seconds open sessions may go on after SIGTERM; None: SIGTERM is left to the server
    drain_timeout_s: float | None = None

    def __post_init__(self) -> None:
        self.keys = self.ephemeral_keys or EphemeralKeys(records=self.state.keys)
