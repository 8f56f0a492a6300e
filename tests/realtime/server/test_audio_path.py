"""The driver's audio path over a call (WebRTC, minus RTP) to a FastRTC handler: audio at the
handler's rate goes to it, and from it to the player, as it came; the session keeps its own
format's copy, as before.

The call is a stand-in for `WebRTCTransport` as the driver sees it: peer audio in as
`InputFrame`s (mono int16 at the decoder's rate, or at the rate `hear_at` asked for), and
a record of what it was asked to play.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import numpy as np
import pytest
from helpers.need import need

from realtime_sdk.audio import PCM24K, PCMU, WireEncoder, decode
from realtime_sdk.backends.fastrtc import FastRTCBackend
from realtime_sdk.realtime.protocol.ids import Ids
from realtime_sdk.realtime.protocol.session import Session
from realtime_sdk.realtime.server.driver import SessionDriver
from realtime_sdk.transports.base import AudioTag, InputFrame, Played

try:
    import fastrtc
except ImportError:
    fastrtc = None

PEER_RATE = 48000  # what an Opus decoder gives
G711 = {
    "audio": {
        "input": {"format": {"type": "audio/pcmu"}},
        "output": {"format": {"type": "audio/pcmu"}},
    }
}


class Call:
    """What the driver sees of a WebRTC call: a Transport and an AudioTransport."""

    def __init__(self) -> None:
        self.inbox: asyncio.Queue[Any] = asyncio.Queue()
        self.events: list[dict[str, Any]] = []
        self.played: list[tuple[np.ndarray, int]] = []  # (samples, rate) per send_audio
        self.heard_at: list[int] = []  # every hear_at the driver asked for

    async def recv(self) -> Any:
        return await self.inbox.get()

    async def send(self, text: str) -> None:
        self.events.append(json.loads(text))

    async def close(self, code: int = 1000, reason: str = "") -> None:
        self.inbox.put_nowait(None)

    async def send_audio(self, samples: np.ndarray, rate: int, tag: AudioTag | None) -> None:
        self.played.append((samples.copy(), rate))

    async def room(self) -> None:
        return None

    def finish_audio(self, response_id: str) -> None:
        pass

    def clear_audio(self) -> Played | None:
        return None

    def hear_at(self, rate: int) -> None:
        self.heard_at.append(rate)

    def types(self) -> list[str]:
        return [e["type"] for e in self.events]

    async def until(self, kind: str, timeout: float = 10.0) -> None:
        async with asyncio.timeout(timeout):
            while kind not in self.types():
                await asyncio.sleep(0.01)


def echo_handler(rate_in: int, rate_out: int) -> Any:
    """An async FastRTC handler that says back each frame it hears, at `rate_out` (the
    frames it got are in ``got``). ``copy()`` gives itself, so the test sees its frames."""

    class Echo(fastrtc.AsyncStreamHandler):  # type: ignore[misc,name-defined]
        def __init__(self) -> None:
            super().__init__(input_sample_rate=rate_in, output_sample_rate=rate_out)
            self.got: list[tuple[int, np.ndarray]] = []
            self.queue: asyncio.Queue[tuple[int, np.ndarray]] = asyncio.Queue()

        async def receive(self, frame: tuple[int, np.ndarray]) -> None:
            self.got.append(frame)
            rate, samples = frame
            if rate != rate_out:  # a test that changes rates on the way says so
                samples = samples[:, :: rate // rate_out] if rate > rate_out else samples
            self.queue.put_nowait((rate_out, samples))

        async def emit(self) -> tuple[int, np.ndarray]:
            return await self.queue.get()

        def copy(self) -> Echo:
            return self

    return Echo()


def voice(rate: int, frames: int, seed: int = 0) -> list[np.ndarray]:
    """`frames` 20 ms frames of a loud tone with noise on it (every sample distinct enough
    that a resampled copy cannot pass for the original)."""
    n = rate // 50
    t = np.arange(frames * n) / rate
    noise = np.random.default_rng(seed).normal(0, 800, len(t))
    x = np.clip(6000 * np.sin(2 * np.pi * 440 * t) + noise, -32768, 32767).astype(np.int16)
    return [x[k * n : (k + 1) * n] for k in range(frames)]


async def serve(handler: Any, config: dict[str, Any] | None = None) -> tuple[Call, Session, Any]:
    need(fastrtc is not None, "the fastrtc extra is not installed")
    call = Call()
    backend = FastRTCBackend(handler, end_of_turn_s=0.2)
    session = Session(
        ids=Ids.counting(), capabilities=backend.capabilities, transport="webrtc", config=config
    )
    task = asyncio.create_task(SessionDriver(call, session, backend).run())
    return call, session, task


async def say(call: Call, frames: list[np.ndarray], rate: int) -> None:
    for frame in frames:
        call.inbox.put_nowait(InputFrame(frame, rate))
        await asyncio.sleep(0.002)


def run(script: Any) -> None:
    asyncio.run(asyncio.wait_for(script(), 30))


def test_a_48k_handler_hears_a_48k_peer_as_it_came_and_is_played_as_it_spoke() -> None:
    """No resampling between the peer's decoder and the handler, none between the handler
    and the player: the echo the player gets is the peer's audio, sample for sample. The
    session still keeps its own format (24 kHz PCM), exactly as converting the same audio
    gives it, and the transport was never asked to hear at another rate."""
    need(fastrtc is not None, "the fastrtc extra is not installed")
    frames = voice(PEER_RATE, 25)

    async def script() -> None:
        handler = echo_handler(PEER_RATE, PEER_RATE)
        call, session, task = await serve(handler)
        await say(call, frames, PEER_RATE)
        await call.until("response.done")
        assert call.heard_at == []  # the peer is heard at the decoder's rate
        got = np.concatenate([samples.reshape(-1) for _, samples in handler.got])
        assert {rate for rate, _ in handler.got} == {PEER_RATE}
        assert [samples.shape for _, samples in handler.got] == [(1, 960)] * len(frames)
        assert np.array_equal(got, np.concatenate(frames))  # never resampled
        played = np.concatenate([samples for samples, _ in call.played])
        assert {rate for _, rate in call.played} == {PEER_RATE}
        assert np.array_equal(played, np.concatenate(frames))  # nor on the way back

        mic = WireEncoder(PEER_RATE, PCM24K)  # what the session keeps: its own format
        heard = b"".join(mic.process(frame) for frame in frames)
        assert bytes(session.input_buffer.kept) == heard
        reply = WireEncoder(PEER_RATE, PCM24K)
        said = b"".join(reply.process(frame) for frame in frames) + reply.flush()
        item = session.conversation.items()[-1]
        assert item.data["role"] == "assistant"
        assert bytes(item.audio[0]) == said
        assert item.audio_ms(0) == 500
        await call.close()
        await task

    run(script)


def test_a_24k_handler_is_heard_at_the_session_rate_and_gets_those_samples() -> None:
    """A handler at the session's rate: the peer is heard at 24 kHz (one conversion, in the
    transport), and those samples go to the handler and back to the player unchanged."""
    need(fastrtc is not None, "the fastrtc extra is not installed")
    first = voice(PEER_RATE, 1)
    frames = voice(24000, 25, seed=1)

    async def script() -> None:
        handler = echo_handler(24000, 24000)
        call, _, task = await serve(handler)
        await say(call, first, PEER_RATE)
        await asyncio.sleep(0.05)
        assert call.heard_at == [24000]
        await say(call, frames, 24000)
        await call.until("response.done")
        assert call.heard_at == [24000]
        got = [samples.reshape(-1) for _, samples in handler.got]
        # the first frame's conversion (and its held-back tail), then the frames as sent
        assert np.array_equal(np.concatenate(got[-len(frames) :]), np.concatenate(frames))
        assert {rate for _, rate in call.played} == {24000}
        played = np.concatenate([samples for samples, _ in call.played])
        assert np.array_equal(played, np.concatenate(got))  # the echo, as the handler said it
        await call.close()
        await task

    run(script)


@pytest.mark.parametrize("rate", [PEER_RATE, 16000])
def test_a_g711_session_hears_and_plays_what_its_format_keeps(rate: int) -> None:
    """G.711 is lossy: a handler at any rate hears the session's 8 kHz mu-law converted
    back, and the player plays the mu-law the session keeps, as they did before."""
    need(fastrtc is not None, "the fastrtc extra is not installed")
    frames = voice(PEER_RATE, 25)

    async def script() -> None:
        handler = echo_handler(rate, 8000)
        call, session, task = await serve(handler, G711)
        await say(call, frames, PEER_RATE)
        await call.until("response.done")
        assert call.heard_at == [8000]
        assert {r for r, _ in handler.got} == {rate}
        assert {r for _, r in call.played} == {8000}
        item = session.conversation.items()[-1]
        played = np.concatenate([samples for samples, _ in call.played])
        assert np.array_equal(played, decode(bytes(item.audio[0]), PCMU))
        await call.close()
        await task

    run(script)
