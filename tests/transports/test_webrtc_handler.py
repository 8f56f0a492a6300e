"""A FastRTC handler at 48 kHz over a real WebRTC call (aiortc peer, Opus both ways, 127.0.0.1).

The handler takes the decoder's rate, so the peer's audio goes to it as the decoder gave it
(downmixed), and its reply goes to the player at its own rate: no trip through the session's
24 kHz and back either way. What the peer hears is the echo of what it said, at the level it
arrived at.
"""

from __future__ import annotations

import asyncio
from typing import Any

import numpy as np
import pytest
from helpers.need import need
from helpers.paths import AUDIO_FIXTURES
from helpers.rtc_peer import RATE, RtcClient, rms, run, speech_48k

from realtime_sdk import _compat
from realtime_sdk.backends.fastrtc import FastRTCBackend
from realtime_sdk.realtime.protocol.session import Session
from realtime_sdk.realtime.server.driver import SessionDriver
from realtime_sdk.transports.webrtc.ice import IceConfig
from realtime_sdk.transports.webrtc.transport import WebRTCTransport

try:
    import fastrtc
except ImportError:
    fastrtc = None

LOOPBACK = IceConfig(loopback="only")


@pytest.fixture(autouse=True, scope="module")
def _patched_as_a_server_starts() -> None:
    """What `create_app` does first: aiortc's and aioice's patches (`_compat`)."""
    _compat.apply()


def echo_handler() -> Any:
    """FastRTC's default input rate, 48 kHz, and the same out: each frame said back."""

    class Echo(fastrtc.AsyncStreamHandler):  # type: ignore[misc,name-defined]
        def __init__(self) -> None:
            super().__init__(input_sample_rate=RATE, output_sample_rate=RATE)
            self.got: list[tuple[int, tuple[int, ...]]] = []  # (rate, shape) per frame
            self.queue: asyncio.Queue[tuple[int, np.ndarray]] = asyncio.Queue()

        async def receive(self, frame: tuple[int, np.ndarray]) -> None:
            self.got.append((frame[0], frame[1].shape))
            self.queue.put_nowait(frame)

        async def emit(self) -> tuple[int, np.ndarray]:
            return await self.queue.get()

        def copy(self) -> Echo:
            return self

    return Echo()


def best_lag(heard: np.ndarray, sent: np.ndarray) -> tuple[int, float]:
    """Where `sent` sits in `heard` (cross-correlation) and the correlation there."""
    a, b = heard.astype(np.float64), sent.astype(np.float64)
    n = len(a) + len(b)
    spectrum = np.fft.irfft(np.fft.rfft(a, n) * np.conj(np.fft.rfft(b, n)), n)
    lag = int(np.argmax(spectrum[: len(a)]))
    part = a[lag : lag + len(b)]
    return lag, float(np.corrcoef(part, b[: len(part)])[0, 1])


def test_a_48k_handler_hears_the_peer_at_the_decoders_rate_and_is_played_at_its_own() -> None:
    need(fastrtc is not None, "the fastrtc extra is not installed")
    voice = speech_48k(AUDIO_FIXTURES / "hello_world_16k.wav", tail_s=1.5)

    async def main() -> None:
        client = RtcClient()
        server = await WebRTCTransport.answer(await client.offer(), LOOPBACK)
        handler = echo_handler()
        backend = FastRTCBackend(handler)
        session = Session(capabilities=backend.capabilities, transport="webrtc")
        driver = asyncio.create_task(SessionDriver(server, session, backend).run())
        await client.accept(server.local_sdp)
        try:
            await client.wait_for("session.created")
            client.mic.say(voice)
            started = await client.wait_for("output_audio_buffer.started", 20)
            stopped = await client.wait_for("output_audio_buffer.stopped", 20)
            assert server.hearing_rate is None  # as the decoder gives it: never resampled
            assert {rate for rate, _ in handler.got} == {RATE}
            assert {shape for _, shape in handler.got} == {(1, 960)}  # 20 ms, as decoded
            t0, t1 = client.time_of(started), client.time_of(stopped)
            heard = client.audio_between(t0 - 0.2, t1 + 0.5)
            speech = voice[int(0.5 * RATE) : int(1.5 * RATE)]  # "hello world" itself
            lag, corr = best_lag(heard, speech)
            level = rms(heard[lag : lag + len(speech)]) / rms(speech)
            print(f"echo over {t1 - t0:.3f} s; corr {corr:.3f}, level {level:.2f}")
            assert corr > 0.8, corr
            # as the echo back-end's test: aiortc's mono peer loses 3 dB on the way in
            assert abs(level - 0.71) < 0.1, level
        finally:
            await client.close()
            await asyncio.wait_for(driver, 10)
            await server.close()
            await asyncio.sleep(0.1)  # aiortc's own send callbacks finish
        left = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        assert left == [], left

    run(main)
