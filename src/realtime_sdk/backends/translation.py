"""The translation back-end contract: a stream of 200 ms input frames in, translated
audio and transcript pieces out, each placed on the input timeline by `elapsed_ms`.

A translation session has no turns: the back-end reads `TranslationSource` (its frames
end when the client closes the session) and yields pieces whenever it has them. The
session it serves may change while it runs (`source.session`: target language,
transcription); `check` refuses a session it could not serve, at `session.update`.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from ..audio import Int16Array
from ..translation.protocol import Refusal


@dataclass(frozen=True)
class SourceFrame:
    """Input audio, mono int16 at 24 kHz, starting `elapsed_ms` into the session's input."""

    samples: Int16Array
    elapsed_ms: int


@dataclass(frozen=True)
class TranslatedAudio:
    """Output audio (mono int16 at `rate`), lined up with the input at `elapsed_ms`."""

    samples: Int16Array
    rate: int
    elapsed_ms: int


@dataclass(frozen=True)
class TranslatedText:
    """Target-language transcript text to append."""

    delta: str
    elapsed_ms: int


@dataclass(frozen=True)
class SourceText:
    """Source-language transcript text (sent only when the client asked for it)."""

    delta: str
    elapsed_ms: int


TranslationPiece = TranslatedAudio | TranslatedText | SourceText

_END = None


class TranslationSource:
    """The input side of one session, as the back-end sees it: frames in order and the
    session as it is now. Putting never waits; the reader waits for `room()`, so a
    back-end that is behind slows the client's reading, and memory stays bounded."""

    def __init__(self, session: dict[str, Any], max_frames: int = 50) -> None:
        self.session = session
        self.max_frames = max_frames
        self._frames: asyncio.Queue[SourceFrame | None] = asyncio.Queue()
        self._room = asyncio.Event()
        self._room.set()

    def put(self, frame: SourceFrame) -> None:
        self._frames.put_nowait(frame)
        if self._frames.qsize() >= self.max_frames:
            self._room.clear()

    def end(self) -> None:
        """No more frames: the back-end's iteration ends after the ones queued."""
        self._frames.put_nowait(_END)

    async def room(self) -> None:
        """Until the back-end has fewer than `max_frames` waiting."""
        await self._room.wait()

    async def __aiter__(self) -> AsyncIterator[SourceFrame]:
        while True:
            frame = await self._frames.get()
            if self._frames.qsize() < self.max_frames:
                self._room.set()
            if frame is _END:
                return
            yield frame


@runtime_checkable
class Translator(Protocol):
    """What serves a translation session."""

    def check(self, session: dict[str, Any]) -> Refusal | None:
        """None, or (code, message, param) saying why this session cannot be served."""
        ...

    def translate(self, source: TranslationSource) -> AsyncIterator[TranslationPiece]:
        """Pieces as they are ready, until the source's frames end and all is said."""
        ...
