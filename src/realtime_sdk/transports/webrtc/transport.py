"""The WebRTC transport on aiortc: events on the `oai-events` data channel, audio on RTP.

One class for both ends. The server answers an offer (`answer`), the client makes one
(`offer`, then `accept`; `client.WebRTCClientTransport` does that over HTTP). Either way:

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
import logging
from collections.abc import Coroutine
from typing import Any, Self

from aiortc import (
    RTCDataChannel,
    RTCPeerConnection,
    RTCRtpCodecCapability,
    RTCRtpSender,
    RTCSessionDescription,
)
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack
from av import AudioFrame

from ...audio import Int16Array
from ..base import AudioTag, Inbound, InputFrame, Played
from .datachannel import (
    DEFAULT_MAX_MESSAGE,
    EVENTS_LABEL,
    HIGH_WATER,
    LOW_WATER,
    max_message_size,
    too_large_error,
)
from .hooks import AIORTC_HOOKS
from .ice import IceConfig
from .limits import Limits
from .peer_audio import PeerAudio, input_frame
from .playout import Notice, PacedTrack, PlayoutBuffer
from .sdp import SdpError, check_sdp
from .sideband import Listener

log = logging.getLogger("realtime_sdk.webrtc")


class WebRTCTransport:
    """A call's Transport and AudioTransport, for either end (see the module docstring)."""

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
        self.peer_max_message = DEFAULT_MAX_MESSAGE  # bytes; 0 = no limit
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
    ) -> Self:
        """Server side: answer `offer` (candidates in it or not); the answer is in
        `local_sdp`. SdpError for an offer aiortc cannot use."""
        ice = ice or IceConfig()
        sdp = check_sdp(offer)
        AIORTC_HOOKS.prepare()
        self = cls(RTCPeerConnection(ice.rtc_configuration()), limits)
        try:
            await self.pc.setRemoteDescription(RTCSessionDescription(sdp=sdp, type="offer"))
            self._expects_channel = "m=application" in sdp
            self._answering = True
            self.peer_max_message = max_message_size(sdp)
            audio = [t for t in self.pc.getTransceivers() if t.kind == "audio"]
            for transceiver in audio:
                AIORTC_HOOKS.audio_receiver(transceiver)
            if audio:
                audio[0].setCodecPreferences(_opus_first())
                self.pc.addTrack(self.track)
            with AIORTC_HOOKS.gathering(ice.for_peer(peer_host)):
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
    async def offer(cls, ice: IceConfig | None = None, *, limits: Limits | None = None) -> Self:
        """Client side: an offer with one audio track (sendrecv) and `oai-events`."""
        ice = ice or IceConfig()
        AIORTC_HOOKS.prepare()
        self = cls(RTCPeerConnection(ice.rtc_configuration()), limits)
        transceiver = self.pc.addTransceiver(self.track, direction="sendrecv")
        transceiver.setCodecPreferences(_opus_first())
        AIORTC_HOOKS.audio_receiver(transceiver)
        self._attach(self.pc.createDataChannel(EVENTS_LABEL))
        with AIORTC_HOOKS.gathering(ice.for_peer(None)):
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
        if channel.bufferedAmount > HIGH_WATER:
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
    def buffered_s(self) -> float:
        """Seconds of audio the player holds, not sent yet."""
        return self.buffer.buffered / self.buffer.rate

    async def played_out(self) -> None:
        """Until the player has sent all the audio it holds, or the transport ended."""
        while self.buffer.buffered > 0 and not self.ended:
            self.track.pulled.clear()
            await self.track.pulled.wait()

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

    @property
    def ended(self) -> bool:
        """Closed by us, or the peer is gone: nothing more will be sent or received."""
        return self._closed or self._gone is not None

    # -- aiortc callbacks ----------------------------------------------------------------
    def _attach(self, channel: RTCDataChannel) -> None:
        if channel.label != EVENTS_LABEL or self._channel is not None:
            log.info("ignoring data channel %r", channel.label)
            return
        self._channel = channel
        channel.bufferedAmountLowThreshold = LOW_WATER
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
        self.track.pulled.set()  # wake those waiting for the player: it will play no more
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
