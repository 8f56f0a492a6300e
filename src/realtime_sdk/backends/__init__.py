"""Back-ends: what generates responses.

The contracts (`Responder`, `Transcriber`, `TurnTakingBackend`) and what crosses them are in
`base`; `EchoBackend` is the deterministic one. The FastRTC adapter is `backends.fastrtc`,
the offline voice agent `backends.agent`.

Names are loaded on first use, so that importing one back-end costs only what it needs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._lazy import lazy_names

if TYPE_CHECKING:
    from .base import (
        AudioChunk,
        BackendError,
        CloseSession,
        FunctionCall,
        HeardPause,
        HeardSpeechStart,
        RawServerEvent,
        Responder,
        ResponseEnded,
        ResponseFailed,
        ResponsePiece,
        ResponseRequest,
        ResponseStarted,
        TextDelta,
        Transcriber,
        TranscriptDelta,
        TranscriptionRequest,
        TurnTakingBackend,
        TurnTakingEvent,
        UserTranscript,
    )
    from .echo import EchoBackend

__all__ = [
    "AudioChunk",
    "BackendError",
    "CloseSession",
    "EchoBackend",
    "FunctionCall",
    "HeardPause",
    "HeardSpeechStart",
    "RawServerEvent",
    "Responder",
    "ResponseEnded",
    "ResponseFailed",
    "ResponsePiece",
    "ResponseRequest",
    "ResponseStarted",
    "TextDelta",
    "Transcriber",
    "TranscriptDelta",
    "TranscriptionRequest",
    "TurnTakingBackend",
    "TurnTakingEvent",
    "UserTranscript",
]


_HOMES = {name: "echo" if name == "EchoBackend" else "base" for name in __all__}
__getattr__, __dir__ = lazy_names(__name__, _HOMES)
