"""The WebRTC transport, client side: a call made over HTTP, events and audio over RTP.

`open()` makes an offer on the shared `WebRTCTransport` (one sendrecv audio track and
the `oai-events` data channel), POSTs it to `<base>/realtime/calls` (raw SDP, or
multipart with a `session`), accepts the answer and keeps the call id from
`Location`; `close()` hangs the call up. One pump task reads the transport: events go
to `recv()`, received audio goes through a `HeardTracker` to the response it belongs
to. Audio the app appends is resampled to the track's rate and played on the
outgoing track, paced by its clock, as a microphone would send it.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from typing import Any
from urllib.parse import urlsplit

import httpx
import numpy as np

from ..audio import Int16Array, StreamingResampler
from ..transports.base import InputFrame
from ..transports.ice import IceConfig
from ..transports.webrtc import RATE, WebRTCTransport
from .heard import Heard, HeardAudio, HeardEnd, HeardTracker

log = logging.getLogger("realtime_sdk.client")

# the events the tracker needs; others are passed on without being parsed here
_PLAYBACK_MARKERS = ('"output_audio_buffer.', '"response.content_part.added"')
_HTTP_TIMEOUT_S = 30.0
_HANGUP_TIMEOUT_S = 5.0
START_GRACE_S = 2.0  # after response.done, how long its audio may take to start playing


class EventBacklogError(ConnectionError):
    """The app stopped reading events and too many piled up; the call was ended."""


class WebRTCClientTransport:
    """A `ClientTransport` for the connection, and the audio that travels beside it."""

    on_reconnect: Callable[[], Awaitable[None]] | None = None  # calls are not resumed

    def __init__(
        self,
        calls_url: str,
        *,
        headers: Mapping[str, str] | None = None,
        session: Mapping[str, Any] | None = None,
        ice: IceConfig | None = None,
        verify: Any = True,
        max_pending_events: int = 10_000,
    ) -> None:
        self.calls_url = calls_url
        self.headers = dict(headers or {})
        self.session = dict(session) if session is not None else None
        self.ice = ice or IceConfig()
        self.verify = verify
        self.max_pending_events = max_pending_events
        self.call_id: str | None = None
        self.rtc: WebRTCTransport | None = None
        self.tracker = HeardTracker()
        self._events: asyncio.Queue[str | bytes | None] = asyncio.Queue()
        self._heard: dict[str, list[Int16Array]] = {}
        self._heard_rate = RATE
        self._started: dict[str, asyncio.Event] = {}
        self._ended: dict[str, asyncio.Event] = {}
        self._changed = asyncio.Event()  # a response started or finished being heard
        self._listeners: set[asyncio.Queue[Heard | None]] = set()
        self._out: StreamingResampler | None = None
        self._pump: asyncio.Task[None] | None = None
        self._closed = False
        self._over = False  # the call ended (either side)

    # -- the call -----------------------------------------------------------------------
    async def open(self) -> None:
        """Offer, post, accept: the media then connects on its own (ICE, DTLS)."""
        host = urlsplit(self.calls_url).hostname
        ice = dataclasses.replace(self.ice, loopback=self.ice.for_peer(host))
        rtc = self.rtc = await WebRTCTransport.offer(ice)
        try:
            async with httpx.AsyncClient(verify=self.verify, timeout=_HTTP_TIMEOUT_S) as http:
                if self.session is None:
                    headers = {**self.headers, "Content-Type": "application/sdp"}
                    reply = await http.post(self.calls_url, content=rtc.local_sdp, headers=headers)
                else:
                    files = {
                        "sdp": (None, rtc.local_sdp, "application/sdp"),
                        "session": (None, json.dumps(self.session), "application/json"),
                    }
                    reply = await http.post(self.calls_url, files=files, headers=self.headers)
            reply.raise_for_status()
            self.call_id = reply.headers.get("location", "").rstrip("/").rsplit("/", 1)[-1] or None
            await rtc.accept(reply.text)
        except BaseException:
            await rtc.close()
            await self._hangup()  # a call made with an answer we could not use
            raise
        self._pump = asyncio.create_task(self._run(rtc), name="realtime-client-webrtc")

    @property
    def ended(self) -> bool:
        """The call is over (hung up by either side, or failed)."""
        return self._over

    async def _hangup(self) -> None:
        if self.call_id is None:
            return
        try:
            async with httpx.AsyncClient(verify=self.verify, timeout=_HANGUP_TIMEOUT_S) as http:
                await http.post(self._hangup_url(), headers=self.headers)
        except httpx.HTTPError as exc:  # the call may be gone already; ours ends anyway
            log.info("hangup of %s failed: %s", self.call_id, exc)

    def _hangup_url(self) -> str:
        parts = urlsplit(self.calls_url)
        path = parts.path.rstrip("/") + f"/{self.call_id}/hangup"
        return parts._replace(path=path, query="", fragment="").geturl()

    async def close(self) -> None:
        """Hang the call up (the server ends its session), then end our side."""
        if self._closed:
            return
        self._closed = self._over = True
        await self._hangup()
        if self.rtc is not None:
            await self.rtc.close()
        if self._pump is not None:
            self._pump.cancel()
            await asyncio.gather(self._pump, return_exceptions=True)
        self._finish_all()

    # -- events ---------------------------------------------------------------------------
    async def recv(self) -> str | bytes | None:
        item = await self._events.get()
        if item is None:
            self._events.put_nowait(None)  # every later call sees the end too
        return item

    async def send(self, text: str) -> None:
        if self.rtc is None or self._closed:
            raise ConnectionError("not connected")
        await self.rtc.send(text)

    async def _run(self, rtc: WebRTCTransport) -> None:
        loop = asyncio.get_running_loop()
        try:
            while (item := await rtc.recv()) is not None:
                now = loop.time()
                if isinstance(item, InputFrame):
                    self._heard_rate = item.rate
                    self._apply(self.tracker.frame(item.samples, item.rate, now))
                elif isinstance(item, str | bytes):
                    text = item.decode() if isinstance(item, bytes) else item
                    if any(marker in text for marker in _PLAYBACK_MARKERS):
                        self._playback_event(text, now)
                    if self._events.qsize() >= self.max_pending_events:
                        raise EventBacklogError(f"over {self.max_pending_events} events unread")
                    self._events.put_nowait(item)
        except EventBacklogError as exc:
            log.warning("ending the call: %s", exc)
            await rtc.close(reason=str(exc))
        finally:
            self._over = True
            self._events.put_nowait(None)
            self._finish_all()
            rtc.track.pulled.set()  # wake drained()

    def _playback_event(self, text: str, now: float) -> None:
        try:
            data = json.loads(text)
        except ValueError:
            return  # not JSON: the connection's parser reports it, not the tracker
        if not isinstance(data, dict):
            return
        response_id = data.get("response_id")
        if data.get("type") == "output_audio_buffer.started" and response_id:
            self._event(self._started, response_id).set()
            self._changed.set()
        self._apply(self.tracker.event(data, now))

    def _apply(self, heard: list[Heard]) -> None:
        for piece in heard:
            if isinstance(piece, HeardAudio):
                self._heard.setdefault(piece.response_id, []).append(piece.samples)
            else:
                self._event(self._ended, piece.response_id).set()
                self._changed.set()
            for listener in self._listeners:
                listener.put_nowait(piece)

    def _finish_all(self) -> None:
        self._apply(self.tracker.end())
        for event in (*self._started.values(), *self._ended.values(), self._changed):
            event.set()
        for listener in self._listeners:
            listener.put_nowait(None)

    @staticmethod
    def _event(table: dict[str, asyncio.Event], key: str) -> asyncio.Event:
        return table.setdefault(key, asyncio.Event())

    # -- outgoing audio (the "microphone") --------------------------------------------
    async def append(self, samples: Int16Array, rate: int) -> None:
        """Play `samples` (mono int16 at `rate`) on the outgoing track, after what is queued."""
        if self.rtc is None or self._closed:
            raise ConnectionError("not connected")
        if self._out is None or self._out.in_rate != rate:
            await self.flush()
            self._out = StreamingResampler(rate, RATE)
        out = self._out.process(samples)
        if len(out):
            await self.rtc.send_audio(out, RATE, None)

    async def flush(self) -> None:
        """Queue what the resampler still holds (the last few ms of a turn)."""
        if self._out is not None and self.rtc is not None:
            tail = self._out.flush()
            self._out = None
            if len(tail):
                await self.rtc.send_audio(tail, RATE, None)

    @property
    def pending_s(self) -> float:
        """Seconds of appended audio the track has not sent yet."""
        return self.rtc.buffer.buffered / RATE if self.rtc is not None else 0.0

    async def drained(self) -> None:
        """Until the track has sent everything appended (or the call ended)."""
        rtc = self.rtc
        while rtc is not None and rtc.buffer.buffered > 0 and not self._over:
            rtc.track.pulled.clear()
            await rtc.track.pulled.wait()

    # -- incoming audio -------------------------------------------------------------------
    @property
    def heard_rate(self) -> int:
        """The rate of the incoming track (48 kHz for Opus, 8 kHz for G.711)."""
        return self._heard_rate

    def heard(self, response_id: str) -> Int16Array:
        """The audio of a response received so far, at `heard_rate`."""
        chunks = self._heard.get(response_id)
        return np.concatenate(chunks) if chunks else np.zeros(0, dtype=np.int16)

    async def wait_heard(self, response_id: str, timeout: float | None = None) -> None:
        """Until all of a response's audio has arrived. A response whose audio does not
        start within START_GRACE_S of nothing else playing (it had none, or was cut
        first) has none."""
        async with asyncio.timeout(timeout):
            started = self._event(self._started, response_id)
            ended = self._event(self._ended, response_id)
            loop = asyncio.get_running_loop()
            idle_s = 0.0  # waited while nothing else was playing
            while not (started.is_set() or ended.is_set() or self._over):
                other = self.tracker.capture is not None
                self._changed.clear()
                since = loop.time()
                try:
                    wait = None if other else START_GRACE_S - idle_s
                    await asyncio.wait_for(self._changed.wait(), wait)
                except TimeoutError:
                    return
                if not other:
                    idle_s += loop.time() - since
            if not self._over:  # once over, every waiting event has been set
                await ended.wait()

    async def chunks(self, response_id: str | None = None) -> AsyncIterator[HeardAudio]:
        """The audio of one response as it arrives (what came before, first): the given
        one, or the one being heard now or next. Ends when that response's audio does."""
        listener: asyncio.Queue[Heard | None] = asyncio.Queue()
        self._listeners.add(listener)
        try:
            if response_id is None and self.tracker.capture is not None:
                response_id = self.tracker.capture.response_id
            if response_id is not None:
                item_id, index = self.tracker.parts.get(response_id, (None, 0))
                for samples in list(self._heard.get(response_id, ())):
                    yield HeardAudio(response_id, item_id, index, samples, self._heard_rate)
                if self._event(self._ended, response_id).is_set() or self._closed:
                    return
            while (piece := await listener.get()) is not None:
                if response_id is None:
                    response_id = piece.response_id
                if piece.response_id != response_id:
                    continue
                if isinstance(piece, HeardEnd):
                    return
                yield piece
        finally:
            self._listeners.discard(listener)
