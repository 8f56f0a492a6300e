"""Back-ends: what generates responses.

The contracts (`Responder`, `Transcriber`, `TurnTakingBackend`) and what crosses them are in
`base`; `EchoBackend` is the deterministic one. Translation sessions have a contract of their
own (`translation`: `Translator`) and an echo (`EchoTranslator`). The FastRTC adapter is
`backends.fastrtc`,
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
        TranscriptToken,
        TurnTakingBackend,
        TurnTakingEvent,
        UserTranscript,
    )
    from .echo import EchoBackend
    from .translation import (
        SourceFrame,
        SourceText,
        TranslatedAudio,
        TranslatedText,
        TranslationPiece,
        TranslationSource,
        Translator,
    )
    from .translation_echo import EchoTranslator

__all__ = [
    "AudioChunk",
    "BackendError",
    "CloseSession",
    "EchoBackend",
    "EchoTranslator",
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
    "SourceFrame",
    "SourceText",
    "TextDelta",
    "Transcriber",
    "TranscriptDelta",
    "TranscriptToken",
    "TranscriptionRequest",
    "TranslatedAudio",
    "TranslatedText",
    "TranslationPiece",
    "TranslationSource",
    "Translator",
    "TurnTakingBackend",
    "TurnTakingEvent",
    "UserTranscript",
]


_TRANSLATION = {"SourceFrame", "SourceText", "TranslatedAudio", "TranslatedText"}
_TRANSLATION |= {"TranslationPiece", "TranslationSource", "Translator"}
_HOMES = {name: "base" for name in __all__}
_HOMES |= {"EchoBackend": "echo", "EchoTranslator": "translation_echo"}
_HOMES |= {name: "translation" for name in _TRANSLATION}
__getattr__, __dir__ = lazy_names(__name__, _HOMES)
