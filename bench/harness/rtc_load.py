"""WebRTC load: aiortc client peers with Opus both ways, in processes of their own.

Each peer does what a browser page does against `POST /v1/realtime/calls`: one
sendrecv audio track offered with Opus only, an `oai-events` data channel, an offer
posted without candidates; it gathers on 127.0.0.1 only. Its microphone plays a
440 Hz tone in real time whose level jumps for 100 ms once a second. Opus keeps no
sample exact, so those jumps are the markers: the time from sending one to hearing it
back is the round trip, and its growth over the run is the drift. The audio heard
over the measured window, against the window's length, says whether the return
stream keeps real time.
"""

from __future__ import annotations

import asyncio
import contextlib
import fractions
import multiprocessing as mp
import time
from multiprocessing.connection import Connection
from typing import Any

import numpy as np

RATE = 48000
FRAME = RATE // 50
PERIOD = 50  # frames between markers (1 s)
LOUD_FRAMES = 5
LOUD, QUIET = 12000, 1500
THRESHOLD = 6000  # a heard frame's peak over this (after being under it) is a marker


def _peer_classes() -> Any:
    """The aiortc pieces, imported in the generator process only."""
    from aiortc import RTCConfiguration, RTCPeerConnection, RTCRtpSender, RTCSessionDescription
    from aiortc.mediastreams import MediaStreamError, MediaStreamTrack
    from av import AudioFrame

    class Microphone(MediaStreamTrack):
        kind = "audio"

        def __init__(self) -> None:
            super().__init__()
            self.sent = 0
            self.start: float | None = None
            self.markers: list[float] = []  # when each marker's first frame was handed over
            t = np.arange(FRAME * PERIOD)
            tone = np.sin(2 * np.pi * 440 * t / RATE)
            level = np.where(t < FRAME * LOUD_FRAMES, LOUD, QUIET)
            self.pattern = (tone * level).astype(np.int16)

        async def recv(self) -> Any:
            if self.readyState != "live":
                raise MediaStreamError
            if self.start is None:
                self.start = time.monotonic()
            else:
                await asyncio.sleep(max(0.0, self.start + self.sent / RATE - time.monotonic()))
            index = (self.sent // FRAME) % PERIOD
            if index == 0:
                self.markers.append(time.monotonic())
            chunk = self.pattern[index * FRAME : (index + 1) * FRAME]
            frame = AudioFrame.from_ndarray(chunk.reshape(1, -1), format="s16", layout="mono")
            frame.sample_rate = RATE
            frame.pts = self.sent
            frame.time_base = fractions.Fraction(1, RATE)
            self.sent += FRAME
            return frame

    return (
        RTCConfiguration,
        RTCPeerConnection,
        RTCRtpSender,
        RTCSessionDescription,
        MediaStreamError,
        Microphone,
    )


class Peer:
    def __init__(self, classes: Any) -> None:
        config, connection, sender, self._description, self._ended, mic = classes
        self.pc = connection(config(iceServers=[]))
        self.mic = mic()
        transceiver = self.pc.addTransceiver(self.mic, direction="sendrecv")
        opus = [c for c in sender.getCapabilities("audio").codecs if c.mimeType == "audio/opus"]
        transceiver.setCodecPreferences(opus)
        self.channel = self.pc.createDataChannel("oai-events")
        self.heard: list[tuple[float, int, int]] = []  # (arrival, samples, peak) per frame
        self.codecs: set[str] = set()
        self.reader: asyncio.Task[None] | None = None
        self.pc.on("track", self._on_track)

    async def connect(self, http: Any, url: str) -> None:
        from realtime_sdk._compat.aiortc import loopback_candidates

        with loopback_candidates("only"):
            await self.pc.setLocalDescription(await self.pc.createOffer())
        lines = self.pc.localDescription.sdp.splitlines()
        offer = "\r\n".join(x for x in lines if not x.startswith(("a=candidate:", "a=end-of")))
        reply = await http.post(
            url,
            content=offer + "\r\n",
            headers={"Content-Type": "application/sdp", "Authorization": "Bearer sk-bench"},
        )
        reply.raise_for_status()
        answer = self._description(sdp=reply.text, type="answer")
        await self.pc.setRemoteDescription(answer)
        for line in reply.text.splitlines():
            if line.startswith("a=rtpmap:"):
                self.codecs.add(line.split(" ", 1)[1].split("/")[0])

    def _on_track(self, track: Any) -> None:
        self.reader = asyncio.ensure_future(self._read(track))

    async def _read(self, track: Any) -> None:
        with contextlib.suppress(self._ended, asyncio.CancelledError):
            while True:
                frame = await track.recv()
                data = frame.to_ndarray()
                peak = int(np.abs(data).max()) if data.size else 0
                samples = frame.samples * RATE // frame.sample_rate
                self.heard.append((time.monotonic(), samples, peak))

    async def close(self) -> None:
        self.mic.stop()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.pc.close(), 5)
        if self.reader is not None:
            self.reader.cancel()
            await asyncio.gather(self.reader, return_exceptions=True)

    async def lost_packets(self) -> int:
        """Packets this peer's receiver found missing (inbound RTP statistics)."""
        stats = (await self.pc.getStats()).values()
        return sum(getattr(s, "packetsLost", 0) or 0 for s in stats if s.type == "inbound-rtp")

    def figures(self, begin: float, end: float) -> dict[str, Any]:
        """Round trips of the markers sent in [begin, end), and the audio heard then."""
        onsets = []
        below = True
        for at, _, peak in self.heard:
            if below and peak > THRESHOLD:
                onsets.append(at)
            below = peak <= THRESHOLD
        rtts, sent_at = [], []
        for sent in self.mic.markers:
            if begin <= sent < end:
                # the first onset after it was sent, and before the next marker was
                later = [o for o in onsets if sent < o < sent + PERIOD / 50 * 0.9]
                rtts.append((later[0] - sent) * 1000 if later else None)
                sent_at.append(sent - begin)
        heard_s = sum(n for at, n, _ in self.heard if begin <= at < end) / RATE
        return {"rtts": rtts, "at": sent_at, "heard_s": heard_s, "codecs": sorted(self.codecs)}


async def _generate(url: str, count: int, pipe: Connection) -> dict[str, Any]:
    import httpx

    classes = _peer_classes()
    loop = asyncio.get_running_loop()
    peers = [Peer(classes) for _ in range(count)]
    failed = 0
    async with httpx.AsyncClient(timeout=30) as http:
        for peer in peers:  # one after another: each answer is a server-side ICE gathering
            try:
                await peer.connect(http, url)
            except Exception:
                failed += 1
    pipe.send(("ready", count - failed))
    begin, end = await loop.run_in_executor(None, pipe.recv)
    await asyncio.sleep(max(0.0, end - time.monotonic()) + 1.5)  # late markers come in too
    heard = [p for p in peers if p.reader is not None]
    figures = [p.figures(begin, end) | {"lost": await p.lost_packets()} for p in heard]
    await asyncio.gather(*(p.close() for p in peers))
    return {"peers": figures, "failed": failed + sum(p.reader is None for p in peers)}


def _child(url: str, count: int, pipe: Connection) -> None:
    try:
        pipe.send(("done", asyncio.run(_generate(url, count, pipe))))
    except Exception as exc:
        pipe.send(("error", repr(exc)))


def run_level(
    url: str, sessions: int, *, seconds: float, warmup: float, generators: int, sampler: Any
) -> dict[str, Any]:
    ctx = mp.get_context("spawn")
    counts = [sessions // generators + (i < sessions % generators) for i in range(generators)]
    procs, pipes = [], []
    for count in counts:
        mine, theirs = ctx.Pipe()
        proc = ctx.Process(target=_child, args=(url, count, theirs), daemon=True)
        proc.start()
        procs.append(proc)
        pipes.append(mine)
    try:
        for pipe in pipes:
            if not pipe.poll(60 + 5 * sessions):
                raise RuntimeError("a WebRTC generator did not get ready")
            kind, value = pipe.recv()
            if kind != "ready":
                raise RuntimeError(f"WebRTC generator: {value}")
        begin = time.monotonic() + warmup
        end = begin + seconds
        for pipe in pipes:
            pipe.send((begin, end))
        time.sleep(max(0.0, begin - time.monotonic()))
        sampler.window()
        time.sleep(max(0.0, end - time.monotonic()))
        cpu, rss = sampler.cpu_percent(), sampler.peak_rss()
        parts = []
        for pipe in pipes:
            if not pipe.poll(60):
                raise RuntimeError("a WebRTC generator did not finish")
            kind, value = pipe.recv()
            if kind != "done":
                raise RuntimeError(f"WebRTC generator: {value}")
            parts.append(value)
    finally:
        for proc in procs:
            proc.join(10)
            if proc.is_alive():
                proc.kill()
    peers = [p for part in parts for p in part["peers"]]
    rtts = [r for p in peers for r in p["rtts"] if r is not None]
    missed = sum(r is None for p in peers for r in p["rtts"])
    slopes = []  # ms of round trip gained per second: a least-squares line per peer
    for p in peers:
        points = [(t, r) for t, r in zip(p["at"], p["rtts"], strict=True) if r is not None]
        if len(points) >= 4:
            slope = np.polyfit([t for t, _ in points], [r for _, r in points], 1)[0]
            slopes.append(float(slope))
    realtime = [p["heard_s"] / seconds for p in peers]
    ordered = sorted(rtts)
    return {
        "sessions": sessions,
        "connected": len(peers),
        "failed": sum(part["failed"] for part in parts),
        "codecs": sorted({c for p in peers for c in p["codecs"]}),
        "p50_ms": ordered[len(ordered) // 2] if ordered else float("nan"),
        "p99_ms": ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))]
        if ordered
        else float("nan"),
        "markers": len(rtts),
        "missed_markers": missed,
        "drift_ms_per_s": max(slopes, key=abs) if slopes else float("nan"),
        "peer_drifts_ms_per_s": slopes,
        "lost_packets": sum(p.get("lost", 0) for p in peers),  # as the peers' receivers saw
        "drift_ms": max(slopes, key=abs) * seconds if slopes else float("nan"),
        "heard_ratio_min": min(realtime) if realtime else float("nan"),
        "server_cpu_percent": cpu,
        "server_rss_mib": rss,
    }
