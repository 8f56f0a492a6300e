"""What a Session asks of the world: events to send and work for the back-end.

The session never does I/O itself; the driver drains these in order and acts.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel

from ..._generated._runtime import to_json
from ...audio import AudioFormat, Int16Array
from .mcp_tools import McpServer
from .wire import AudioDelta


@dataclass(frozen=True)
class Samples:
    """Audio as int16 samples at `rate`: the same audio as the wire bytes beside it, as it
    was before it took the session's format. A back-end or player that works at `rate`
    takes these, instead of the bytes converted back (empty: the bytes are the session's
    alone, e.g. a resampler's held-back tail whose samples went out before)."""

    samples: Int16Array
    rate: int


@dataclass(frozen=True)
class Send:
    """Send this server event to the client."""

    event: BaseModel | AudioDelta

    def text(self) -> str:
        """The event's wire form."""
        event = self.event
        return event.text if isinstance(event, AudioDelta) else to_json(event)


@dataclass(frozen=True)
class StartResponse:
    """Generate a response. `items` is the conversation (or the out-of-band input) as
    protocol item dicts; `config` the effective settings for this response."""

    response_id: str
    items: list[dict[str, Any]]
    config: dict[str, Any]
    out_of_band: bool = False
    audio: Mapping[str, bytes] = field(default_factory=dict)  # user audio by item id


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
    """Drop the unplayed response audio (WebRTC knows what was played). On barge-in
    the driver reports back only if audio was cut; `requested` (the client's
    `output_audio_buffer.clear`) is always answered."""

    response_id: str | None
    requested: bool = False
    event_id: str | None = None  # the client's clear, echoed by an error if nothing plays


@dataclass(frozen=True)
class PlayAudio:
    """Response audio for a transport that plays it itself (WebRTC), in `format`; such
    a transport carries no `response.output_audio.delta`. With `source`, the player
    takes that instead of `audio` (which the session keeps)."""

    response_id: str
    item_id: str
    content_index: int
    audio: bytes
    format: AudioFormat
    source: Samples | None = None


@dataclass(frozen=True)
class AudioDone:
    """This response will play no more audio (sent on transports that play it)."""

    response_id: str


@dataclass(frozen=True)
class InputAudio:
    """Raw input audio, in the session input format, for back-ends that take it all;
    `source`, when the caller gave it, is the same audio as it arrived."""

    audio: bytes
    source: Samples | None = None


@dataclass(frozen=True)
class ListMcpTools:
    """List the tools of this MCP server, then report to `mcp_tools_listed` or
    `mcp_tools_failed` with its `item_id`."""

    server: McpServer


@dataclass(frozen=True)
class McpCall:
    """Run this MCP tool call (the `mcp_call` item is open in the response), then report
    to `mcp_call_done` with the output or the error."""

    response_id: str
    item_id: str
    server: McpServer
    name: str
    arguments: str


Output = (
    Send
    | StartResponse
    | CancelResponse
    | Transcribe
    | ClearOutputAudio
    | InputAudio
    | PlayAudio
    | AudioDone
    | ListMcpTools
)
