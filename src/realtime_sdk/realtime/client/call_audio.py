"""The audio of a WebRTC call, client side: appended audio played on the outgoing track,
and what arrives on the incoming one, told apart by the response it belongs to.

`CallAudio` reads the call's transport in one pump task: events go to `recv()` (the
connection reads them there), received audio goes through a `HeardTracker` to the response
it belongs to, whether or not the app is reading events. Events have no back-pressure on a
data channel, so past `max_pending_events` unread the call is ended. Audio the app appends
is resampled to the track's rate and played on the outgoing track (`send_audio`, the
transport's AudioTransport side), paced by its clock, as a microphone would send it.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator

import numpy as np

from ...audio import Int16Array, StreamingResampler
from ...transports.base import InputFrame, Transport
from ...transports.webrtc.playout import RATE
from ...transports.webrtc.transport import WebRTCTransport
from .heard import Heard, HeardAudio, HeardEnd, HeardTracker

log = logging.getLogger("realtime_sdk.client")

# the events the tracker needs; others are passed on without being parsed here
_PLAYBACK_MARKERS = ('"output_audio_buffer.', '"response.content_part.added"')
START_GRACE_S = 2.0  # after response.done, how long its audio may take to start playing


class EventBacklogError(ConnectionError):
    """The app stopped reading events and too many piled up; the call was ended."""


class CallAudio:
    """The audio beside a call's events; the reader of its transport."""

    def __init__(self, rtc: WebRTCTransport, max_pending_events: int) -> None:
        self.rtc = rtc
        self.max_pending_events = max_pending_events
        self.tracker = HeardTracker()
        self._events: asyncio.Queue[str | bytes | None] = asyncio.Queue()
        self._heard: dict[str, list[Int16Array]] = {}
        self._heard_rate = RATE
        self._started: dict[str, asyncio.Event] = {}
        self._ended: dict[str, asyncio.Event] = {}
        self._changed = asyncio.Event()  # a response started or finished being heard
        self._listeners: set[asyncio.Queue[Heard | None]] = set()
        self._out: StreamingResampler | None = None
        self._closed = False
        self._over = False  # the call ended (either side)
        self._pump = asyncio.create_task(self._run(rtc), name="realtime-client-webrtc")

    @classmethod
    def of(cls, transport: Transport, max_pending_events: int) -> CallAudio:
        """The audio of a transport that carries it: a WebRTC call's (the only one that
        does on the client side)."""
        if not isinstance(transport, WebRTCTransport):
            raise TypeError(
                f"{type(transport).__name__} plays audio itself, but the client's audio "
                "helpers work over a WebRTCTransport"
            )
        return cls(transport, max_pending_events)

    @property
    def ended(self) -> bool:
        """The call is over (hung up by either side, or failed)."""
        return self._over

    async def close(self) -> None:
        """End the call's transport (a dialled call hangs up first), then stop reading it."""
        if self._closed:
            return
        self._closed = self._over = True
        await self.rtc.close()
        self._pump.cancel()
        await asyncio.gather(self._pump, return_exceptions=True)
        self._finish_all()

    # -- events ---------------------------------------------------------------------------
    async def recv(self) -> str | bytes | None:
        item = await self._events.get()
        if item is None:
            self._events.put_nowait(None)  # every later call sees the end too
        return item

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
        if self._closed:
            raise ConnectionError("not connected")
        if self._out is None or self._out.in_rate != rate:
            await self.flush()
            self._out = StreamingResampler(rate, RATE)
        out = self._out.process(samples)
        if len(out):
            await self.rtc.send_audio(out, RATE, None)

    async def flush(self) -> None:
        """Queue what the resampler still holds (the last few ms of a turn)."""
        if self._out is not None:
            tail = self._out.flush()
            self._out = None
            if len(tail):
                await self.rtc.send_audio(tail, RATE, None)

    @property
    def pending_s(self) -> float:
        """Seconds of appended audio the track has not sent yet."""
        return self.rtc.buffered_s

    async def drained(self) -> None:
        """Until the track has sent everything appended (or the call ended)."""
        await self.rtc.played_out()

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
