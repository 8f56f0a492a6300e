"""The WebRTC transport on aiortc: events on the `oai-events` data channel, audio on RTP.

One class for both ends (DESIGN 4.4). The server answers an offer (`answer`), the
client makes one (`offer`, then `accept`). Either way:

- `recv()` gives the peer's data-channel messages (one JSON event each), the peer's
  audio decoded to mono int16 (`InputFrame`), and our player's notices;
- `send()` puts one event on the data channel (and copies it to any sideband
  listener), waiting while the channel's send buffer is over its mark;
- `send_audio()` queues audio for the paced track (`room()` holds a producer back
  while the player is full); `clear_audio()` drops what is unplayed and says how
  much of the current item went out;
- `close()` ends the reader and watchdog tasks, the track and the peer connection.

Every queue is bounded: peer audio beyond `max_audio_frames` waiting is dropped (the
session is behind; old audio is worth less than new), a peer flooding the data channel
beyond `max_events` is hung up on, `room()` waits while the player holds
`max_buffered_s` of audio and `send_audio` at twice that.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import re
from collections.abc import Coroutine
from dataclasses import dataclass, field
from typing import Any

from aiortc import (
    RTCDataChannel,
    RTCPeerConnection,
    RTCRtpCodecCapability,
    RTCRtpSender,
    RTCSessionDescription,
)
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack
from av import AudioFrame, AudioResampler

from .._generated._runtime import new_id
from ..audio import Int16Array, samples_of_frames, to_mono_int16
from . import audio_level
from .base import AudioTag, Inbound, InputFrame, Played
from .ice import IceConfig, loopback_candidates
from .jitter import hear_promptly
from .playout import RATE, Notice, PacedTrack, PlayoutBuffer
from .sdp import SdpError, check_sdp

log = logging.getLogger("realtime_sdk.webrtc")
audio_level.install()  # every sender of this process: the same levels, 20x less time

EVENTS_LABEL = "oai-events"
_HIGH_WATER = 1 << 20  # bytes queued on the data channel before send() waits
_LOW_WATER = 1 << 18
_DEFAULT_MAX_MESSAGE = 65536  # what aiortc assumes when an offer names no max-message-size


CONNECT_TIMEOUT_ENV = "REALTIME_SDK_WEBRTC_CONNECT_TIMEOUT_S"


def _connect_timeout() -> float:
    """30 s, or what `REALTIME_SDK_WEBRTC_CONNECT_TIMEOUT_S` says (tests, benchmarks)."""
    value = os.environ.get(CONNECT_TIMEOUT_ENV)
    try:
        seconds = float(value) if value else 30.0
    except ValueError:
        seconds = 0.0
    if seconds <= 0:
        log.warning("%s=%r is not a number of seconds: 30 s", CONNECT_TIMEOUT_ENV, value)
        return 30.0
    return seconds


@dataclass(frozen=True)
class Limits:
    max_events: int = 1024  # client events waiting for the session
    max_audio_frames: int = 50  # peer audio frames waiting (1 s of 20 ms frames)
    max_buffered_s: float = 120.0  # response audio the player may hold
    # from the answer to a connected peer
    connect_timeout_s: float = field(default_factory=_connect_timeout)
    listener_size: int = 1024  # events a sideband listener may fall behind by


class Listener:
    """A copy of every event sent (a sideband socket); dropped if it falls behind."""

    def __init__(self, size: int) -> None:
        self._queue: asyncio.Queue[str | None] = asyncio.Queue(size)
        self.ended = False

    def offer(self, text: str | None) -> bool:
        try:
            self._queue.put_nowait(text)
        except asyncio.QueueFull:
            self.ended = True
            return False
        return True

    async def next(self) -> str | None:
        """The next event, or None once the call ended or this listener fell behind."""
        if self._queue.empty() and self.ended:
            return None
        return await self._queue.get()


def max_message_size(sdp: str) -> int:
    """The largest data-channel message the SDP's author accepts (`a=max-message-size`,
    RFC 8841; 0 means no limit). Chrome says 262144: an event carrying a few seconds
    of audio, such as `conversation.item.retrieved`, does not fit."""
    found = re.search(r"^a=max-message-size:(\d+)", sdp, re.MULTILINE)
    return int(found.group(1)) if found else _DEFAULT_MAX_MESSAGE


def too_large_error(text: str, limit: int) -> str:
    """The `error` event sent instead of an event over the peer's message limit."""
    try:
        kind = str(json.loads(text).get("type", "event"))
    except (ValueError, AttributeError):
        kind = "event"
    size = len(text.encode())
    message = (
        f"The {kind} event is {size} bytes, over the {limit} bytes this peer's data channel "
        "accepts (its SDP's max-message-size), so it was not sent."
    )
    error = {
        "type": "invalid_request_error",
        "code": "event_too_large",
        "message": message,
        "param": None,
        "event_id": None,
    }
    return json.dumps({"type": "error", "event_id": new_id("event_"), "error": error})


def input_frame(frame: AudioFrame) -> InputFrame:
    """A decoded RTP frame as mono int16 (`to_ndarray` leaves out the plane padding)."""
    data = frame.to_ndarray()
    channels = frame.layout.nb_channels
    if frame.format.is_planar:
        mono = to_mono_int16(data, channel_axis=0)
    else:
        mono = to_mono_int16(data.reshape(-1, channels), channel_axis=1)
    return InputFrame(mono, frame.sample_rate)


class PeerAudio:
    """Decoded RTP frames -> mono int16 at one rate, downmixed and resampled in one
    libswresample call (Opus decodes to 48 kHz stereo; a session takes 24 kHz mono).

    Channels are averaged, as `input_frame` does; the resampler holds back ~1 ms, as
    `StreamingResampler` does, and is made afresh if the decoder's output changes.
    """

    def __init__(self, rate: int) -> None:
        self.rate = rate
        self._resampler: AudioResampler | None = None
        self._source: tuple[str, str, int] | None = None

    def convert(self, frame: AudioFrame) -> InputFrame:
        source = (frame.format.name, frame.layout.name, frame.sample_rate)
        if self._resampler is None or source != self._source:
            self._resampler = AudioResampler(format="s16", layout="mono", rate=self.rate)
            self._source = source
        frame.pts = None  # RTP timestamps jump at a loss; the audio itself is what counts
        return InputFrame(samples_of_frames(self._resampler.resample(frame)), self.rate)


class WebRTCTransport:
    def __init__(self, pc: RTCPeerConnection, limits: Limits | None = None) -> None:
        self.pc = pc
        self.limits = limits or Limits()
        self.local_sdp = ""  # our answer (server) or offer (client)
        self.buffer = PlayoutBuffer(self._notice)
        self.track = PacedTrack(self.buffer)
        self.dropped_audio_frames = 0
        self._hearing: PeerAudio | None = None  # None: peer audio at the decoder's rate
        self._inbox: asyncio.Queue[Inbound | None] = asyncio.Queue()  # bounded by counts
        self._pending_events = 0
        self._pending_audio = 0
        self._injected_room = asyncio.Event()  # set while injected events may be added
        self._injected_room.set()
        self._channel: RTCDataChannel | None = None
        self._expects_channel = True
        self._answering = False  # the server end: it answers for events it cannot send
        self.peer_max_message = _DEFAULT_MAX_MESSAGE  # bytes; 0 = no limit
        self._can_play = True
        self._open = asyncio.Event()
        self._drained = asyncio.Event()
        self._connected = asyncio.Event()
        self._listeners: set[Listener] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self._gone: str | None = None  # why the peer is gone
        self._closed = False
        pc.on("datachannel", self._attach)
        pc.on("track", self._on_track)
        pc.on("connectionstatechange", self._on_state)

    # -- making a connection ----------------------------------------------------------
    @classmethod
    async def answer(
        cls,
        offer: str,
        ice: IceConfig | None = None,
        *,
        peer_host: str | None = None,
        limits: Limits | None = None,
    ) -> WebRTCTransport:
        """Server side: answer `offer` (candidates in it or not); the answer is in
        `local_sdp`. SdpError for an offer aiortc cannot use."""
        ice = ice or IceConfig()
        sdp = check_sdp(offer)
        self = cls(RTCPeerConnection(ice.rtc_configuration()), limits)
        try:
            await self.pc.setRemoteDescription(RTCSessionDescription(sdp=sdp, type="offer"))
            self._expects_channel = "m=application" in sdp
            self._answering = True
            self.peer_max_message = max_message_size(sdp)
            audio = [t for t in self.pc.getTransceivers() if t.kind == "audio"]
            for transceiver in audio:
                hear_promptly(transceiver)
            if audio:
                audio[0].setCodecPreferences(_opus_first())
                self.pc.addTrack(self.track)
            with loopback_candidates(ice.for_peer(peer_host)):
                await self.pc.setLocalDescription(await self.pc.createAnswer())
        except Exception as exc:
            await self.pc.close()
            self._release()
            if isinstance(exc, SdpError):
                raise
            raise SdpError(f"The offer could not be used: {exc or type(exc).__name__}") from exc
        self._can_play = bool(audio) and audio[0].currentDirection in ("sendrecv", "sendonly")
        self.local_sdp = self.pc.localDescription.sdp
        self._spawn(self._watchdog(), "watchdog")
        return self

    @classmethod
    async def offer(
        cls, ice: IceConfig | None = None, *, limits: Limits | None = None
    ) -> WebRTCTransport:
        """Client side: an offer with one audio track (sendrecv) and `oai-events`."""
        ice = ice or IceConfig()
        self = cls(RTCPeerConnection(ice.rtc_configuration()), limits)
        transceiver = self.pc.addTransceiver(self.track, direction="sendrecv")
        transceiver.setCodecPreferences(_opus_first())
        hear_promptly(transceiver)
        self._attach(self.pc.createDataChannel(EVENTS_LABEL))
        with loopback_candidates(ice.for_peer(None)):
            await self.pc.setLocalDescription(await self.pc.createOffer())
        self.local_sdp = self.pc.localDescription.sdp
        return self

    async def accept(self, answer: str) -> None:
        """Client side: the server's answer; the connection then establishes itself."""
        try:
            sdp = check_sdp(answer, "answer")
            await self.pc.setRemoteDescription(RTCSessionDescription(sdp=sdp, type="answer"))
        except Exception as exc:
            await self.close()
            raise SdpError(f"The answer could not be used: {exc}") from exc
        self._spawn(self._watchdog(), "watchdog")

    # -- the transport interface -----------------------------------------------------
    async def recv(self) -> Inbound | None:
        item = await self._inbox.get()
        if item is None:
            self._inbox.put_nowait(None)  # every later call sees the end too
            return None
        if isinstance(item, InputFrame):
            self._pending_audio -= 1
        elif isinstance(item, str | bytes):
            self._pending_events -= 1
            if self._pending_events < self.limits.max_events // 2:
                self._injected_room.set()
        return item

    async def send(self, text: str) -> None:
        if self._closed or self._gone is not None:
            raise ConnectionError(self._gone or "transport closed")
        for listener in list(self._listeners):
            if not listener.offer(text):
                self._listeners.discard(listener)
                log.warning("a sideband listener fell behind and was dropped")
        if not self._expects_channel:
            return  # no data channel in the offer: a sideband socket drives this call
        await self._open.wait()
        channel = self._channel
        if channel is None or self._closed or self._gone is not None:
            raise ConnectionError(self._gone or "transport closed")
        if channel.bufferedAmount > _HIGH_WATER:
            self._drained.clear()
            await self._drained.wait()
        try:
            try:
                channel.send(text)
            except ValueError as exc:  # over the peer's max-message-size
                log.warning("event not sent on %s: %s", EVENTS_LABEL, exc)
                if self._answering:  # the client would wait for it forever: say why
                    channel.send(too_large_error(text, self.peer_max_message))
        except ValueError:
            pass  # the error is always small; the warning above says what was lost
        except Exception as exc:
            raise ConnectionError(f"data channel closed: {exc}") from exc

    async def send_audio(self, samples: Int16Array, rate: int, tag: AudioTag | None) -> None:
        if not self._can_play:
            return  # the peer takes no audio from us (no audio section, or recvonly)
        await self._below(2 * self.limits.max_buffered_s)  # the hard bound
        if self._closed:
            raise ConnectionError("transport closed")
        self.buffer.push(samples, rate, tag)

    async def room(self) -> None:
        await self._below(self.limits.max_buffered_s)

    async def _below(self, seconds: float) -> None:
        """Until the player holds less than `seconds` of audio, or the transport closed."""
        while self.buffer.buffered >= seconds * self.buffer.rate and not self._closed:
            self.track.pulled.clear()
            await self.track.pulled.wait()

    def finish_audio(self, response_id: str) -> None:
        self.buffer.finish(response_id)

    def clear_audio(self) -> Played | None:
        cut = self.buffer.clear()
        self.track.pulled.set()
        return cut

    def hear_at(self, rate: int) -> None:
        if self._hearing is None or self._hearing.rate != rate:
            self._hearing = PeerAudio(rate)

    @property
    def hearing_rate(self) -> int | None:
        """The rate peer audio is handed on at (`hear_at`); None: as the decoder gives it."""
        return None if self._hearing is None else self._hearing.rate

    async def close(self, code: int = 1000, reason: str = "") -> None:
        if self._closed:
            return
        self._closed = True
        self._end(reason or "closed")
        self._open.set()  # wake senders; they see _closed
        self._drained.set()
        self.track.stop()
        current = asyncio.current_task()
        tasks = [t for t in self._tasks if t is not current]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        with contextlib.suppress(Exception):
            await self.pc.close()
        self._release()

    # -- sideband ------------------------------------------------------------------------
    def listen(self) -> Listener:
        """Every event sent from now on, copied (for a sideband websocket)."""
        listener = Listener(self.limits.listener_size)
        if self._closed or self._gone is not None:
            listener.ended = True
        else:
            self._listeners.add(listener)
        return listener

    def unlisten(self, listener: Listener) -> None:
        self._listeners.discard(listener)

    async def inject(self, text: str | bytes) -> None:
        """A client event from elsewhere (a sideband socket), as if sent on the channel.

        Waits while the session is half its event limit behind: a sideband socket that
        sends faster than the session takes is slowed down (its socket's buffers fill,
        then TCP holds it back) rather than hanging up the call, as a flooding data
        channel peer is."""
        while self._pending_events >= self.limits.max_events // 2 and self._gone is None:
            self._injected_room.clear()
            await self._injected_room.wait()
        self._put_event(text)

    @property
    def connected(self) -> bool:
        return self._connected.is_set() and self._gone is None

    # -- aiortc callbacks ----------------------------------------------------------------
    def _attach(self, channel: RTCDataChannel) -> None:
        if channel.label != EVENTS_LABEL or self._channel is not None:
            log.info("ignoring data channel %r", channel.label)
            return
        self._channel = channel
        channel.bufferedAmountLowThreshold = _LOW_WATER
        channel.on("message", self._put_event)
        channel.on("open", self._open.set)
        channel.on("bufferedamountlow", self._drained.set)
        channel.on("close", lambda: self._end("data channel closed"))
        if channel.readyState == "open":
            self._open.set()

    def _on_track(self, track: MediaStreamTrack) -> None:
        if track.kind == "audio":
            self._spawn(self._read_audio(track), "audio-in")

    def _on_state(self) -> None:
        state = self.pc.connectionState
        if state == "connected":
            self._connected.set()
        elif state in ("failed", "closed"):
            self._end(f"peer connection {state}")

    # -- internals -----------------------------------------------------------------------
    def _put_event(self, message: str | bytes) -> None:
        if self._gone is not None:
            return
        if self._pending_events >= self.limits.max_events:
            self._end(f"more than {self.limits.max_events} client events waiting")
            return
        self._pending_events += 1
        self._inbox.put_nowait(message)

    def _notice(self, notice: Notice) -> None:
        if self._gone is None:
            self._inbox.put_nowait(notice)

    async def _read_audio(self, track: MediaStreamTrack) -> None:
        with contextlib.suppress(MediaStreamError):
            while True:
                frame = await track.recv()
                if not isinstance(frame, AudioFrame) or self._gone is not None:
                    continue
                if self._pending_audio >= self.limits.max_audio_frames:
                    self.dropped_audio_frames += 1
                    if self.dropped_audio_frames % 50 == 1:
                        log.warning("session behind: dropped %d frames", self.dropped_audio_frames)
                    continue
                self._pending_audio += 1
                hearing = self._hearing
                heard = input_frame(frame) if hearing is None else hearing.convert(frame)
                self._inbox.put_nowait(heard)

    async def _watchdog(self) -> None:
        try:
            await asyncio.wait_for(self._connected.wait(), self.limits.connect_timeout_s)
        except TimeoutError:
            self._end(f"no connection within {self.limits.connect_timeout_s:.0f} s")

    def _end(self, why: str) -> None:
        """The peer is gone (or we hang up): recv() ends, senders fail, listeners end."""
        if self._gone is not None:
            return
        self._gone = why
        log.info("webrtc transport ended: %s", why)
        self._inbox.put_nowait(None)
        self._injected_room.set()
        self._open.set()
        self._drained.set()
        for listener in self._listeners:
            if not listener.offer(None):
                listener.ended = True
        self._listeners.clear()

    def _release(self) -> None:
        """Drop what the ended call still refers to, so that it goes when its last reference
        does, with the FFmpeg threads of its resamplers and Opus encoder, rather than at
        the cyclic collector's next full pass (rare once `serve` has frozen its heap).

        The cycles: our player's notices come back here (buffer -> transport -> track ->
        buffer), the data channel calls us, and aiortc's peer connection listens to the
        DTLS transports it holds (it drops its own listeners on close, not theirs).
        """
        self.buffer.clear()
        self.buffer.notify = _ignore
        self._hearing = None
        if self._channel is not None:
            self._channel.remove_all_listeners()
        self.pc.remove_all_listeners()
        for emitter in _transports_of(self.pc):
            emitter.remove_all_listeners()

    def _spawn(self, work: Coroutine[Any, Any, None], name: str) -> None:
        task = asyncio.create_task(work, name=f"webrtc-{name}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)


def _ignore(notice: Notice) -> None:
    pass


def _transports_of(pc: RTCPeerConnection) -> list[Any]:
    """The DTLS and ICE transports (and ICE gatherers) under a peer connection."""
    dtls = [t.receiver.transport for t in pc.getTransceivers()]
    dtls += [t.sender.transport for t in pc.getTransceivers()]
    if pc.sctp is not None:
        dtls.append(pc.sctp.transport)
    found: list[Any] = []
    for transport in dtls:
        ice = getattr(transport, "transport", None)
        gatherer = getattr(ice, "iceGatherer", None)
        for emitter in (transport, ice, gatherer):
            if emitter is not None and all(emitter is not seen for seen in found):
                found.append(emitter)
    return found


def _opus_first() -> list[RTCRtpCodecCapability]:
    """Our codecs, Opus first: the answer keeps the offer's codecs we share, in this order."""
    codecs = RTCRtpSender.getCapabilities("audio").codecs
    return sorted(codecs, key=lambda codec: codec.mimeType.lower() != "audio/opus")


__all__ = [
    "EVENTS_LABEL",
    "RATE",
    "Limits",
    "Listener",
    "SdpError",
    "WebRTCTransport",
    "check_sdp",
    "input_frame",
    "max_message_size",
    "too_large_error",
]
