"""`echo` for translation sessions, for conformance and benchmarks: the input comes back
unchanged, so what a client sees depends on nothing but what it sent.

- audio: each 200 ms frame is sent back as it came, at the frame's `elapsed_ms`;
- transcript: echo hears no words, so its transcript marks where it heard sound, one
  delta per stretch of sound (`[0.2-1.4 s] `) when the stretch ends or the input does.
  The source transcript (with transcription on) is that same text: nothing translated.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from ..audio import is_quiet
from ..translation.protocol import RATE, Refusal
from .translation import (
    SourceFrame,
    SourceText,
    TranslatedAudio,
    TranslatedText,
    TranslationPiece,
    TranslationSource,
)


def _mark(start_ms: int, end_ms: int) -> str:
    return f"[{start_ms / 1000:.1f}-{end_ms / 1000:.1f} s] "


class EchoTranslator:
    """Gives the input back; any session config is fine."""

    def check(self, session: dict[str, Any]) -> Refusal | None:
        return None

    async def translate(self, source: TranslationSource) -> AsyncIterator[TranslationPiece]:
        sound_from: int | None = None
        end_ms = 0
        async for frame in source:
            yield TranslatedAudio(frame.samples, RATE, frame.elapsed_ms)
            end_ms = frame.elapsed_ms + len(frame.samples) * 1000 // RATE
            if not is_quiet(frame.samples):
                if sound_from is None:
                    sound_from = frame.elapsed_ms
            elif sound_from is not None:
                for piece in _transcript(sound_from, frame):
                    yield piece
                sound_from = None
        if sound_from is not None:
            text = _mark(sound_from, end_ms)
            yield SourceText(text, sound_from)
            yield TranslatedText(text, sound_from)


def _transcript(start_ms: int, quiet: SourceFrame) -> list[TranslationPiece]:
    text = _mark(start_ms, quiet.elapsed_ms)
    return [SourceText(text, start_ms), TranslatedText(text, start_ms)]
