"""How much a WebRTC call may hold: every queue of the transport is bounded by these."""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field

log = logging.getLogger("realtime_sdk.webrtc")

CONNECT_TIMEOUT_ENV = "REALTIME_SDK_WEBRTC_CONNECT_TIMEOUT_S"


def _connect_timeout() -> float:
    """30 s, or what `REALTIME_SDK_WEBRTC_CONNECT_TIMEOUT_S` says (tests, benchmarks)."""
    value = os.environ.get(CONNECT_TIMEOUT_ENV)
    try:
        seconds = float(value) if value else 30.0
    except ValueError:
        seconds = 0.0
    if seconds <= 0:
        log.warning("%s=%r is not a number of seconds: 30 s", CONNECT_TIMEOUT_ENV, value)
        return 30.0
    return seconds


@dataclass(frozen=True)
class Limits:
    max_events: int = 1024  # client events waiting for the session
    max_audio_frames: int = 50  # peer audio frames waiting (1 s of 20 ms frames)
    max_buffered_s: float = 120.0  # response audio the player may hold
    # from the answer to a connected peer
    connect_timeout_s: float = field(default_factory=_connect_timeout)
    listener_size: int = 1024  # events a sideband listener may fall behind by
