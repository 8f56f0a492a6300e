"""A browser-like WebRTC client written with plain aiortc, for the WebRTC tests.

It does what a page does: one sendrecv audio track (a "microphone" the test feeds),
an `oai-events` data channel, an offer posted without candidates. It records every
event and every received audio frame with the time it arrived, so tests can check
order, audio and pacing. It gathers on 127.0.0.1 only: nothing leaves loopback.
"""

from __future__ import annotations

import asyncio
import fractions
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from aiortc import RTCConfiguration, RTCPeerConnection, RTCRtpSender, RTCSessionDescription
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack
from av import AudioFrame

from realtime_sdk._compat.aiortc import loopback_candidates
from realtime_sdk.audio import StreamingResampler, read_wav, resample

RATE = 48000
FRAME = RATE // 50


def run(script: Callable[[], Awaitable[None]], timeout: float = 60) -> None:
    """Run one test's async script on a fresh loop, bounded in time."""

    async def main() -> None:
        async with asyncio.timeout(timeout):
            await script()

    asyncio.run(main())


def rms(x: np.ndarray) -> float:
    return float(np.sqrt(np.mean(x.astype(np.float64) ** 2))) if len(x) else 0.0


def speech_48k(path: Any, tail_s: float = 1.0) -> np.ndarray:
    """A speech fixture at 48 kHz with `tail_s` of silence after it."""
    rate, samples = read_wav(path)
    voice = resample(samples, rate, RATE)
    return np.concatenate([voice, np.zeros(int(RATE * tail_s), dtype=np.int16)])


class Microphone(MediaStreamTrack):
    """Silence, or what the test queued, in 20 ms frames on aiortc's own clock rule."""

    kind = "audio"

    def __init__(self) -> None:
        super().__init__()
        self._pending = np.zeros(0, dtype=np.int16)
        self._sent = 0
        self._start: float | None = None
        self.left_at: list[float] = []  # when each frame was handed to the sender

    def say(self, samples: np.ndarray) -> None:
        self._pending = np.concatenate([self._pending, samples.astype(np.int16)])

    async def recv(self) -> AudioFrame:
        if self.readyState != "live":
            raise MediaStreamError
        loop = asyncio.get_running_loop()
        if self._start is None:
            self._start = loop.time()
        else:
            await asyncio.sleep(max(0.0, self._start + self._sent / RATE - loop.time()))
        chunk = np.zeros(FRAME, dtype=np.int16)
        n = min(FRAME, len(self._pending))
        chunk[:n] = self._pending[:n]
        self._pending = self._pending[n:]
        frame = AudioFrame.from_ndarray(chunk.reshape(1, -1), format="s16", layout="mono")
        frame.sample_rate = RATE
        frame.pts = self._sent
        frame.time_base = fractions.Fraction(1, RATE)
        self._sent += FRAME
        self.left_at.append(loop.time())
        return frame


@dataclass
class Heard:
    """One received audio frame: when it arrived and its mono samples at 48 kHz."""

    at: float
    samples: np.ndarray


class RtcClient:
    def __init__(self, codecs: tuple[str, ...] = ()) -> None:
        """`codecs`: offer only these (e.g. "audio/PCMU"); default: all of aiortc's."""
        self.pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        self.mic = Microphone()
        transceiver = self.pc.addTransceiver(self.mic, direction="sendrecv")
        if codecs:
            offered = RTCRtpSender.getCapabilities("audio").codecs
            transceiver.setCodecPreferences([c for c in offered if c.mimeType in codecs])
        self.rates: set[int] = set()
        self.channel = self.pc.createDataChannel("oai-events")
        self.events: list[dict[str, Any]] = []
        self.event_times: list[float] = []
        self.heard: list[Heard] = []
        self._arrived = asyncio.Event()
        self._reader: asyncio.Task[None] | None = None
        self.opened = asyncio.Event()
        self.channel.on("open", self.opened.set)
        self.channel.on("message", self._on_message)
        self.pc.on("track", self._on_track)

    async def offer(self) -> str:
        """The offer as a browser posts it: no candidates (we gather, then strip them)."""
        with loopback_candidates("only"):
            await self.pc.setLocalDescription(await self.pc.createOffer())
        lines = self.pc.localDescription.sdp.splitlines()
        kept = [x for x in lines if not x.startswith(("a=candidate:", "a=end-of-candidates"))]
        return "\r\n".join(kept) + "\r\n"

    async def accept(self, answer: str) -> None:
        await self.pc.setRemoteDescription(RTCSessionDescription(sdp=answer, type="answer"))

    def send(self, event: dict[str, Any]) -> None:
        self.channel.send(json.dumps(event))

    def _on_message(self, message: str | bytes) -> None:
        self.events.append(json.loads(message))
        self.event_times.append(asyncio.get_running_loop().time())
        self._arrived.set()

    def _on_track(self, track: MediaStreamTrack) -> None:
        self._reader = asyncio.ensure_future(self._read(track))

    async def _read(self, track: MediaStreamTrack) -> None:
        loop = asyncio.get_running_loop()
        resampler: StreamingResampler | None = None
        try:
            while True:
                frame = await track.recv()
                assert isinstance(frame, AudioFrame)
                data = frame.to_ndarray().reshape(-1, frame.layout.nb_channels)
                mono = data.mean(axis=1).astype(np.int16)
                self.rates.add(frame.sample_rate)
                if resampler is None or resampler.in_rate != frame.sample_rate:
                    resampler = StreamingResampler(frame.sample_rate, RATE)
                self.heard.append(Heard(loop.time(), resampler.process(mono)))
        except MediaStreamError:
            pass

    async def wait_for(self, kind: str, timeout: float = 10.0, after: int = 0) -> dict[str, Any]:
        """The first event of type `kind` at index >= `after`, waiting for it."""

        def found() -> dict[str, Any] | None:
            return next((e for e in self.events[after:] if e["type"] == kind), None)

        async def wait() -> dict[str, Any]:
            while (event := found()) is None:
                self._arrived.clear()
                await self._arrived.wait()
            return event

        return await asyncio.wait_for(wait(), timeout)

    def types(self) -> list[str]:
        return [e["type"] for e in self.events]

    def time_of(self, event: dict[str, Any]) -> float:
        return self.event_times[next(i for i, e in enumerate(self.events) if e is event)]

    def audio_between(self, start: float, end: float) -> np.ndarray:
        chunks = [h.samples for h in self.heard if start <= h.at <= end]
        return np.concatenate(chunks) if chunks else np.zeros(0, dtype=np.int16)

    async def close(self) -> None:
        self.mic.stop()
        await self.pc.close()
        if self._reader is not None:
            self._reader.cancel()
            await asyncio.gather(self._reader, return_exceptions=True)
