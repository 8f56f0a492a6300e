"""`AgentTranslator`: the offline agent's pipeline serving translation sessions.

Hear (pocketsphinx, English), translate the words with an OpenAI-compatible LLM, speak
the translation with espeak-ng in the target language's voice (`audio.output.language`
names an espeak voice: `fr`, `de`, `es`, ...). Input is cut into utterances at pauses
(`pause_ms` of quiet), each translated as a whole in order; an utterance's source text,
translated text and audio all sit at its start on the input timeline.

Without an LLM there is nothing to translate with: every `session.update` is refused
naming the missing option, and audio that arrives anyway ends the session with that
error, never a pass-through of the source words.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any, Final

import numpy as np

from ...audio import Int16Array, is_quiet
from ...translation.protocol import FRAME_MS, RATE, Refusal, target_language
from ..base import BackendError
from ..translation import (
    SourceText,
    TranslatedAudio,
    TranslatedText,
    TranslationPiece,
    TranslationSource,
)
from .llm import ChatCompletions
from .recognition import Recognizer, recognizer
from .speech import PhraseBuffer, Speech, speech

NO_LLM: Final = (
    "This server translates with an LLM and has none: start it with --llm-base-url"
    " (REALTIME_SDK_LLM_BASE_URL), an OpenAI-compatible chat-completions server."
)
ESPEAK_NAMES: Final = {"zh": "cmn", "nb": "nb", "no": "nb"}  # where espeak's name differs


def voice_for_language(language: str) -> str:
    """The espeak voice that speaks `language` (an ISO 639-1 code, or an espeak name)."""
    base = language.lower().replace("_", "-")
    return ESPEAK_NAMES.get(base.split("-")[0], base)


def instructions(language: str) -> str:
    return (
        f"Translate what the user says into the language with code '{language}'."
        " Answer with the translation alone: no quotes, notes or explanations."
    )


class AgentTranslator:
    """Cheap to make; the recognizer and the speech engine are the process's own."""

    def __init__(
        self,
        llm: ChatCompletions | None = None,
        *,
        pause_ms: int = 400,
        recognizer_: Recognizer | None = None,
        speech_: Speech | None = None,
    ) -> None:
        """`llm`: the chat-completions server that translates (the agent's `--llm-*`)."""
        self.llm = llm
        self.pause_frames = max(1, pause_ms // FRAME_MS)
        self.recognizer = recognizer_ or recognizer()
        self._speech = speech_

    def check(self, session: dict[str, Any]) -> Refusal | None:
        if self.llm is None:
            return ("unsupported_feature", NO_LLM, "session.audio.output.language")
        return None

    async def translate(self, source: TranslationSource) -> AsyncIterator[TranslationPiece]:
        utterances: asyncio.Queue[tuple[int, Int16Array] | None] = asyncio.Queue()
        cutting = asyncio.create_task(self._cut(source, utterances), name="agent-utterances")
        try:
            while (utterance := await utterances.get()) is not None:
                async for piece in self._translate_one(*utterance, source):
                    yield piece
            cutting.result()
        finally:
            cutting.cancel()
            await asyncio.gather(cutting, return_exceptions=True)

    async def _cut(
        self, source: TranslationSource, out: asyncio.Queue[tuple[int, Int16Array] | None]
    ) -> None:
        """Frames -> (start_ms, samples) of each stretch of sound, with a frame of quiet
        either side for the recognizer's context."""
        held: list[Int16Array] = []
        start_ms, quiet_run, before = 0, 0, None
        async for frame in source:
            if not is_quiet(frame.samples):
                if not held:
                    start_ms = frame.elapsed_ms
                    held = [before] if before is not None else []
                held.append(frame.samples)
                quiet_run = 0
            elif held:
                held.append(frame.samples)
                quiet_run += 1
                if quiet_run >= self.pause_frames:
                    out.put_nowait((start_ms, np.concatenate(held)))
                    held = []
            before = frame.samples
        if held:
            out.put_nowait((start_ms, np.concatenate(held)))
        out.put_nowait(None)

    async def _translate_one(
        self, start_ms: int, samples: Int16Array, source: TranslationSource
    ) -> AsyncIterator[TranslationPiece]:
        if self.llm is None:
            raise BackendError(NO_LLM)
        heard = (await self.recognizer.transcribe(samples, RATE)).strip()
        if not heard:
            return
        yield SourceText(heard + " ", start_ms)
        language = target_language(source.session)
        messages = [
            {"role": "system", "content": instructions(language)},
            {"role": "user", "content": heard},
        ]
        speaker = _Speaker(self._speech or speech(), voice_for_language(language), start_ms)
        phrases = PhraseBuffer()
        async for delta in self.llm.stream(messages):
            if not isinstance(delta, str):
                continue  # no tools were offered
            yield TranslatedText(delta, start_ms)
            for phrase in phrases.feed(delta):
                async for piece in speaker.say(phrase):
                    yield piece
        async for piece in speaker.say(phrases.flush()):
            yield piece
        yield TranslatedText(" ", start_ms)


class _Speaker:
    """One utterance's translation spoken phrase by phrase, each after the one before."""

    def __init__(self, engine: Speech, voice: str, start_ms: int) -> None:
        self.engine, self.voice = engine, voice
        self.at_ms = start_ms

    async def say(self, text: str) -> AsyncIterator[TranslatedAudio]:
        if not text.strip():
            return
        async for chunk in self.engine.speak(text, self.voice):
            yield TranslatedAudio(chunk.samples, chunk.rate, self.at_ms)
            self.at_ms += len(chunk.samples) * 1000 // chunk.rate
