"""What a Session asks of the world: events to send and work for the back-end.

The session never does I/O itself; the driver drains these in order and acts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel


@dataclass(frozen=True)
class Send:
    """Send this server event to the client."""

    event: BaseModel


@dataclass(frozen=True)
class StartResponse:
    """Generate a response. `items` is the conversation (or the out-of-band input) as
    protocol item dicts; `config` the effective settings for this response."""

    response_id: str
    items: list[dict[str, Any]]
    config: dict[str, Any]
    out_of_band: bool = False
    audio: dict[str, bytes] = field(default_factory=dict)  # user audio by item id


@dataclass(frozen=True)
class CancelResponse:
    """Stop generating this response; results that still arrive are dropped."""

    response_id: str


@dataclass(frozen=True)
class Transcribe:
    """Transcribe the committed user audio of this item (session input format)."""

    item_id: str
    content_index: int
    audio: bytes
    config: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ClearOutputAudio:
    """Drop the unplayed audio of this response (WebRTC knows what was played)."""

    response_id: str | None


@dataclass(frozen=True)
class InputAudio:
    """Raw input audio, in the session input format, for back-ends that take it all."""

    audio: bytes


Output = Send | StartResponse | CancelResponse | Transcribe | ClearOutputAudio | InputAudio
