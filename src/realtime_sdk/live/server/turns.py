"""A native back-end (`Responder`: echo, the offline agent) served on Live: the server
takes its turns for it, out of the client's sight.

Live has no turns on the wire, so the server VAD (Silero, as on the Realtime routes)
runs here, inside the back-end's side: a stop becomes a user audio item and a
`respond` call, a start cancels the reply being made (barge-in; the driver drops what
is still queued). The result is a `TurnTakingBackend`, which is what the Live driver
serves, as it serves a FastRTC handler. Context the client appends is used thus:
instructions (and thinking) join the instructions of later replies; commentary is a
text turn, said as the back-end says any reply.

Delegation: while the session delegates (`client` or `responses`), the back-end is
offered one function tool, `delegate`; a call of it is the back-end handing work
off, which the driver announces as `session.delegation.created`. Echo calls it on a
text turn reading `call delegate {}` (its `call <tool> <json>` convention), so a
commentary with that text triggers a delegation; the offline agent's LLM calls it
when it chooses to.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from collections.abc import AsyncIterator, Callable, Mapping
from typing import Any

from ...audio import AudioFormat, StreamingResampler, decode
from ...backends.base import (
    HeardPause,
    HeardSpeechStart,
    Responder,
    ResponseEnded,
    ResponseFailed,
    ResponseRequest,
    ResponseStarted,
    Transcriber,
    TranscriptionRequest,
    TurnTakingEvent,
    UserTranscript,
)
from ...realtime.protocol.session import Capabilities
from ...realtime.protocol.turn_detection import (
    ServerVad,
    SpeechModel,
    VadSpeechStarted,
    VadSpeechStopped,
)

log = logging.getLogger("realtime_sdk.live")

MAX_TURN_S = 120  # user audio kept for one turn; older audio is dropped from its front
DELEGATE_TOOL: dict[str, Any] = {
    "type": "function",
    "name": "delegate",
    "description": "Hand the task the user asks for to the application, which answers with"
    " what to say.",
    "parameters": {"type": "object", "properties": {"task": {"type": "string"}}},
}


class ResponderTurns:
    """One session's turn-taking around a `Responder` (one instance per session)."""

    capabilities = Capabilities(text_input=True, audio_input=True)

    def __init__(self, responder: Responder, speech_model: Callable[[], SpeechModel]) -> None:
        self.responder = responder
        self._speech_model = speech_model
        self._session: Mapping[str, Any] = {}
        self._context: list[str] = []
        self._events: asyncio.Queue[TurnTakingEvent | None] = asyncio.Queue(maxsize=256)
        self._vad: ServerVad | None = None
        self._model: SpeechModel | None = None
        self._to_vad: StreamingResampler | None = None
        self._fmt: AudioFormat | None = None
        self._turn = bytearray()  # the session's PCM since the current buffer began
        self._turn_start_ms = 0
        self._reply: asyncio.Task[None] | None = None

    @property
    def llm(self) -> Any:
        """The back-end's chat-completions model (the offline agent's), which serves
        `responses` delegation; None when it has none."""
        return getattr(self.responder, "llm", None)

    async def start(self, session: Mapping[str, Any]) -> None:
        self._session = session
        self._model = self._speech_model()
        self._vad = ServerVad(self._model)

    async def receive_audio(self, audio: bytes, audio_format: AudioFormat) -> None:
        vad = self._vad
        if vad is None:
            return
        if self._fmt != audio_format:
            self._fmt = audio_format
            self._to_vad = StreamingResampler(audio_format.rate, 16000)
        assert self._to_vad is not None
        self._turn += audio
        limit = audio_format.bytes_for_ms(MAX_TURN_S * 1000)
        if len(self._turn) > limit:
            cut = len(self._turn) - limit
            del self._turn[:cut]
            self._turn_start_ms += audio_format.duration_ms(cut)
        samples = self._to_vad.process(decode(audio, audio_format))
        for event in vad.feed(samples):
            if isinstance(event, VadSpeechStarted):
                self._cancel_reply()
                self._cut_to(event.audio_start_ms)
                await self._events.put(HeardSpeechStart())
            elif isinstance(event, VadSpeechStopped):
                await self._events.put(HeardPause())
                heard = self._cut_to(event.audio_end_ms, keep=False)
                self._start_reply(self._user_item(), heard)

    async def reconfigure(self, session: Mapping[str, Any]) -> None:
        """`session.update` changed the delegation: later replies follow it."""
        self._session = session

    async def add_context(self, kind: str, content: str, delegation_id: str | None) -> None:
        if kind == "commentary":
            self._cancel_reply()
            item = {
                "id": _item_id(),
                "type": "message",
                "role": "user",
                "content": [{"type": "input_text", "text": content}],
            }
            self._start_reply(item, b"")
        else:
            self._context.append(content)

    def events(self) -> AsyncIterator[TurnTakingEvent]:
        return self._iterate()

    async def _iterate(self) -> AsyncIterator[TurnTakingEvent]:
        while (event := await self._events.get()) is not None:
            yield event

    async def stop(self) -> None:
        self._cancel_reply()
        release = getattr(self._model, "release", None)
        if callable(release):
            release()
        with contextlib.suppress(asyncio.QueueFull):
            self._events.put_nowait(None)

    # -- turns ---------------------------------------------------------------------------

    def _cut_to(self, ms: int, keep: bool = True) -> bytes:
        """Drop the turn's audio before `ms` (keep=True) or take it up to `ms`."""
        assert self._fmt is not None
        n = min(len(self._turn), self._fmt.bytes_for_ms(max(0, ms - self._turn_start_ms)))
        taken = bytes(self._turn[:n])
        del self._turn[:n]
        self._turn_start_ms = ms
        return b"" if keep else taken

    def _user_item(self) -> dict[str, Any]:
        return {
            "id": _item_id(),
            "type": "message",
            "role": "user",
            "content": [{"type": "input_audio"}],
        }

    def _start_reply(self, item: dict[str, Any], audio: bytes) -> None:
        self._cancel_reply()
        self._reply = asyncio.create_task(self._answer(item, audio), name="live-reply")

    def _cancel_reply(self) -> None:
        if self._reply is not None and not self._reply.done():
            self._reply.cancel()
        self._reply = None

    async def _answer(self, item: dict[str, Any], audio: bytes) -> None:
        fmt = self._fmt
        try:
            if audio and isinstance(self.responder, Transcriber) and fmt is not None:
                text = await self._transcribe(item, audio, fmt)
                item["content"][0]["transcript"] = text
                if text:
                    await self._events.put(UserTranscript(text))
            request = ResponseRequest(
                response_id="resp_" + secrets.token_hex(10),
                items=[item],
                config=self._config(),
                session=self._session,
                audio={str(item["id"]): audio} if audio else {},
                audio_format=fmt if audio else None,
            )
            await self._events.put(ResponseStarted())
            async for piece in self.responder.respond(request):
                await self._events.put(piece)
            await self._events.put(ResponseEnded())
        except asyncio.CancelledError:
            with contextlib.suppress(asyncio.QueueFull):
                self._events.put_nowait(ResponseEnded())
            raise
        except Exception as exc:  # a back-end fault ends the reply, not the session
            log.exception("live back-end reply failed")
            await self._events.put(ResponseFailed(str(exc)))

    async def _transcribe(self, item: dict[str, Any], audio: bytes, fmt: AudioFormat) -> str:
        assert isinstance(self.responder, Transcriber)
        request = TranscriptionRequest(str(item["id"]), 0, audio, fmt, {})
        return "".join([str(piece) async for piece in self.responder.transcribe(request)]).strip()

    def _config(self) -> dict[str, Any]:
        parts = [str(self._session.get("instructions") or ""), *self._context]
        config: dict[str, Any] = {
            "output_modalities": ["audio"],
            "instructions": "\n\n".join(p for p in parts if p),
        }
        delegation = self._session.get("delegation") or {}
        if delegation.get("type") in ("client", "responses"):
            config["tools"] = [DELEGATE_TOOL]
        return config


def _item_id() -> str:
    return "item_" + secrets.token_hex(10)
