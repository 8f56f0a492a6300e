"""`FastRTCTranslator`: a FastRTC speech-to-speech handler serving translation sessions.

A translation session is a handler's natural use: input audio in, its audio out. Each
session runs its own `FastRTCBackend` (so its own ``copy()`` of the handler, wired and shut
down as FastRTC's transports do) and reads what it says: audio becomes output audio,
`RealtimeMessage` transcripts become transcript deltas (the user's transcript the source
text, the reply's the translation). Turns mean nothing here, so they only place output on
the input timeline: a reply's first audio sits where the input was when it began (or where
the reply before it ended, if later), and each chunk after it that much later.

The target language (`audio.output.language`) is the handler's additional input, as a
Gradio component's value would be: a `ReplyOnPause` reply function `fn(audio, language)`
gets the language current when each reply starts; a handler that reads `latest_args` finds
it there, updated when `session.update` changes it.

The handler has no word for "no more input": after `session.close` its output is read
until it has been quiet for `drain_s`, then it is stopped.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Any

from ...audio import PCM24K
from ...translation.protocol import RATE, Refusal, target_language
from ..base import (
    AudioChunk,
    CloseSession,
    ResponseFailed,
    ResponseStarted,
    TextDelta,
    TranscriptDelta,
    TurnTakingEvent,
    UserTranscript,
)
from ..translation import (
    SourceText,
    TranslatedAudio,
    TranslatedText,
    TranslationPiece,
    TranslationSource,
)
from .backend import FastRTCBackend

__all__ = ["FastRTCTranslator"]

log = logging.getLogger("realtime_sdk.fastrtc")

_DONE = object()


class FastRTCTranslator:
    """Serves each translation session with a copy of `handler` (any FastRTC handler).

    ``backend_options`` go to each session's `FastRTCBackend` (``end_of_turn_s``...).
    """

    def __init__(self, handler: Any, *, drain_s: float = 1.0, **backend_options: Any) -> None:
        FastRTCBackend(handler)  # refuses what is not a handler, before any session
        self.prototype = handler
        self.drain_s = drain_s
        self.backend_options = backend_options

    def check(self, session: dict[str, Any]) -> Refusal | None:
        return None  # the handler translates into what it was made for

    async def translate(self, source: TranslationSource) -> AsyncIterator[TranslationPiece]:
        language = target_language(source.session)
        options = {"additional_inputs": [language], **self.backend_options}
        backend = FastRTCBackend(self.prototype, **options)
        await backend.start(source.session)
        clock = _Timeline()
        events: asyncio.Queue[Any] = asyncio.Queue(64)
        feeding = asyncio.create_task(self._feed(backend, source, clock), name="fastrtc-feed")
        reading = asyncio.create_task(_read(backend, events), name="fastrtc-read")
        getter: asyncio.Future[Any] | None = None
        try:
            while True:
                getter = getter or asyncio.ensure_future(events.get())
                ended = feeding.done()  # the input ended: quiet for drain_s ends the output
                waits = {getter} if ended else {getter, feeding}
                done, _ = await asyncio.wait(
                    waits, timeout=self.drain_s if ended else None, return_when="FIRST_COMPLETED"
                )
                if not done:
                    break
                if getter not in done:
                    continue  # the input just ended; wait again, with the drain's time limit
                event, getter = getter.result(), None
                if event is _DONE:
                    break
                for piece in clock.place(event):
                    yield piece
            feeding.result()  # a failure feeding the handler is the session's
        finally:
            if getter is not None:
                getter.cancel()
            for task in (feeding, reading):
                task.cancel()
            await asyncio.gather(feeding, reading, return_exceptions=True)
            with contextlib.suppress(Exception):
                await backend.stop()

    @staticmethod
    async def _feed(backend: FastRTCBackend, source: TranslationSource, clock: _Timeline) -> None:
        language = backend.additional_inputs[0]
        async for frame in source:
            if target_language(source.session) != language:  # session.update changed it
                language = target_language(source.session)
                backend.additional_inputs = [language]
                asked = getattr(backend.handler, "latest_args", None)
                if isinstance(asked, list) and len(asked) > 1:  # it took inputs before
                    backend.handler.set_args([language])
            await backend.receive_audio(frame.samples.astype("<i2").tobytes(), PCM24K)
            clock.heard_ms = frame.elapsed_ms + len(frame.samples) * 1000 // RATE


async def _read(backend: FastRTCBackend, events: asyncio.Queue[Any]) -> None:
    try:
        async for event in backend.events():
            await events.put(event)
            if isinstance(event, CloseSession):
                break
    finally:
        await events.put(_DONE)


class _Timeline:
    """Where each piece of the handler's output sits on the input timeline."""

    def __init__(self) -> None:
        self.heard_ms = 0  # input handed to the handler so far
        self.reply_ms: int | None = None  # where the reply being said began
        self.said_ms = 0  # its audio so far

    def place(self, event: TurnTakingEvent) -> list[TranslationPiece]:
        if isinstance(event, ResponseStarted):  # not before the last reply's audio ends
            said_until = (self.reply_ms or 0) + self.said_ms
            self.reply_ms, self.said_ms = max(self.heard_ms, said_until), 0
            return []
        at = (self.reply_ms if self.reply_ms is not None else self.heard_ms) + self.said_ms
        if isinstance(event, AudioChunk):
            self.said_ms += len(event.samples) * 1000 // event.rate
            return [TranslatedAudio(event.samples, event.rate, at)]
        if isinstance(event, TextDelta | TranscriptDelta):
            return [TranslatedText(event.text, at)]
        if isinstance(event, UserTranscript):
            return [SourceText(event.text, self.reply_ms or 0)]
        if isinstance(event, ResponseFailed):  # logged by the adapter; the session goes on
            log.warning("a reply of the handler failed: %s", event.message)
        return []  # speech started, pauses, reply ends: no place in a translation
