"""The asyncio driver of one translation session: transport <-> session <-> back-end.

Two tasks: the reader (client events into the session, frames on to the back-end) and
the translator (the back-end's pieces into the session, events out). Sends take turns
under one lock, so events leave in the order the session made them; frames go to the
back-end outside it, so a back-end that is behind slows the reader and nothing else.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

import numpy as np

from ...audio import PCM24K, WireEncoder
from ...backends.base import BackendError
from ...backends.translation import (
    SourceFrame,
    SourceText,
    TranslatedAudio,
    TranslatedText,
    TranslationSource,
    Translator,
)
from ...transports.base import Transport
from ..protocol import EndInput, Hangup, Reconfigure, Send, Translate, TranslationSession

log = logging.getLogger("realtime_sdk.translation")

CLOSE_SERVER_FAULT = 1011
MAX_FAULTS = 8  # faults of ours on input before the session gives up, as on the Realtime routes


class TranslationDriver:
    def __init__(self, transport: Transport, session: TranslationSession, translator: Translator):
        self.transport = transport
        self.session = session
        self.translator = translator
        self.source = TranslationSource(session.config)
        self._lock = asyncio.Lock()
        self._encoders: dict[int, WireEncoder] = {}  # back-end rate -> 24 kHz PCM16
        self._audio_end_ms = 0  # where the last output audio ends, on the input timeline

    @property
    def _id(self) -> str:
        return str(self.session.config["id"])

    async def run(self) -> None:
        self.session.start()
        await self._flush()
        translating = asyncio.create_task(self._translate(), name="translation-backend")
        faults = 0
        try:
            while (raw := await self.transport.recv()) is not None:
                if not isinstance(raw, str | bytes):
                    continue
                try:
                    self.session.receive(raw)
                except Exception:  # a fault of ours: the client is told, the session goes on
                    log.exception("translation session %s: fault on input", self._id)
                    faults += 1
                    self.session.server_fault("the last event")
                await self._flush()
                if faults > MAX_FAULTS:
                    await self.transport.close(CLOSE_SERVER_FAULT, "too many server faults")
                    break
                await self.source.room()
        except ConnectionError:
            pass
        finally:
            translating.cancel()
            await asyncio.gather(translating, return_exceptions=True)
            log.info("translation session %s ended", self._id)

    async def _translate(self) -> None:
        session = self.session
        try:
            async for piece in self.translator.translate(self.source):
                if isinstance(piece, TranslatedAudio):
                    session.output_audio(self._pcm(piece), piece.elapsed_ms)
                elif isinstance(piece, TranslatedText):
                    session.output_transcript(piece.delta, piece.elapsed_ms)
                elif isinstance(piece, SourceText):
                    session.input_transcript(piece.delta, piece.elapsed_ms)
                await self._flush()
            for encoder in self._encoders.values():  # what resampling held back
                session.output_audio(encoder.flush(), self._audio_end_ms)
            session.finished()
            await self._flush()
        except (asyncio.CancelledError, ConnectionError):
            raise
        except Exception as exc:
            log.exception("translation back-end failed in session %s", self._id)
            message = (
                str(exc)
                if isinstance(exc, BackendError)
                else ("The translation back-end failed; the server's log has the details.")
            )
            session.backend_failed(message)
            with contextlib.suppress(ConnectionError):
                await self._flush()
            await self.transport.close(CLOSE_SERVER_FAULT, "the back-end stopped")

    def _pcm(self, piece: TranslatedAudio) -> bytes:
        encoder = self._encoders.get(piece.rate)
        if encoder is None:
            encoder = self._encoders[piece.rate] = WireEncoder(piece.rate, PCM24K)
        self._audio_end_ms = piece.elapsed_ms + len(piece.samples) * 1000 // piece.rate
        return encoder.process(piece.samples)

    async def _flush(self) -> None:
        work: list[Translate | EndInput] = []
        hangup = False
        async with self._lock:
            for out in self.session.take():
                if isinstance(out, Send):
                    await self.transport.send(out.text())
                elif isinstance(out, Reconfigure):
                    self.source.session = out.session
                elif isinstance(out, Hangup):
                    hangup = True
                else:
                    work.append(out)
        for job in work:
            if isinstance(job, Translate):
                samples = np.frombuffer(job.frame.pcm, dtype="<i2").astype(np.int16, copy=False)
                self.source.put(SourceFrame(samples, job.frame.elapsed_ms))
            else:
                self.source.end()
        if hangup:
            await self.transport.close()
