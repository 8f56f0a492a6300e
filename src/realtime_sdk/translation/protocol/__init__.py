"""The sans-I/O translation session: client events, input audio and back-end results in;
server events, 200 ms frames and work for the back-end out; no sockets, tasks or clock."""

from __future__ import annotations

from .config import DEFAULT_LANGUAGE, apply_update, default_session, target_language, transcribing
from .framing import FRAME_BYTES, FRAME_MS, RATE, Frame, Framer
from .outputs import EndInput, Hangup, Output, Reconfigure, Send, Translate
from .session import Check, Refusal, TranslationSession

__all__ = [
    "DEFAULT_LANGUAGE",
    "FRAME_BYTES",
    "FRAME_MS",
    "RATE",
    "Check",
    "EndInput",
    "Frame",
    "Framer",
    "Hangup",
    "Output",
    "Reconfigure",
    "Refusal",
    "Send",
    "Translate",
    "TranslationSession",
    "apply_update",
    "default_session",
    "target_language",
    "transcribing",
]
