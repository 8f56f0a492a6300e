"""The native back-end contract: a conversation in, a stream of response pieces out.

The server owns turn detection, the conversation, cancellation and truncation; a
back-end only answers. `respond` is an async generator; the driver cancels the
task iterating it when the response is cancelled, so a back-end can stop at any
`await` (release resources in `finally`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

import numpy as np

from ..audio import AudioFormat, Int16Array
from ..protocol.session import Capabilities


@dataclass(frozen=True)
class ResponseRequest:
    """What to answer: the conversation (GA item dicts), the response's settings (instructions,
    tools, tool_choice, output_modalities, audio.output, metadata, ...), and the user audio
    behind `input_audio` parts, by item id, in `audio_format`."""

    response_id: str
    items: list[dict[str, Any]]
    config: dict[str, Any]
    session: Mapping[str, Any]
    out_of_band: bool = False
    audio: Mapping[str, bytes] = field(default_factory=dict)
    audio_format: AudioFormat | None = None

    def user_audio(self, item_id: str) -> Int16Array | None:
        """The samples of a user audio item, decoded (int16 at `audio_format.rate`)."""
        from ..audio import decode

        data = self.audio.get(item_id)
        if data is None or self.audio_format is None:
            return None
        return decode(data, self.audio_format)

    @property
    def wants_audio(self) -> bool:
        return "audio" in self.config.get("output_modalities", ["audio"])


@dataclass(frozen=True)
class TextDelta:
    """Response text; in an audio response it is the audio's transcript."""

    text: str


@dataclass(frozen=True)
class TranscriptDelta:
    """Transcript of the response audio (text in a text-only response)."""

    text: str


@dataclass(frozen=True)
class AudioChunk:
    """Response audio as int16 mono samples at any rate; the server converts it."""

    samples: Int16Array
    rate: int

    @classmethod
    def silence(cls, ms: int, rate: int = 24000) -> AudioChunk:
        return cls(np.zeros(rate * ms // 1000, dtype=np.int16), rate)


@dataclass(frozen=True)
class FunctionCall:
    name: str
    arguments: str
    call_id: str | None = None


ResponsePiece = TextDelta | TranscriptDelta | AudioChunk | FunctionCall


@dataclass(frozen=True)
class TranscriptionRequest:
    item_id: str
    content_index: int
    audio: bytes
    audio_format: AudioFormat
    config: Mapping[str, Any]


@runtime_checkable
class Responder(Protocol):
    """A back-end that knows about conversations."""

    capabilities: Capabilities

    def respond(self, request: ResponseRequest) -> AsyncIterator[ResponsePiece]: ...


@runtime_checkable
class Transcriber(Protocol):
    """Optional: turns committed user audio into text, streamed."""

    def transcribe(self, request: TranscriptionRequest) -> AsyncIterator[str]: ...
