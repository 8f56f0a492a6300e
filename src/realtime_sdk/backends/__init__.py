"""Back-ends: what generates responses.

The contracts (`Responder`, `Transcriber`, `TurnTakingBackend`) and what crosses them are in
`base`; `EchoBackend` is the deterministic one. The FastRTC adapter is `backends.fastrtc`,
the offline voice agent `backends.agent`.

Names are loaded on first use, so that importing one back-end costs only what it needs.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

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


def __getattr__(name: str) -> Any:
    if name not in __all__:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    module = "echo" if name == "EchoBackend" else "base"
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
