"""`echo`: a deterministic back-end, for smoke tests and protocol conformance.

- an audio turn is answered with the same audio;
- a text turn with the same text: as text, or where audio is asked for, as audio
  plus the text as transcript. The audio is a tone per word (150 ms at a pitch
  derived from the word, then 50 ms of silence), so tests can count words;
- `call <tool-name> <json-arguments>` calls that tool when the session has it (a function
  tool, or a tool one of its MCP servers listed); after the `function_call_output` arrives
  (or the MCP call has run), the answer is that output.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import AsyncIterator
from typing import Any

import numpy as np

from ..realtime.protocol.session import Capabilities
from .base import AudioChunk, FunctionCall, ResponsePiece, ResponseRequest, TextDelta

RATE = 24000
FRAME = RATE // 50  # 20 ms


def word_tone(word: str, rate: int = RATE) -> np.ndarray:
    """150 ms of a tone whose pitch the word picks (300-900 Hz), then 50 ms of silence."""
    pitch = 300 + zlib.crc32(word.encode()) % 600
    t = np.arange(rate * 150 // 1000) / rate
    fade = np.minimum(1.0, np.minimum(t, t[::-1]) / 0.01)  # 10 ms ramps: no clicks
    tone = (0.3 * 32767 * np.sin(2 * np.pi * pitch * t) * fade).astype(np.int16)
    return np.concatenate([tone, np.zeros(rate * 50 // 1000, dtype=np.int16)])


def _text_of(item: dict[str, Any]) -> str | None:
    texts = [
        part.get("text") or part.get("transcript") or ""
        for part in item.get("content") or []
        if part.get("type") in ("input_text", "output_text", "text")
    ]
    return " ".join(t for t in texts if t) or None


def _tool_names(config: dict[str, Any]) -> set[str]:
    return {t.get("name") for t in config.get("tools") or [] if t.get("type") == "function"}


class EchoBackend:
    """Answers each turn with the user's own words or audio."""

    capabilities = Capabilities(text_input=True, function_calls=True, out_of_band=True)

    async def respond(self, request: ResponseRequest) -> AsyncIterator[ResponsePiece]:
        last = next(
            (
                item
                for item in reversed(request.items)
                if item.get("role") == "user" or item.get("type") == "function_call_output"
            ),
            None,
        )
        if last is None:
            return
        if last.get("type") == "function_call_output":
            async for piece in self._say(str(last.get("output", "")), request):
                yield piece
            return
        samples = request.user_audio(str(last.get("id")))
        if samples is not None and request.audio_format is not None:
            if request.wants_audio:
                rate = request.audio_format.rate
                step = rate // 50
                for start in range(0, len(samples), step):
                    yield AudioChunk(samples[start : start + step], rate)
            transcript = next(
                (p.get("transcript") for p in last.get("content") or [] if p.get("transcript")),
                None,
            )
            if transcript:
                yield TextDelta(transcript)
            return
        text = _text_of(last)
        if not text:
            return
        call = self._call(text, request.config)
        if call is not None:
            yield call
            return
        async for piece in self._say(text, request):
            yield piece

    def _call(self, text: str, config: dict[str, Any]) -> FunctionCall | None:
        words = text.strip().split(maxsplit=2)
        if len(words) < 2 or words[0].lower() != "call" or words[1] not in _tool_names(config):
            return None
        arguments = words[2] if len(words) == 3 else "{}"
        try:
            json.loads(arguments)
        except ValueError:
            return None
        return FunctionCall(words[1], arguments)

    async def _say(self, text: str, request: ResponseRequest) -> AsyncIterator[ResponsePiece]:
        words = text.split()
        for index, word in enumerate(words):
            yield TextDelta(word if index == 0 else " " + word)
            if request.wants_audio:
                tone = word_tone(word)
                for start in range(0, len(tone), FRAME):
                    yield AudioChunk(tone[start : start + FRAME], RATE)
