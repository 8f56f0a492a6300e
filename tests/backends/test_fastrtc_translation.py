"""A FastRTC handler (the real fastrtc classes) serving translation sessions: openai-python's
translation client against a real server, the handler's audio back as output audio, its
RealtimeMessages as transcript deltas, one copy() per session, shutdown() for each."""

from __future__ import annotations

import asyncio
import base64
import threading
from collections import deque
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
from helpers.need import need
from helpers.paths import AUDIO_FIXTURES
from helpers.servers import Running, serve
from openai import AsyncOpenAI

from realtime_sdk.app import ServerConfig
from realtime_sdk.audio import read_wav
from realtime_sdk.backends.echo import EchoBackend
from realtime_sdk.backends.fastrtc import FastRTCTranslator, RealtimeMessage

try:
    import fastrtc
except ImportError:
    fastrtc = None

SPEECH = AUDIO_FIXTURES / "fastrtc-how-are-you-24k.wav"


class Counts:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.copies = 0
        self.shutdowns = 0


def make_handler(counts: Counts) -> Any:
    class Parrot(fastrtc.StreamHandler):  # type: ignore[misc,name-defined]
        """Says back each 16 kHz frame it hears; every 25th frame, a transcript of each side."""

        def __init__(self) -> None:
            super().__init__(input_sample_rate=16000, output_sample_rate=16000)
            self.heard: deque[Any] = deque()
            self.frames = 0

        def receive(self, frame: tuple[int, np.ndarray]) -> None:
            self.heard.append(frame)

        def emit(self) -> Any:
            if not self.heard:
                return None
            rate, samples = self.heard.popleft()
            self.frames += 1
            if self.frames % 25 == 0:
                said = fastrtc.AdditionalOutputs  # a RealtimeMessage is one
                assert issubclass(RealtimeMessage, said)
                return RealtimeMessage.assistant_transcript_delta(f"[{self.frames}]")
            return rate, samples

        def copy(self) -> Parrot:
            with counts.lock:
                counts.copies += 1
            return Parrot()

        def shutdown(self) -> None:
            with counts.lock:
                counts.shutdowns += 1

    return Parrot()


@pytest.fixture
def counts() -> Counts:
    need(fastrtc is not None, "fastrtc is not installed (pip install 'realtime-sdk[fastrtc]')")
    return Counts()


@pytest.fixture
def server(counts: Counts) -> Iterator[Running]:
    translator = FastRTCTranslator(make_handler(counts), drain_s=0.5)
    config = ServerConfig(backend_factory=EchoBackend, translator_factory=lambda: translator)
    with serve(config) as running:
        yield running


async def one_session(server: Running, samples: np.ndarray) -> list[Any]:
    client = AsyncOpenAI(base_url=server.base_url, api_key="sk-local")
    events: list[Any] = []
    async with client.realtime.translations.connect(model="parrot") as conn:
        assert (await conn.recv()).type == "session.created"
        for start in range(0, len(samples), 480):  # 20 ms appends
            chunk = samples[start : start + 480].astype("<i2").tobytes()
            await conn.session.input_audio_buffer.append(audio=base64.b64encode(chunk).decode())
        await conn.session.close()
        async for event in conn:
            events.append(event)
            if event.type == "session.closed":
                break
    return events


def test_a_handler_serves_translation_sessions(server: Running, counts: Counts) -> None:
    rate, samples = read_wav(SPEECH)
    assert rate == 24000

    async def main() -> list[list[Any]]:
        return list(await asyncio.gather(*(one_session(server, samples) for _ in range(2))))

    sessions = asyncio.run(asyncio.wait_for(main(), 30))
    for events in sessions:
        assert events[-1].type == "session.closed"
        audio = [e for e in events if e.type == "session.output_audio.delta"]
        texts = [e for e in events if e.type == "session.output_transcript.delta"]
        out = np.concatenate([np.frombuffer(base64.b64decode(e.delta), "<i2") for e in audio])
        # the handler's sound comes back (its quiet frames between replies are not sent),
        # as loud as it went in (16 kHz and back)
        expected_ms = len(samples) * 1000 // 24000
        assert 0.4 * expected_ms < len(out) * 1000 // 24000 <= expected_ms
        peak_in, peak_out = np.abs(samples).max(), np.abs(out).max()
        assert 0.8 < peak_out / peak_in < 1.2
        assert [e.delta for e in texts][:2] == ["[25]", "[50]"]
        elapsed = [e.elapsed_ms for e in audio]
        assert elapsed == sorted(elapsed), elapsed
        assert elapsed[-1] <= 2 * expected_ms
        assert {e.sample_rate for e in audio} == {24000}
    assert counts.copies == 2
    assert counts.shutdowns == 2


def test_a_reply_on_pause_handler_answers_each_utterance(counts: Counts) -> None:
    """ReplyOnPause (the local VAD model, no download) as a translator: what it says after
    the pause comes back, placed after the speech on the input timeline."""
    from helpers.cli_handlers import pause_echo

    rate, speech = read_wav(SPEECH)
    sent = np.concatenate([speech, np.zeros(rate * 2, dtype=np.int16)])
    translator = FastRTCTranslator(pause_echo, drain_s=1.0)
    config = ServerConfig(backend_factory=EchoBackend, translator_factory=lambda: translator)
    with serve(config) as running:
        events = asyncio.run(asyncio.wait_for(one_session(running, sent), 60))
    audio = [e for e in events if e.type == "session.output_audio.delta"]
    said = np.concatenate([np.frombuffer(base64.b64decode(e.delta), "<i2") for e in audio])
    loud = np.flatnonzero(np.abs(said) > 64)
    assert len(loud) and loud[-1] - loud[0] > 24000 // 2  # the utterance, said back
    speech_ms = len(speech) * 1000 // rate
    assert audio[0].elapsed_ms >= speech_ms * 0.8  # after the speech, where the reply began
    assert [e.elapsed_ms for e in audio] == sorted(e.elapsed_ms for e in audio)


def test_the_target_language_is_the_handlers_additional_input(counts: Counts) -> None:
    """A reply function `fn(audio, language)` gets `audio.output.language`, the one current
    when each reply starts."""
    from realtime_sdk.backends.fastrtc import LocalPauseDetectionModel

    heard: list[str] = []

    def translate(audio: tuple[int, np.ndarray], language: str) -> Any:
        heard.append(language)
        yield RealtimeMessage.assistant_transcript_delta(f"<{language}>")
        yield audio

    handler = fastrtc.ReplyOnPause(
        translate, model=LocalPauseDetectionModel(), input_sample_rate=16000
    )
    translator = FastRTCTranslator(handler, drain_s=1.0)
    config = ServerConfig(backend_factory=EchoBackend, translator_factory=lambda: translator)
    rate, speech = read_wav(SPEECH)
    pause = np.zeros(rate * 2, dtype=np.int16)

    async def main(running: Running) -> list[str]:
        client = AsyncOpenAI(base_url=running.base_url, api_key="sk-local")
        said: list[str] = []
        async with client.realtime.translations.connect(model="parrot") as conn:
            await conn.recv()

            async def read() -> None:
                async for event in conn:
                    if event.type == "session.output_transcript.delta":
                        said.append(event.delta)
                    if event.type == "session.closed":
                        return

            reader = asyncio.create_task(read())
            for index, language in enumerate(("fr", "de")):
                await conn.session.update(session={"audio": {"output": {"language": language}}})
                utterance = np.concatenate([speech, pause])
                for start in range(0, len(utterance), 4800):
                    chunk = utterance[start : start + 4800].astype("<i2").tobytes()
                    await conn.session.input_audio_buffer.append(
                        audio=base64.b64encode(chunk).decode()
                    )
                while len(said) <= index:  # this utterance's reply, before the next update
                    await asyncio.sleep(0.05)
                # and the rest of it: the adapter paces a reply's audio in real time, and
                # speech while it plays would talk over it (a barge-in, not this test's matter)
                await asyncio.sleep(len(utterance) / rate + 0.5)
            await conn.session.close()
            await reader
        return said

    with serve(config) as running:
        said = asyncio.run(asyncio.wait_for(main(running), 90))
    assert said == ["<fr>", "<de>"]
    assert heard == ["fr", "de"]
