"""The Realtime protocol's client side: the typed connection, its conversation state, call
audio and tools (`realtime_sdk.connect` opens one)."""

from __future__ import annotations

from .call_audio import CallAudio, EventBacklogError
from .connection import ConnectionClosedError, RealtimeConnection, Reply
from .heard import HeardAudio
from .state import ConversationState, ItemView, ResponseView
from .tools import Tool, tool_from_function

__all__ = [
    "CallAudio",
    "ConnectionClosedError",
    "ConversationState",
    "EventBacklogError",
    "HeardAudio",
    "ItemView",
    "RealtimeConnection",
    "Reply",
    "ResponseView",
    "Tool",
    "tool_from_function",
]
