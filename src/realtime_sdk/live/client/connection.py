"""A typed Live connection: the generated resources to send, shaped like openai-python's
`client.live` connection (`conn.session.start(session=...)`,
`conn.session.input_audio.append(audio=...)`, `conn.session.commentary.append(...)`,
`conn.response.item.create(...)`), lenient parsing to receive, and audio helpers.

Live has no turns, so there is no "reply" to wait for: `exchange()` sends speech in
real time, as a microphone would, and gathers what comes back until the server has
been quiet for a while (no transcript and no sound); `close()` asks for
`session.close` and reads to `session.closed`.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from pydantic import BaseModel

from ..._generated._runtime import to_json
from ..._generated.live import AsyncClientResources, parse_server_event
from ...audio import (
    AudioFormat,
    Int16Array,
    WireEncoder,
    b64decode_audio,
    b64encode_audio,
    decode,
    to_mono_int16,
)
from ...transports.base import AudioTransport, InputFrame, Transport

FRAME_S = 0.04  # what `exchange` sends at a time, as a microphone would


class LiveClosedError(ConnectionError):
    """The connection ended before what was awaited came."""


@dataclass
class LiveHeard:
    """What a stretch of the session gave back: the output audio (at `rate`) and both
    transcripts, with every `error` seen."""

    audio: Int16Array
    rate: int
    said: str
    heard: str
    events: list[Any] = field(default_factory=list)

    @property
    def errors(self) -> list[Any]:
        return [e for e in self.events if e.type == "error"]


class LiveConnection(AsyncClientResources):
    def __init__(self, transport: Transport) -> None:
        self.wire = transport  # `transport` is the resource of transport.* events
        self.session_config: dict[str, Any] = {}
        self._encoders: dict[int, WireEncoder] = {}
        self._track: bytearray | None = None  # over WebRTC, output heard while gathering

    @property
    def format(self) -> AudioFormat:
        """The session's audio format (both ways), once started."""
        audio = self.session_config.get("audio") or {}
        return AudioFormat.from_ga(audio.get("format") or {"type": "audio/pcm", "rate": 24000})

    async def send(self, event: Any) -> None:
        """Send a client event: a generated model, or a plain dict."""
        text = to_json(event) if isinstance(event, BaseModel) else json.dumps(event)
        await self.wire.send(text)

    async def recv(self) -> Any:
        """The next server event, typed (UnknownServerEvent for a type we do not know)."""
        raw = await self.wire.recv()
        while not isinstance(raw, str | bytes):
            if raw is None:
                raise LiveClosedError("the server closed the connection")
            if isinstance(raw, InputFrame) and self._track is not None:
                self._track += raw.samples.astype("<i2", copy=False).tobytes()
            raw = await self.wire.recv()
        event: Any = parse_server_event(raw)
        if event.type in ("session.started", "session.updated", "session.closed"):
            self.session_config = event.session.model_dump(mode="json", exclude_none=True)
        return event

    def __aiter__(self) -> AsyncIterator[Any]:
        return self._until_closed()

    async def _until_closed(self) -> AsyncIterator[Any]:
        with_end = True
        while with_end:
            try:
                event = await self.recv()
            except LiveClosedError:
                return
            with_end = event.type != "session.closed"
            yield event

    async def start(self, session: dict[str, Any]) -> Any:
        """`session.start`, and its answer: `session.started`; an `error` raises."""
        await self.session.start(session=session)
        answer = await self.recv()
        if answer.type != "session.started":
            raise ConnectionError(f"session.start refused: {getattr(answer, 'error', answer)}")
        return answer

    async def append_audio(self, audio: np.ndarray, rate: int = 24000) -> None:
        """Samples (int16 or float, any rate, mono or not), in the session's format; over
        WebRTC, played on the outgoing track."""
        if isinstance(self.wire, AudioTransport):
            await self.wire.send_audio(to_mono_int16(audio), rate, None)
            return
        encoder = self._encoders.get(rate)
        if encoder is None:
            encoder = self._encoders[rate] = WireEncoder(rate, self.format)
        wire = encoder.process(to_mono_int16(audio))
        if wire:
            await self.session.input_audio.append(audio=b64encode_audio(wire))

    async def exchange(self, audio: np.ndarray, rate: int, quiet_s: float = 1.5) -> LiveHeard:
        """Send `audio` in real time, then gather until the server is quiet for `quiet_s`
        (no transcript, no sound); the session stays open."""
        listening = asyncio.create_task(self._gather(quiet_s, after=len(audio) / rate))
        loop = asyncio.get_running_loop()
        step = int(rate * FRAME_S)
        start = loop.time()
        for n, at in enumerate(range(0, len(audio), step)):
            await self.append_audio(audio[at : at + step], rate)
            await asyncio.sleep(max(0.0, start + (n + 1) * FRAME_S - loop.time()))
        return await listening

    async def _gather(self, quiet_s: float, after: float) -> LiveHeard:
        loop = asyncio.get_running_loop()
        fmt = self.format
        audio, said, heard, events = bytearray(), [], [], []
        if isinstance(self.wire, AudioTransport):  # the output comes on the track
            audio = self._track = bytearray()
            fmt = AudioFormat("pcm", 24000)
        last = loop.time() + after  # nothing counts as quiet while still speaking
        while True:
            try:
                event = await asyncio.wait_for(self.recv(), max(0.01, last + quiet_s - loop.time()))
            except TimeoutError:
                break
            if event.type == "session.output_audio.delta":
                samples = decode(b64decode_audio(event.delta), fmt)
                audio += samples.astype("<i2").tobytes()
                if np.abs(samples).max(initial=0) > 0:
                    last = max(last, loop.time())
                continue
            events.append(event)
            if event.type == "session.output_transcript.delta":
                said.append(event.delta)
            elif event.type == "session.input_transcript.delta":
                heard.append(event.delta)
            elif event.type == "session.closed":
                break
            last = max(last, loop.time())
        self._track = None
        samples = np.frombuffer(bytes(audio), dtype="<i2").astype(np.int16)
        return LiveHeard(samples, fmt.rate, "".join(said), "".join(heard), events)

    async def close(self) -> None:
        """`session.close`, then read to `session.closed` (15 s at most) and hang up."""
        try:
            await self.session.close()
            async with asyncio.timeout(15):
                async for event in self:
                    if event.type == "session.closed":
                        break
        except (ConnectionError, TimeoutError):
            pass
        await self.wire.close()
