"""A typed translation connection: the generated resources to send
(`conn.session.update(...)`, `conn.session.input_audio_buffer.append(...)`,
`conn.session.close()`), lenient parsing to receive, and the audio helpers.

`append_audio(samples, rate=...)` takes audio at any rate, brings it to 24 kHz PCM16 and
sends it in 200 ms appends, the frames the service works in; `finish()` sends the rest,
closes the session and gathers what came back until `session.closed`.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from pydantic import BaseModel

from ..._generated._runtime import to_json
from ..._generated.translation import AsyncClientResources, parse_server_event
from ...audio import (
    PCM24K,
    Int16Array,
    WireEncoder,
    b64decode_audio,
    b64encode_audio,
    to_mono_int16,
)
from ...transports.base import Transport
from ..protocol import FRAME_BYTES


class TranslationClosedError(ConnectionError):
    """The connection ended before `session.closed`."""


@dataclass
class Translation:
    """What a session gave back: the translated audio (24 kHz) and both transcripts."""

    audio: Int16Array
    transcript: str
    source_transcript: str
    errors: list[Any] = field(default_factory=list)
    rate: int = 24000


class TranslationConnection(AsyncClientResources):
    def __init__(self, transport: Transport) -> None:
        self.transport = transport
        self.session_config: dict[str, Any] = {}
        self._encoders: dict[int, WireEncoder] = {}
        self._held = bytearray()  # 24 kHz PCM16 not yet a whole 200 ms append

    async def send(self, event: Any) -> None:
        """Send a client event: a generated model, or a plain dict."""
        await self.transport.send(
            to_json(event) if isinstance(event, BaseModel) else json.dumps(event)
        )

    async def recv(self) -> Any:
        """The next server event, typed (UnknownServerEvent for a type we do not know)."""
        while True:
            raw = await self.transport.recv()
            if raw is None:
                raise TranslationClosedError("the server closed the connection")
            if isinstance(raw, str | bytes):
                break
        event: Any = parse_server_event(raw)
        if event.type in ("session.created", "session.updated"):
            self.session_config = event.session.model_dump(mode="json")
        return event

    def __aiter__(self) -> AsyncIterator[Any]:
        return self._events()

    async def _events(self) -> AsyncIterator[Any]:
        while True:
            try:
                yield await self.recv()
            except TranslationClosedError:
                return

    async def append_audio(self, audio: np.ndarray, rate: int = 24000) -> None:
        """Samples (int16 or float, any rate, mono or not) as 200 ms appends."""
        encoder = self._encoders.get(rate)
        if encoder is None:
            encoder = self._encoders[rate] = WireEncoder(rate, PCM24K)
        self._held += encoder.process(to_mono_int16(audio))
        while len(self._held) >= FRAME_BYTES:
            await self._append(bytes(self._held[:FRAME_BYTES]))
            del self._held[:FRAME_BYTES]

    async def flush_audio(self) -> None:
        """Send what is held back (less than 200 ms), resampler tails included."""
        for encoder in self._encoders.values():
            self._held += encoder.flush()
        if self._held:
            await self._append(bytes(self._held))
            self._held.clear()

    async def _append(self, pcm: bytes) -> None:
        await self.session.input_audio_buffer.append(audio=b64encode_audio(pcm))

    async def finish(self) -> Translation:
        """Flush, `session.close`, and everything until `session.closed`."""
        await self.flush_audio()
        await self.session.close()
        audio, said, heard, errors = bytearray(), [], [], []
        while (event := await self.recv()).type != "session.closed":
            if event.type == "session.output_audio.delta":
                audio += b64decode_audio(event.delta)
            elif event.type == "session.output_transcript.delta":
                said.append(event.delta)
            elif event.type == "session.input_transcript.delta":
                heard.append(event.delta)
            elif event.type == "error":
                errors.append(event)
        samples = np.frombuffer(bytes(audio), dtype="<i2").astype(np.int16)
        return Translation(samples, "".join(said), "".join(heard), errors)

    async def close(self) -> None:
        await self.transport.close()
