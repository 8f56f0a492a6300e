"""Sessions and calls that end, round after round, and what a server process keeps of them.

- `usage(pid)`: a process's threads (by name), open file descriptors and resident memory,
  read from /proc (psutil is not needed);
- `ws_drops(url, n)`: n websocket sessions, each asked for a long spoken reply and dropped
  (the TCP connection aborted, no close frame) once the reply's audio is streaming;
- `rtc_calls(base, n, end)`: n WebRTC calls from aiortc peers in a process of their own, each
  connected, talking (a tone on the microphone, a spoken reply back) and then ended:
  ``hangup`` (`POST /v1/realtime/calls/{id}/hangup`, then the peer closes), ``vanish`` (the
  peers' process is killed: the server learns it only from ICE consent failing) or
  ``unconnected`` (an answer is taken and the peer is killed before ICE starts: the
  server's connect timeout ends the call).

Used by bench/bench_disconnect.py and tests/server/test_disconnect.py.
"""

from __future__ import annotations

import asyncio
import contextlib
import fractions
import json
import multiprocessing as mp
import os
import re
import time
from collections import Counter
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import numpy as np

RATE = 48000
FRAME = RATE // 50
WORDS = 300  # the spoken reply asked for: a minute of audio, still streaming when dropped
ENDS = ("hangup", "vanish", "unconnected")
# asyncio's default executor (aiortc encodes there): threads it starts as needed and keeps
EXECUTOR_THREADS = min(32, (os.cpu_count() or 1) + 4)


@dataclass
class Usage:
    threads: int
    fds: int
    rss_mib: float
    names: Counter[str] = field(default_factory=Counter)  # threads by name (/proc comm)

    def row(self) -> str:
        return f"threads {self.threads:>4}  fds {self.fds:>4}  RSS {self.rss_mib:7.1f} MiB"


def _status_field(status: str, name: str) -> int:
    found = re.search(rf"^{name}:\s+(\d+)", status, re.MULTILINE)
    if found is None:
        raise RuntimeError(f"no {name} in /proc/<pid>/status")
    return int(found[1])


def usage(pid: int) -> Usage:
    """Threads, fds and RSS of one process (not its children)."""
    proc = Path(f"/proc/{pid}")
    status = (proc / "status").read_text()
    names: Counter[str] = Counter()
    for task in (proc / "task").iterdir():
        with contextlib.suppress(OSError):  # a thread that just ended
            names[(task / "comm").read_text().strip()] += 1
    return Usage(
        _status_field(status, "Threads"),
        len(os.listdir(proc / "fd")),
        _status_field(status, "VmRSS") / 1024,
        names,
    )


def settled(
    pid: int, threads: int, fds: int, *, within: float, poll: float = 0.5
) -> tuple[Usage, float]:
    """Wait (at most `within` s) until the process has at most `threads` threads and `fds`
    descriptors; its usage then (or at the deadline) and the seconds waited."""
    start = time.monotonic()
    while True:
        now = usage(pid)
        waited = time.monotonic() - start
        if (now.threads <= threads and now.fds <= fds) or waited >= within:
            return now, waited
        time.sleep(poll)


def text_turn(text: str) -> list[str]:
    """A user message and `response.create`: the echo back-end speaks the words back."""
    content = [{"type": "input_text", "text": text}]
    item = {"type": "message", "role": "user", "content": content}
    create = {"type": "conversation.item.create", "item": item}
    return [json.dumps(create), json.dumps({"type": "response.create"})]


# -- websocket sessions dropped mid-response ------------------------------------------


async def _dropped_session(url: str) -> bool:
    from websockets.asyncio.client import connect

    ws = await connect(url, max_size=None, open_timeout=20)
    try:
        async with asyncio.timeout(20):
            while json.loads(await ws.recv())["type"] != "session.created":
                pass
            for event in text_turn(" ".join(f"word{i % 50}" for i in range(WORDS))):
                await ws.send(event)
            while json.loads(await ws.recv())["type"] != "response.output_audio.delta":
                pass
        return True
    except (TimeoutError, OSError, ValueError):
        return False
    finally:
        ws.transport.abort()  # no close frame, no FIN first: the client is just gone


async def ws_drops(url: str, sessions: int, concurrency: int = 20) -> int:
    """`sessions` sessions dropped once their reply streams; how many got that far."""
    gate = asyncio.Semaphore(concurrency)

    async def one() -> bool:
        async with gate:
            try:
                return await _dropped_session(url)
            except Exception:
                return False

    return sum(await asyncio.gather(*(one() for _ in range(sessions))))


# -- WebRTC calls -----------------------------------------------------------------------


def _microphone() -> Any:
    from aiortc.mediastreams import MediaStreamError, MediaStreamTrack
    from av import AudioFrame

    class Microphone(MediaStreamTrack):
        """A quiet 440 Hz tone in real time (sound, so the server's VAD runs on it)."""

        kind = "audio"

        def __init__(self) -> None:
            super().__init__()
            self.sent = 0
            self.start: float | None = None
            t = np.arange(FRAME)
            self.tone = (2000 * np.sin(2 * np.pi * 440 * t / RATE)).astype(np.int16)

        async def recv(self) -> Any:
            if self.readyState != "live":
                raise MediaStreamError
            if self.start is None:
                self.start = time.monotonic()
            else:
                await asyncio.sleep(max(0.0, self.start + self.sent / RATE - time.monotonic()))
            frame = AudioFrame.from_ndarray(self.tone.reshape(1, -1), format="s16", layout="mono")
            frame.sample_rate = RATE
            frame.pts = self.sent
            frame.time_base = fractions.Fraction(1, RATE)
            self.sent += FRAME
            return frame

    return Microphone


class _Peer:
    def __init__(self, microphone: Any) -> None:
        from aiortc import RTCConfiguration, RTCPeerConnection

        self.pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        self.mic = microphone()
        self.pc.addTransceiver(self.mic, direction="sendrecv")
        self.channel = self.pc.createDataChannel("oai-events")
        self.events: asyncio.Queue[str] = asyncio.Queue()
        self.channel.on("message", self.events.put_nowait)
        self.heard = 0  # audio frames received
        self.reader: asyncio.Task[None] | None = None
        self.pc.on("track", self._on_track)
        self.call_id = ""

    def _on_track(self, track: Any) -> None:
        self.reader = asyncio.ensure_future(self._read(track))

    async def _read(self, track: Any) -> None:
        from aiortc.mediastreams import MediaStreamError

        with contextlib.suppress(MediaStreamError, asyncio.CancelledError):
            while True:
                await track.recv()
                self.heard += 1

    async def offer(self, http: Any, base: str) -> str:
        """Post the offer as a browser does (no candidates); the answer's SDP."""
        from realtime_sdk._compat.aiortc import loopback_candidates

        with loopback_candidates("only"):
            await self.pc.setLocalDescription(await self.pc.createOffer())
        lines = self.pc.localDescription.sdp.splitlines()
        offer = "\r\n".join(x for x in lines if not x.startswith(("a=candidate:", "a=end-of")))
        reply = await http.post(
            f"{base}/v1/realtime/calls?model=gpt-realtime",
            content=offer + "\r\n",
            headers={"Content-Type": "application/sdp", "Authorization": "Bearer sk-churn"},
        )
        reply.raise_for_status()
        self.call_id = reply.headers["location"].rsplit("/", 1)[1]
        return str(reply.text)

    async def connect(self, http: Any, base: str) -> None:
        """Connected, `session.created` seen, a spoken reply asked for and under way."""
        from aiortc import RTCSessionDescription

        answer = await self.offer(http, base)
        await self.pc.setRemoteDescription(RTCSessionDescription(sdp=answer, type="answer"))
        async with asyncio.timeout(20):
            while json.loads(await self.events.get())["type"] != "session.created":
                pass
            for event in text_turn("one two three four five six"):
                self.channel.send(event)
            while json.loads(await self.events.get())["type"] != "output_audio_buffer.started":
                pass

    async def close(self) -> None:
        self.mic.stop()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.pc.close(), 5)
        if self.reader is not None:
            self.reader.cancel()
            await asyncio.gather(self.reader, return_exceptions=True)


async def _peers(base: str, count: int, end: str, talk_s: float, pipe: Connection) -> None:
    import httpx

    microphone = _microphone()
    peers = [_Peer(microphone) for _ in range(count)]
    async with httpx.AsyncClient(timeout=30) as http:
        if end == "unconnected":
            for peer in peers:
                await peer.offer(http, base)
            pipe.send(("ready", [p.call_id for p in peers]))
            await asyncio.sleep(3600)  # killed
        connecting = (peer.connect(http, base) for peer in peers)
        results = await asyncio.gather(*connecting, return_exceptions=True)
        failed = [repr(r) for r in results if isinstance(r, BaseException)]
        if failed:
            pipe.send(("error", failed[0]))
            return
        await asyncio.sleep(talk_s)  # audio both ways, the server's VAD hearing the tone
        pipe.send(("ready", [p.call_id for p in peers]))
        if end == "vanish":
            await asyncio.sleep(3600)  # killed, mid-call
        for peer in peers:
            reply = await http.post(f"{base}/v1/realtime/calls/{peer.call_id}/hangup")
            reply.raise_for_status()
        await asyncio.gather(*(p.close() for p in peers))
        pipe.send(("done", sum(p.heard for p in peers)))


def _child(base: str, count: int, end: str, talk_s: float, pipe: Connection) -> None:
    try:
        asyncio.run(_peers(base, count, end, talk_s, pipe))
    except Exception as exc:
        pipe.send(("error", repr(exc)))


def rtc_calls(base: str, calls: int, end: str, *, talk_s: float = 1.0) -> list[str]:
    """`calls` WebRTC calls made, talked on and ended the `end` way; their ids.

    The peers live in a process of their own, so that ``vanish`` can kill them mid-call.
    """
    if end not in ENDS:
        raise ValueError(f"end: one of {', '.join(ENDS)}")
    ctx = mp.get_context("spawn")
    mine, theirs = ctx.Pipe()
    proc = ctx.Process(target=_child, args=(base, calls, end, talk_s, theirs), daemon=True)
    proc.start()
    try:
        if not mine.poll(60 + 3 * calls):
            raise RuntimeError("the WebRTC peers did not connect")
        kind, value = mine.recv()
        if kind != "ready":
            raise RuntimeError(f"WebRTC peers: {value}")
        ids: list[str] = value
        if end == "hangup":
            if not mine.poll(30 + calls):
                raise RuntimeError("the WebRTC peers did not hang up")
            kind, detail = mine.recv()
            if kind != "done":
                raise RuntimeError(f"WebRTC peers: {detail}")
        return ids
    finally:
        if end != "hangup":
            proc.kill()  # gone without a word: no hangup, no DTLS close, no SCTP abort
        proc.join(10)
        if proc.is_alive():
            proc.kill()
            proc.join(5)
