"""The sans-I/O translation session: client events and back-end results in, server
events and work for the back-end out.

No sockets, tasks or clock: the driver feeds it and acts on `take()`. Malformed events
are answered with `error` and the session goes on, as on the Realtime routes. A
`session.close` flushes the held input as a last frame; `session.closed` follows once
the driver says the back-end has finished (`finished`).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Mapping
from typing import Any

from ..._generated._runtime import EventValidationError, load_object, new_event_id
from ..._generated.translation import client_events as c
from ..._generated.translation.parsing import parse_client_event
from ...audio import b64encode_audio
from ...audio.wire import b64decode_audio
from .config import DEFAULT_TTL_S, apply_update, default_session, transcribing
from .framing import RATE, Framer
from .outputs import EndInput, Hangup, Output, Reconfigure, Send, Translate

APPEND = "session.input_audio_buffer.append"
_APPEND_KEYS = frozenset(("type", "event_id", "audio"))

Refusal = tuple[str, str, str]  # (code, message, param)
Check = Callable[[dict[str, Any]], Refusal | None]
"""What a back-end says of a session it would be given: None, or why it cannot serve it."""


class TranslationSession:
    def __init__(
        self,
        *,
        model: str,
        now_s: int,
        start: Mapping[str, Any] | None = None,
        check: Check | None = None,
        ttl_s: int = DEFAULT_TTL_S,
    ) -> None:
        session_id = "sess_" + secrets.token_hex(12)
        self.config = default_session(session_id, model, now_s + ttl_s)
        if start:
            self.config = apply_update(self.config, dict(start))
        self._check = check
        self._framer = Framer()
        self._out: list[Output] = []
        self.state = "open"  # -> "closing" (after session.close) -> "closed"

    @property
    def received_ms(self) -> int:
        """Input audio received so far, in ms."""
        return self._framer.received_ms

    # -- inputs ----------------------------------------------------------------------

    def start(self) -> None:
        self._send({"type": "session.created", "session": self.config})

    def receive(self, raw: str | bytes | Mapping[str, Any]) -> None:
        """One client event; anything wrong with it becomes an `error`."""
        try:
            data = load_object(raw)
            if self._plain_append(data):
                self._append(data["audio"], data.get("event_id"))
                return
            event = parse_client_event(data)
        except EventValidationError as exc:
            self._error(exc.to_error())
            return
        if self.state != "open":
            self._refuse("session_closing", "The session is closing; no more events.", "type",
                         event.event_id)  # fmt: skip
        elif isinstance(event, c.SessionUpdateEvent):
            self._update(event)
        elif isinstance(event, c.SessionInputAudioBufferAppendEvent):
            self._append(event.audio, event.event_id)
        else:
            self._close()

    def output_audio(self, pcm: bytes, elapsed_ms: int) -> None:
        """Translated audio (PCM16 24 kHz mono) lined up at `elapsed_ms` of the input."""
        if pcm and self.state != "closed":
            self._send({
                "type": "session.output_audio.delta", "delta": b64encode_audio(pcm),
                "sample_rate": RATE, "channels": 1, "format": "pcm16",
                "elapsed_ms": elapsed_ms,
            })  # fmt: skip

    def output_transcript(self, delta: str, elapsed_ms: int) -> None:
        if delta and self.state != "closed":
            self._send(
                {
                    "type": "session.output_transcript.delta",
                    "delta": delta,
                    "elapsed_ms": elapsed_ms,
                }
            )

    def input_transcript(self, delta: str, elapsed_ms: int) -> None:
        """Source-language text; sent only while the client asked for transcription."""
        if delta and self.state != "closed" and transcribing(self.config):
            self._send(
                {"type": "session.input_transcript.delta", "delta": delta, "elapsed_ms": elapsed_ms}
            )

    def server_fault(self, what: str) -> None:
        """A fault of the server's own while taking `what` in, said in words for people."""
        self.backend_failed(f"The server failed while handling {what}; its log has the details.")

    def backend_failed(self, message: str) -> None:
        self._error({"type": "server_error", "code": "server_error", "message": message,
                     "param": None, "event_id": None})  # fmt: skip

    def finished(self) -> None:
        """The back-end has given all it will: `session.closed`, then hang up."""
        if self.state == "closed":
            return
        self.state = "closed"
        self._send({"type": "session.closed"})
        self._out.append(Hangup())

    def take(self) -> list[Output]:
        out, self._out = self._out, []
        return out

    # -- the events ------------------------------------------------------------------

    def _plain_append(self, data: Mapping[str, Any]) -> bool:
        """An append the strict models would take as it is (skips them on the audio path)."""
        return (
            data.get("type") == APPEND
            and self.state == "open"
            and isinstance(data.get("audio"), str)
            and isinstance(data.get("event_id", ""), str)
            and len(data.get("event_id", "")) <= 512
            and data.keys() <= _APPEND_KEYS
        )

    def _append(self, audio: str, event_id: str | None) -> None:
        try:
            pcm = b64decode_audio(audio) if audio else b""
        except ValueError as exc:
            self._refuse("invalid_value", str(exc), "audio", event_id)
            return
        for frame in self._framer.push(pcm):
            self._out.append(Translate(frame))

    def _update(self, event: c.SessionUpdateEvent) -> None:
        update = event.session.model_dump(mode="json", exclude_unset=True)
        proposed = apply_update(self.config, update)
        refusal = self._check(proposed) if self._check is not None else None
        if refusal is not None:
            self._refuse(*refusal, event.event_id)
            return
        self.config = proposed
        self._out.append(Reconfigure(proposed))
        self._send({"type": "session.updated", "session": self.config})

    def _close(self) -> None:
        self.state = "closing"
        for frame in self._framer.flush():
            self._out.append(Translate(frame))
        self._out.append(EndInput())

    # -- sending -------------------------------------------------------------------

    def _send(self, event: dict[str, Any]) -> None:
        self._out.append(Send({"type": event.pop("type"), "event_id": new_event_id(), **event}))

    def _refuse(self, code: str, message: str, param: str | None, event_id: str | None) -> None:
        self._error({"type": "invalid_request_error", "code": code, "message": message,
                     "param": param, "event_id": event_id})  # fmt: skip

    def _error(self, error: dict[str, Any]) -> None:
        self._send({"type": "error", "error": error})
