"""The sans-I/O Live session: client events, back-end results and output ticks in;
server events, input audio and context for the back-end out; no sockets, tasks or clock."""

from __future__ import annotations

from .config import DEFAULT_TTL_S, Refusal, audio_format, delegation_target, not_offered
from .outputs import (
    Context,
    ContextKind,
    Drain,
    Hangup,
    Hear,
    Output,
    Reconfigure,
    ResponseItem,
    RunResponse,
    Send,
    Start,
)
from .playout import Playout
from .session import FRAME_MS, Check, CloseReason, LiveSession

__all__ = [
    "DEFAULT_TTL_S",
    "FRAME_MS",
    "Check",
    "CloseReason",
    "Context",
    "ContextKind",
    "Drain",
    "Hangup",
    "Hear",
    "LiveSession",
    "Output",
    "Playout",
    "Reconfigure",
    "Refusal",
    "ResponseItem",
    "RunResponse",
    "Send",
    "Start",
    "audio_format",
    "delegation_target",
    "not_offered",
]
