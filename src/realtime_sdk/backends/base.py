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
from ..realtime.protocol.session import Capabilities


class BackendError(RuntimeError):
    """A back-end failure whose message is meant for the client (the LLM answered 500,
    the recogniser is not installed): a response it ends reports the message as it is.
    Any other exception is a fault; the client is told the back-end failed, the log
    has the traceback."""


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


@dataclass(frozen=True)
class UserTranscript:
    """What the back-end understood the user to say, for the last user item."""

    text: str


ResponsePiece = TextDelta | TranscriptDelta | AudioChunk | FunctionCall | UserTranscript


class TranscriptToken(str):
    """A piece of an input transcript with the log probability the recogniser gives it.

    A `Transcriber` may yield these for plain text: being text, every reader of transcript
    pieces takes them as they are, and the log probabilities become the transcription
    events' `logprobs` where the session includes them."""

    logprob: float | None

    def __new__(cls, text: str, logprob: float | None = None) -> TranscriptToken:
        token = super().__new__(cls, text)
        token.logprob = logprob
        return token


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


# -- back-ends that decide their own turns (FastRTC handlers) --------------------


@dataclass(frozen=True)
class HeardSpeechStart:
    """The back-end heard the user start talking (ReplyOnPause's talking signal)."""


@dataclass(frozen=True)
class HeardPause:
    """The back-end heard the user pause; the audio so far becomes a user item."""


@dataclass(frozen=True)
class ResponseStarted:
    """The back-end began a reply of its own accord; pieces follow, then ResponseEnded."""


@dataclass(frozen=True)
class ResponseEnded:
    pass


@dataclass(frozen=True)
class RawServerEvent:
    """A server event the back-end wants sent as it is (a JSON-shaped dict)."""

    event: Mapping[str, Any]


@dataclass(frozen=True)
class ResponseFailed:
    """The back-end's reply broke off; the response ends `failed`, the session goes on."""

    message: str


@dataclass(frozen=True)
class CloseSession:
    """The back-end ends the session (FastRTC's CloseStream)."""

    reason: str = ""


TurnTakingEvent = (
    HeardSpeechStart
    | HeardPause
    | ResponseStarted
    | ResponseEnded
    | ResponseFailed
    | RawServerEvent
    | CloseSession
    | ResponsePiece
)


@runtime_checkable
class TurnTakingBackend(Protocol):
    """A back-end fed all input audio that decides itself when to speak.

    The driver forwards every input frame (`receive_audio`, wire bytes in the session's
    input format) and turns what `events()` yields into protocol events. `start` and
    `stop` are always called, once each. One instance serves one session (the server
    takes a factory), since none of these methods names the session.
    """

    capabilities: Capabilities

    async def start(self, session: Mapping[str, Any]) -> None: ...

    async def receive_audio(self, audio: bytes, audio_format: AudioFormat) -> None: ...

    def events(self) -> AsyncIterator[TurnTakingEvent]: ...

    async def stop(self) -> None: ...


@runtime_checkable
class SampleInput(Protocol):
    """Optional, beside `TurnTakingBackend`: input audio as int16 samples, for a back-end
    that works at one rate (a FastRTC handler's ``input_sample_rate``).

    Where input arrives as samples (a WebRTC peer's, at the decoder's 48 kHz) at the rate
    the back-end takes, and the session's input format is PCM, the driver hands them over
    as they came (`receive_samples`) instead of their wire bytes (`receive_audio`), which
    the back-end would convert back: the session still keeps its own format's copy. All
    other input still comes through `receive_audio`.
    """

    @property
    def input_rate(self) -> int | None:
        """The rate it takes its input at; None until started."""
        ...

    async def receive_samples(self, samples: Int16Array, rate: int) -> None: ...
