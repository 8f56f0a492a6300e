"""The sans-I/O Live session: client events, back-end results and output ticks in;
server events and work for the driver out (`take()`).

No sockets, tasks or clock. The timeline every `*_ms` field counts on is the output
clock (`Playout.position_ms`): output never stops while the session is open, one frame
per tick of the driver's audio clock, so it runs at real time from `session.started`.
Before `session.started` only `session.start` is taken, once; after `session.close`
nothing more is, while what is queued plays out (audio still in flight then is taken
and not heard, as a client streaming a microphone cannot stop on the instant). A
malformed event gets `error` naming it and the session goes on. Events this server
does not serve (decisions, DTMF, Responses items without Responses delegation) get
`error` naming them, from the generated `ServerBase`.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Mapping
from typing import Any, Final, Literal

import numpy as np

from ..._generated._runtime import EventValidationError, load_object
from ..._generated.live import client_events as c
from ..._generated.live import server_stub as s
from ..._generated.live.parsing import parse_client_event
from ..._generated.live.server_events import ServerEvent
from ...audio import PCM24K, AudioFormat, b64encode_audio, decode, encode, resample
from ...audio.wire import b64decode_audio
from .config import (
    DEFAULT_TTL_S,
    Refusal,
    apply_update,
    audio_format,
    delegation_target,
    not_offered,
    session_resource,
)
from .outputs import (
    Context,
    ContextKind,
    Drain,
    Hangup,
    Hear,
    Output,
    Reconfigure,
    ResponseItem,
    RunResponse,
    Send,
    Start,
)
from .playout import Playout

APPEND: Final = "session.input_audio.append"
_APPEND_KEYS: Final = frozenset(("type", "event_id", "audio"))
FRAME_MS: Final = 40
FIXTURE_MAX_S: Final = 30
USAGE_EVERY_MS: Final = 10_000
CloseReason = Literal["close_requested", "expired", "content", "remote_hangup", "connection_lost"]
Check = Callable[[dict[str, Any]], Refusal | None]
"""What a back-end says of a session it would be given: None, or why it cannot serve it."""


class LiveSession(s.ServerBase):
    def __init__(
        self,
        *,
        now_s: int,
        ttl_s: int = DEFAULT_TTL_S,
        frame_ms: int = FRAME_MS,
        check: Check | None = None,
        start: Mapping[str, Any] | None = None,
        transport: Literal["websocket", "webrtc"] = "websocket",
    ) -> None:
        self.id = "sess_" + secrets.token_hex(12)
        self.expires_at = now_s + ttl_s
        self._lasts_ms = ttl_s * 1000  # the session ends `expired` this far into its timeline
        self.frame_ms = frame_ms
        self.transport = transport  # over WebRTC, audio is Opus on the wire, PCM here
        self.state = "new"  # -> "active" -> "closing" -> "closed"
        self.resource: dict[str, Any] = {}
        self.muted = False
        self.playout: Playout | None = None
        self._key_session = dict(start or {})  # an `ek_` key's session, under the client's
        self._check = check
        self._in_fmt: AudioFormat | None = None
        self._pcm_fmt: AudioFormat | None = None
        self._speech_ms: tuple[int, int | None] | None = None  # the user's turn, input clock
        self._said_from_ms: int | None = None  # where the next output transcript begins
        self._usage_at_ms = 0
        self._fixture: tuple[int, str | None] | None = None  # (end on the timeline, event id)
        self._delegations = 0
        self._out: list[Output] = []

    # -- the timeline ------------------------------------------------------------------

    @property
    def now_ms(self) -> int:
        return self.playout.position_ms if self.playout is not None else 0

    # -- inputs from the client --------------------------------------------------------

    def receive(self, raw: str | bytes | Mapping[str, Any]) -> None:
        """One client event; anything wrong with it becomes an `error`."""
        try:
            data = load_object(raw)
            if self._plain_append(data):
                self._append(data["audio"], data.get("event_id"))
                return
            event = parse_client_event(data)
        except EventValidationError as exc:
            self._error(exc.code, exc.message, exc.param, exc.event_id)
            return
        if self.state == "new" and event.type != "session.start":
            self._error(
                "session_not_started",
                "The first event must be 'session.start'.",
                "type",
                event.event_id,
            )
        elif self.state == "closing" and event.type == APPEND:
            pass  # audio still in flight when the client asked to close: no longer heard
        elif self.state in ("closing", "closed"):
            self._error(
                "session_closing", "The session is closing; no more events.", "type", event.event_id
            )
        else:
            self.handle(event)

    def on_session_start(self, event: c.SessionStartEvent) -> None:
        if self.state != "new":
            self._error(
                "session_already_started",
                "'session.start' is sent once, first.",
                "type",
                event.event_id,
            )
            return
        refusal = self.begin(event)
        if refusal is not None:
            self._error(*refusal, event.event_id)

    def begin(self, event: c.SessionStartEvent) -> Refusal | None:
        """Start with `event`'s config (from `session.start`, or a WebRTC creation's
        body): `session.started` goes out; or why this server cannot start it."""
        config = {**self._key_session, **event.session.model_dump(mode="json", exclude_unset=True)}
        refusal = not_offered(config) or self._format_refusal(config)
        if refusal is None and self._check is not None:
            refusal = self._check(config)
        if refusal is not None:
            return refusal
        self.resource = session_resource(self.id, config, self.expires_at)
        fmt = audio_format(self.resource) if self.transport == "websocket" else PCM24K
        self._in_fmt = fmt
        self._pcm_fmt = AudioFormat("pcm", fmt.rate)
        self.playout = Playout(fmt, self.frame_ms)
        self.state = "active"
        self.emit(s.session_started(session=self.resource, client_event_id=event.event_id))
        self._out.append(Start(self.resource))
        return None

    def on_session_update(self, event: c.SessionUpdateEvent) -> None:
        update = event.session.model_dump(mode="json", exclude_unset=True)
        proposed = apply_update(self.resource, update)
        refusal = not_offered(proposed)
        if refusal is not None:
            self._error(*refusal, event.event_id)
            return
        self.resource = proposed
        self._out.append(Reconfigure(proposed))
        self.emit(s.session_updated(session=self.resource, client_event_id=event.event_id))

    def on_session_input_audio_append(self, event: c.SessionInputAudioAppendEvent) -> None:
        self._append(event.audio, event.event_id)

    def on_session_input_audio_mute(self, event: c.SessionInputAudioMuteEvent) -> None:
        self.muted = True
        self.emit(s.session_input_audio_muted(client_event_id=event.event_id))

    def on_session_input_audio_unmute(self, event: c.SessionInputAudioUnmuteEvent) -> None:
        self.muted = False
        self.emit(s.session_input_audio_unmuted(client_event_id=event.event_id))

    def on_session_output_audio_fixture_play(
        self, event: c.SessionOutputAudioFixturePlayEvent
    ) -> None:
        """Recorded audio (24 kHz PCM16, 30 s at most) played in place of the model's
        speech, which stops; input is dropped while it plays."""
        assert self.playout is not None
        try:
            pcm = b64decode_audio(event.audio)
        except ValueError as exc:
            self._error("invalid_value", str(exc), "audio", event.event_id)
            return
        if not pcm or len(pcm) % 2 or len(pcm) > FIXTURE_MAX_S * 48000:
            self._error(
                "invalid_value",
                f"A fixture is 24 kHz PCM16, 1 sample to {FIXTURE_MAX_S} s.",
                "audio",
                event.event_id,
            )
            return
        if self._fixture is not None:
            self._error(
                "fixture_already_playing",
                "Only one fixture plays at a time.",
                "type",
                event.event_id,
            )
            return
        samples = np.frombuffer(pcm, dtype="<i2").astype(np.int16)
        fmt = self.playout.fmt
        if fmt != PCM24K:
            samples = resample(samples, 24000, fmt.rate)
        whole = -len(samples) % fmt.samples_for_ms(self.frame_ms)  # ends with a frame
        samples = np.concatenate([samples, np.zeros(whole, dtype=np.int16)])
        self.playout.clear()
        self._said_from_ms = None
        self.playout.push(encode(samples, fmt))
        self._fixture = (self.playout.end_ms, event.event_id)
        self.emit(s.session_output_audio_fixture_playing(client_event_id=event.event_id))

    def on_session_instructions_append(self, event: c.SessionInstructionsAppendEvent) -> None:
        self._context("instructions", event.content, event.delegation_id)
        now = self.now_ms
        self.emit(
            s.session_instructions_appended(
                start_ms=now, end_ms=now, client_event_id=event.event_id
            )
        )

    def on_session_thinking_append(self, event: c.SessionThinkingAppendEvent) -> None:
        self._context("thinking", event.content, event.delegation_id)
        now = self.now_ms
        self.emit(
            s.session_thinking_appended(start_ms=now, end_ms=now, client_event_id=event.event_id)
        )

    def on_session_commentary_append(self, event: c.SessionCommentaryAppendEvent) -> None:
        self._context("commentary", event.content, event.delegation_id)
        now = self.now_ms
        self.emit(
            s.session_commentary_appended(start_ms=now, end_ms=now, client_event_id=event.event_id)
        )

    def on_response_item_create(self, event: c.ResponseItemCreateEvent) -> None:
        if delegation_target(self.resource) != "responses":
            self.unsupported(event)
            return
        self._out.append(ResponseItem(event.item.model_dump(mode="json", exclude_unset=True)))

    def on_response_create(self, event: c.ResponseCreateEvent) -> None:
        if delegation_target(self.resource) != "responses":
            self.unsupported(event)
            return
        self._out.append(RunResponse())

    def response_event(self, event: dict[str, Any], delegation_id: str | None) -> None:
        """One event of the `responses` back-end's stream, for the client."""
        if self.state != "closed":
            self.emit(s.response_event(event=event, delegation_id=delegation_id))

    def on_session_close(self, event: c.SessionCloseEvent) -> None:
        self.state = "closing"
        self._close_event_id = event.event_id
        self._out.append(Drain())

    def unsupported(self, event: c.ClientEvent) -> None:
        names = {
            "decision.create": "decisions delegation",
            "decision.item.create": "decisions delegation",
            "decision.item.delete": "decisions delegation",
            "transport.dtmf.send": "SIP calls (DTMF)",
            "response.item.create": "Responses delegation on this session",
            "response.create": "Responses delegation on this session",
        }
        what = names.get(event.type, f"'{event.type}'")
        self._error(
            "unsupported_feature",
            f"'{event.type}' needs {what}, which this server does not offer.",
            "type",
            event.event_id,
        )

    # -- inputs from the back-end and the clock ------------------------------------------

    def frame(self) -> str | None:
        """The next output frame's event, as JSON text (the audio path: built by hand, no
        event id, as the service's primary socket sends it); None when not active."""
        wire = self.frame_audio()
        if wire is None:
            return None
        return '{"type":"session.output_audio.delta","delta":"' + b64encode_audio(wire) + '"}'

    def frame_audio(self) -> bytes | None:
        """The next output frame's audio in the session's format (WebRTC plays it on the
        track instead of sending an event); None when not active, or once the session has
        lasted to its `expires_at` (then it ends `expired`)."""
        if self.playout is None or self.state == "closed":
            return None
        if self.now_ms >= self._lasts_ms:
            self.finished("expired")
            return None
        wire, _had_audio = self.playout.take()
        if self._fixture is not None and self.now_ms >= self._fixture[0]:
            client_event_id = self._fixture[1]
            self._fixture = None
            self.emit(s.session_output_audio_fixture_played(client_event_id=client_event_id))
        if self.now_ms - self._usage_at_ms >= USAGE_EVERY_MS:
            self._usage_at_ms = self.now_ms
            self.emit(s.session_usage_updated(usage=self.usage()))
        return wire

    def output_audio(self, wire: bytes) -> None:
        """Back-end audio, already in the session's format, queued to play."""
        if self.playout is not None and self.state != "closed":
            if self._said_from_ms is None:
                self._said_from_ms = max(self.playout.end_ms, self.now_ms)
            self.playout.push(wire)

    def output_transcript(self, delta: str) -> None:
        """Words of the audio queued so far: from where the last piece ended to the end
        of what is queued."""
        if not delta or self.playout is None or self.state == "closed":
            return
        end = max(self.playout.end_ms, self.now_ms)
        start = self._said_from_ms if self._said_from_ms is not None else end
        self._said_from_ms = end
        self.emit(
            s.session_output_transcript_delta(delta=delta, start_ms=min(start, end), end_ms=end)
        )

    def output_ended(self) -> None:
        """The back-end finished a reply; the next one's transcript starts afresh."""
        self._said_from_ms = None

    def speech_started(self) -> None:
        """The back-end heard the user start: what is still queued is dropped (barge-in)."""
        self._speech_ms = (self.now_ms, None)
        if self.playout is not None:
            self.playout.clear()
        self._said_from_ms = None

    def speech_stopped(self) -> None:
        start = self._speech_ms[0] if self._speech_ms else self.now_ms
        self._speech_ms = (start, self.now_ms)

    def input_transcript(self, delta: str) -> None:
        """Words the back-end heard, over the user's latest speech on the timeline."""
        if not delta or self.state not in ("active", "closing"):
            return
        start, end = self._speech_ms if self._speech_ms else (self.now_ms, None)
        end = self.now_ms if end is None else end
        self.emit(s.session_input_transcript_delta(delta=delta, start_ms=start, end_ms=end))

    def delegate(self, target: Literal["client", "responses"]) -> str:
        """Work handed off: `session.delegation.created`; returns the delegation's id."""
        self._delegations += 1
        delegation_id = f"dlg_{self.id[5:17]}{self._delegations:04d}"
        self.emit(
            s.session_delegation_created(
                delegation={"id": delegation_id, "target": target, "type": "delegation"},
                offset_ms=self.now_ms,
            )
        )
        return delegation_id

    def backend_failed(self, message: str) -> None:
        self._send_error({"type": "server_error", "code": "server_error", "message": message})

    def usage(self) -> dict[str, Any]:
        seconds = self.now_ms / 1000
        return {"seconds": seconds, "active_seconds": int(seconds)}

    def finished(self, reason: CloseReason = "close_requested") -> None:
        """The end: `session.closed` with the usage, then hang up."""
        if self.state == "closed":
            return
        was_started = self.playout is not None
        self.state = "closed"
        if was_started:
            self.emit(
                s.session_closed(
                    reason=reason,
                    session=self.resource,
                    usage=self.usage(),
                    **(
                        {"client_event_id": cid}
                        if (cid := getattr(self, "_close_event_id", None))
                        else {}
                    ),
                )
            )
        self._out.append(Hangup())

    def take(self) -> list[Output]:
        out, self._out = self._out, []
        return out

    # -- the events ----------------------------------------------------------------------

    def _plain_append(self, data: Mapping[str, Any]) -> bool:
        """An append the strict models would take as it is (skips them on the audio path)."""
        return (
            data.get("type") == APPEND
            and self.state == "active"
            and isinstance(data.get("audio"), str)
            and isinstance(data.get("event_id", ""), str)
            and data.keys() <= _APPEND_KEYS
        )

    @property
    def _deaf(self) -> bool:
        """Input is not heard: muted, or while a fixture plays."""
        return self.muted or self._fixture is not None

    def hear_samples(self, pcm: bytes, rate: int) -> None:
        """Input audio that came as samples (a WebRTC peer's), PCM16 at `rate`."""
        if self.state != "active":
            return
        fmt = AudioFormat("pcm", rate)
        self._out.append(Hear(bytes(len(pcm)) if self._deaf else pcm, fmt))

    def _append(self, audio: str, event_id: str | None) -> None:
        assert self._in_fmt is not None and self._pcm_fmt is not None
        try:
            wire = b64decode_audio(audio) if audio else b""
        except ValueError as exc:
            self._error("invalid_value", str(exc), "audio", event_id)
            return
        if len(wire) % self._in_fmt.bytes_per_sample:
            self._error("invalid_value", "Audio must be whole 16-bit samples.", "audio", event_id)
            return
        if self._deaf:
            samples = self._in_fmt.samples_in(len(wire))
            self._out.append(Hear(bytes(2 * samples), self._pcm_fmt))
        elif self._in_fmt.encoding == "pcm":
            self._out.append(Hear(wire, self._pcm_fmt))
        else:
            pcm = decode(wire, self._in_fmt).astype("<i2", copy=False).tobytes()
            self._out.append(Hear(pcm, self._pcm_fmt))

    def _context(self, kind: ContextKind, content: str, delegation_id: str | None) -> None:
        self._out.append(Context(kind, content, delegation_id))

    def _format_refusal(self, config: dict[str, Any]) -> Refusal | None:
        fmt = (config.get("audio") or {}).get("format")
        if fmt is None:
            return None
        try:
            AudioFormat.from_ga(fmt)
        except ValueError as exc:
            return ("invalid_value", str(exc), "session.audio.format.rate")
        return None

    # -- sending -------------------------------------------------------------------------

    def emit(self, event: ServerEvent) -> None:
        self._out.append(Send(event.model_dump(mode="json", exclude_unset=True)))

    def _error(self, code: str, message: str, param: str | None, event_id: str | None) -> None:
        error: dict[str, Any] = {
            "type": "invalid_request_error",
            "code": code,
            "message": message,
            "param": param,
        }
        if event_id is not None:
            error["client_event_id"] = event_id
        self._send_error(error, event_id)

    def _send_error(self, error: dict[str, Any], event_id: str | None = None) -> None:
        if event_id is not None:
            self.emit(s.error(error=error, client_event_id=event_id))
        else:
            self.emit(s.error(error=error))
