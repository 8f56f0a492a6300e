"""The sans-I/O Realtime session: client events and back-end results in, outputs out.

Like h11's connection object: no sockets, no tasks, no clock. The driver feeds it
parsed client events (`receive`), input audio, back-end results and the current
time, then drains `take()` for server events to send and work for the back-end.
Every ordering rule of the protocol lives here, so each is a fast unit test.
"""

from __future__ import annotations

import copy
import logging
from collections import deque
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from .._generated._runtime import EventValidationError, UnknownServerEvent
from .._generated.ga import ServerBase, parse_client_event, parse_server_event
from .._generated.ga import client_events as c
from .._generated.ga import server_stub as ev
from ..audio import QuietSkippingDecoder, decode_wire_audio
from .config import (
    ConfigError,
    apply_update,
    default_session,
    default_transcription_session,
    input_format,
    output_format,
    voice_name,
)
from .conversation import (
    MAX_KEPT_AUDIO_MS,
    Conversation,
    ItemError,
    StoredItem,
    extend_kept,
)
from .ids import Ids
from .outputs import (
    AudioDone,
    CancelResponse,
    ClearOutputAudio,
    InputAudio,
    Output,
    PlayAudio,
    Send,
    StartResponse,
    Transcribe,
)
from .responses import ResponseRun
from .turn_detection import (
    IdleTimeout,
    ServerVad,
    SpeechModel,
    SpeechStarted,
    SpeechStopped,
    TurnEvent,
    VadConfig,
    VadConfigError,
)

log = logging.getLogger("realtime_sdk.session")

MIN_COMMIT_MS = 100
# faults (exceptions of our own while handling a client event) a session survives; past
# this the server's state is not to be trusted and the driver ends the session (1011)
MAX_FAULTS = 8


@dataclass(frozen=True)
class Capabilities:
    """What a back-end can honour; a client event needing more gets an `error`."""

    text_input: bool = True
    audio_input: bool = True
    function_calls: bool = True
    out_of_band: bool = True
    transcription: bool = False
    raw_input_audio: bool = False  # back-end wants every appended frame (FastRTC handlers)
    client_responses: bool = True  # answers response.create (a FastRTC handler does not)
    # may report the user's words itself in its reply (a FastRTC handler's RealtimeMessage);
    # a turn it leaves without them gets `transcription.failed` when the reply ends
    user_transcripts: bool = False


def _error(
    code: str,
    message: str,
    param: str | None,
    event_id: str | None,
    kind: str = "invalid_request_error",
) -> BaseModel:
    return ev.error(
        error={"type": kind, "code": code, "message": message, "param": param, "event_id": event_id}
    )


NO_TRANSCRIBER = (
    "This server's back-end cannot transcribe input audio, so"
    " 'audio.input.transcription' has no effect here."
)
NO_TRANSCRIPT = "The back-end's reply to this audio carried no transcript of it."


class Session(ServerBase):
    def __init__(
        self,
        *,
        model: str = "gpt-realtime",
        now_s: int = 0,
        ids: Ids | None = None,
        capabilities: Capabilities | None = None,
        config: dict[str, Any] | None = None,
        speech_model: SpeechModel | None = None,
        transport: str = "websocket",
        intent: str | None = None,
    ) -> None:
        """`speech_model` runs server-side turn detection; without one, turn detection
        is off whatever the session says (manual commits only). `transport` ("websocket",
        "webrtc", "sip") decides which events exist: over WebRTC there is no
        `input_audio_buffer.append` and response audio leaves as PlayAudio, not deltas.
        `intent="transcription"` (or a `config` of that type) makes a transcription
        session: turns are committed and transcribed, and no response is made."""
        self.ids = ids or Ids()
        self.transport = transport
        self.plays_audio = transport not in ev.TRANSPORTS["response.output_audio.delta"]
        self._audible: str | None = None  # the response whose audio last began to play
        self.capabilities = capabilities or Capabilities()
        kind = (config or {}).get("type") or (
            "transcription" if intent == "transcription" else "realtime"
        )
        if kind == "transcription":
            self.config = default_transcription_session(self.ids.session(), now_s)
        else:
            self.config = default_session(self.ids.session(), model, now_s)
        if config:
            self.config = apply_update(self.config, {**config, "type": kind})
        self.conversation = Conversation(self.ids.conversation())
        self.active: ResponseRun | None = None  # the one default-conversation response
        self.out_of_band: dict[str, ResponseRun] = {}
        self.buffer = bytearray()
        self._unkept = 0  # bytes of the current turn beyond what the buffer keeps
        self.input_samples = 0  # audio received since the session began
        self._outputs: deque[Output] = deque()
        self._started = False
        self._speech_model = speech_model
        self._vad: ServerVad | None = None
        self._to_vad: QuietSkippingDecoder | None = None
        self._speech_item: str | None = None
        # committed items whose transcript the back-end's reply is to bring (user_transcripts):
        # those no reply has begun for yet, and those of each reply under way
        self._awaiting_transcript: list[str] = []
        self._reply_brings: dict[str, list[str]] = {}
        self.faults = 0  # exceptions of ours while handling client events (see MAX_FAULTS)
        if speech_model is not None:
            detection = VadConfig.from_turn_detection(self._turn_detection())
            self._vad = ServerVad(speech_model, detection)
            self._to_vad = QuietSkippingDecoder(self.in_format, speech_model.sample_rate)

    @property
    def config(self) -> dict[str, Any]:
        """The effective session, as `session.created/updated` carry it."""
        return self._config

    @config.setter
    def config(self, value: dict[str, Any]) -> None:
        self._config = value
        self.in_format = input_format(value)  # read per appended frame: parsed once here
        self._keep_bytes = self.in_format.bytes_for_ms(MAX_KEPT_AUDIO_MS)

    @property
    def transcribing_only(self) -> bool:
        return bool(self.config["type"] == "transcription")

    def _turn_detection(self) -> dict[str, Any] | None:
        value: dict[str, Any] | None = self.config["audio"]["input"].get("turn_detection")
        return value

    # -- plumbing -------------------------------------------------------------
    def emit(self, event: Any) -> None:
        """Queue a server event; one this transport does not carry is not sent."""
        carried = ev.TRANSPORTS.get(getattr(event, "type", ""))
        if carried is None or self.transport in carried:
            self._outputs.append(Send(event))

    def close(self) -> None:
        """The connection is over: the responses under way are dropped. Each refers back to
        the session (it emits through it), so without this the session, its conversation
        and audio wait for a full collection, which a server with a frozen heap runs rarely."""
        self.active = None
        self.out_of_band.clear()
        self._reply_brings.clear()
        self._outputs.clear()

    def take(self) -> list[Output]:
        """Everything the session asked for since the last call, in order."""
        out = list(self._outputs)
        self._outputs.clear()
        return out

    def start(self) -> None:
        """The first event of every connection: the full effective session."""
        if not self._started:
            self._started = True
            self.emit(ev.session_created(session=self.config))

    def receive(self, raw: str | bytes | dict[str, Any]) -> None:
        """One client event off the wire; a refused one is answered with `error`.

        No client event ends the session: a fault of ours while handling one (a bug) is
        logged, counted in `faults`, and answered with a `server_error` naming the event."""
        event: Any = None
        try:
            event = parse_client_event(raw)
            carried = ev.TRANSPORTS.get(event.type)
            if carried is not None and self.transport not in carried:
                self._refuse(
                    event,
                    "invalid_event",
                    f"'{event.type}' is not supported over {self.transport}"
                    f" (only over {', '.join(carried)}).",
                    "type",
                )
                return
            self.handle(event)
        except EventValidationError as exc:
            self.emit(_error(exc.code, exc.message, exc.param, exc.event_id))
        except Exception:
            kind = getattr(event, "type", None)
            log.exception("session %s: fault handling %s", self.config.get("id"), kind)
            self.fault(f"'{kind}'" if kind else "a client event", getattr(event, "event_id", None))

    def fault(self, what: str, event_id: str | None = None, *, fatal: bool = False) -> None:
        """Tell the client that the server failed at `what` (its fault, not the client's):
        an `error` of type `server_error`, in words for people; the log has the details.
        `fatal`, or one fault too many (`broken`): the session is about to end."""
        self.faults += 1
        after = (
            "The session cannot go on and is closing."
            if fatal or self.broken
            else "It may not have taken effect; the session goes on."
        )
        message = f"The server failed while handling {what}. {after}"
        self.emit(_error("server_error", message, None, event_id, kind="server_error"))

    @property
    def broken(self) -> bool:
        """Too many faults to trust this session's state: the driver ends it (1011)."""
        return self.faults > MAX_FAULTS

    def _refuse(self, event: Any, code: str, message: str, param: str | None) -> None:
        self.emit(_error(code, message, param, event.event_id))

    def _unsupported_feature(self, event: Any, what: str) -> None:
        self._refuse(
            event,
            "unsupported_feature",
            f"This server's back-end does not support {what} ('{event.type}').",
            None,
        )

    # -- session --------------------------------------------------------------
    def on_session_update(self, event: c.SessionUpdateEvent) -> None:
        update = event.session.model_dump(mode="json", exclude_unset=True, by_alias=True)
        try:
            config = apply_update(self.config, update)
            detection = VadConfig.from_turn_detection(config["audio"]["input"]["turn_detection"])
        except ConfigError as exc:
            self._refuse(event, exc.code, exc.message, exc.param)
            return
        except VadConfigError as exc:
            param = f"session.audio.input.turn_detection.{exc.param}"
            self._refuse(event, "invalid_value", str(exc), param)
            return
        format_changed = input_format(config) != self.in_format
        self.config = config
        if self._vad is not None and self._speech_model is not None:
            self._vad.configure(detection)
            if format_changed:
                self._to_vad = QuietSkippingDecoder(self.in_format, self._speech_model.sample_rate)
        self.emit(ev.session_updated(session=self.config))

    # -- input audio buffer ---------------------------------------------------
    def on_input_audio_buffer_append(self, event: c.InputAudioBufferAppendEvent) -> None:
        try:
            data = decode_wire_audio(event.audio, self.in_format)
        except ValueError as exc:
            self._refuse(event, "invalid_value", f"Invalid 'audio': {exc}.", "audio")
            return
        self.append_audio(data)

    def append_audio(self, data: bytes) -> None:
        """Input audio in the session input format (websocket appends and WebRTC RTP).

        The buffer keeps the first MAX_KEPT_AUDIO_MS of a turn and counts the rest: a
        back-end that takes its own turns and never ends one must not grow it forever."""
        self._unkept += extend_kept(self.buffer, data, self._keep_bytes)
        self.input_samples += self.in_format.samples_in(len(data))
        if self.capabilities.raw_input_audio:
            self._outputs.append(InputAudio(data))
        if self._vad is not None and self._to_vad is not None:
            for turn in self._vad.feed(self._to_vad.process(data)):
                self._on_turn(turn)

    def _on_turn(self, turn: TurnEvent) -> None:
        """Server VAD: speech started (barge-in), stopped (commit, respond), idle timeout."""
        detection = self._turn_detection() or {}
        if isinstance(turn, SpeechStarted):
            self._speech_item = self._speech_started(turn.audio_start_ms)
            return
        if isinstance(turn, SpeechStopped):
            item_id = self._speech_item or self.ids.item()
            self._speech_item = None
            self.emit(
                ev.input_audio_buffer_speech_stopped(
                    audio_end_ms=turn.audio_end_ms, item_id=item_id
                )
            )
        elif isinstance(turn, IdleTimeout):
            item_id = self.ids.item()
            self.emit(
                ev.input_audio_buffer_timeout_triggered(
                    audio_start_ms=turn.audio_start_ms,
                    audio_end_ms=turn.audio_end_ms,
                    item_id=item_id,
                )
            )
        self.commit(item_id, reset_detector=False)
        if self.transcribing_only:
            return
        if detection.get("create_response", True) and self.active is None:
            self.create_response()

    def _speech_started(self, audio_start_ms: int) -> str:
        item_id = self.ids.item()
        detection = self._turn_detection() or {}
        if detection.get("interrupt_response", True):
            # audio may still be playing after its response is done (WebRTC plays it out)
            response_id = self.active.id if self.active is not None else None
            if self.active is not None:
                self.cancel(self.active.id, "turn_detected")
            self._outputs.append(ClearOutputAudio(response_id))
        self.emit(
            ev.input_audio_buffer_speech_started(audio_start_ms=audio_start_ms, item_id=item_id)
        )
        return item_id

    def on_input_audio_buffer_commit(self, event: c.InputAudioBufferCommitEvent) -> None:
        have = self.in_format.duration_ms(len(self.buffer) + self._unkept)
        if have < MIN_COMMIT_MS:
            self._refuse(
                event,
                "input_audio_buffer_commit_empty",
                f"Error committing input audio buffer: buffer too small. Expected at least"
                f" {MIN_COMMIT_MS}ms of audio, but buffer only has {have:.2f}ms of audio.",
                None,
            )
            return
        self.commit()

    def commit(self, item_id: str | None = None, *, reset_detector: bool = True) -> str:
        """Turn the buffer into a user audio item: committed, item added, item done."""
        item_id = item_id or self.ids.item()
        if reset_detector and self._vad is not None:
            self._vad.reset()
        audio = bytes(self.buffer)
        unkept, self._unkept = self._unkept, 0
        self.buffer.clear()
        stored = StoredItem(
            {
                "id": item_id,
                "object": "realtime.item",
                "type": "message",
                "status": "completed",
                "role": "user",
                "content": [{"type": "input_audio", "transcript": None}],
            },
            audio={0: bytearray(audio)},
            audio_format=self.in_format,
            unkept={0: unkept} if unkept else {},
        )
        previous = self.conversation.insert(stored)
        self.emit(ev.input_audio_buffer_committed(previous_item_id=previous, item_id=item_id))
        self.emit(ev.conversation_item_added(previous_item_id=previous, item=stored.wire()))
        self.emit(ev.conversation_item_done(previous_item_id=previous, item=stored.wire()))
        self._transcribe(item_id, audio)
        return item_id

    def _transcribe(self, item_id: str, audio: bytes) -> None:
        """Every committed item of a session that asks for transcription gets exactly one
        `.completed` or `.failed`: clients (the Realtime Console, livekit agents) wait
        for one of the two."""
        transcription = self.config["audio"]["input"].get("transcription")
        if not transcription:
            return
        self._settle_awaited()  # the reply to the turn before is over: it said nothing
        if self.capabilities.transcription:
            self._outputs.append(Transcribe(item_id, 0, audio, dict(transcription)))
        elif self.capabilities.user_transcripts and not self.transcribing_only:
            self._awaiting_transcript.append(item_id)
        else:
            self.transcription_failed(item_id, 0, NO_TRANSCRIBER, code="unsupported_feature")

    def _settle_awaited(self, response_id: str | None = None) -> None:
        """Items whose reply (`response_id`'s; None: a reply that never began) is over
        without their transcript get `.failed`."""
        if response_id is None:
            awaiting, self._awaiting_transcript = self._awaiting_transcript, []
        else:
            awaiting = self._reply_brings.pop(response_id, [])
        for item_id in awaiting:
            self.transcription_failed(item_id, 0, NO_TRANSCRIPT, code="no_transcript")

    def _reply_begins(self, response_id: str) -> None:
        if self._awaiting_transcript:
            self._reply_brings[response_id] = self._awaiting_transcript
            self._awaiting_transcript = []

    def on_input_audio_buffer_clear(self, event: c.InputAudioBufferClearEvent) -> None:
        self.buffer.clear()
        self._unkept = 0
        if self._vad is not None:
            self._vad.reset()
        self.emit(ev.input_audio_buffer_cleared())

    def on_output_audio_buffer_clear(self, event: c.OutputAudioBufferClearEvent) -> None:
        response_id = self._audible or (self.active.id if self.active else None)
        self._outputs.append(ClearOutputAudio(response_id, requested=True, event_id=event.event_id))

    # -- conversation items ---------------------------------------------------
    def on_conversation_item_create(self, event: c.ConversationItemCreateEvent) -> None:
        data = event.item.model_dump(mode="json", exclude_unset=True, by_alias=True)
        kind = data["type"]
        if (
            kind in ("function_call", "function_call_output")
            and not self.capabilities.function_calls
        ):
            self._unsupported_feature(event, "function calls")
            return
        # a user's typed turn needs text input; context items (system, assistant) always go in
        typed = any(p.get("type") == "input_text" for p in data.get("content") or [])
        if (
            kind == "message"
            and data.get("role") == "user"
            and typed
            and not self.capabilities.text_input
        ):
            self._unsupported_feature(event, "text input")
            return
        if kind.startswith("mcp_"):
            self._unsupported_feature(event, "MCP items")
            return
        try:
            stored = self._new_item(data, "item")
            previous = self.conversation.insert(stored, event.previous_item_id)
        except ItemError as exc:
            self._refuse(event, exc.code, exc.message, exc.param)
            return
        self.emit(ev.conversation_item_added(previous_item_id=previous, item=stored.wire()))
        self.emit(ev.conversation_item_done(previous_item_id=previous, item=stored.wire()))

    def _new_item(self, data: dict[str, Any], param: str) -> StoredItem:
        """A client's item as stored; ItemError (naming `param`...) for audio that is not
        whole samples of the session's input format, refused now rather than in a reply."""
        data = copy.deepcopy(data)
        data.setdefault("id", self.ids.item())
        data["object"] = "realtime.item"
        data["status"] = "completed"
        stored = StoredItem(data)
        for index, part in enumerate(data.get("content") or []):
            if part.get("type") == "input_audio" and part.get("audio"):
                try:
                    audio = decode_wire_audio(part.pop("audio"), self.in_format)
                except ValueError as exc:
                    where = f"{param}.content[{index}].audio"
                    raise ItemError("invalid_value", f"Invalid '{where}': {exc}.", where) from None
                stored.audio[index] = bytearray(audio)
                stored.audio_format = self.in_format
                part.setdefault("transcript", None)
        return stored

    def on_conversation_item_retrieve(self, event: c.ConversationItemRetrieveEvent) -> None:
        try:
            stored = self.conversation.get(event.item_id)
        except ItemError as exc:
            self._refuse(event, exc.code, exc.message, exc.param)
            return
        self.emit(ev.conversation_item_retrieved(item=stored.wire(with_audio=True)))

    def on_conversation_item_delete(self, event: c.ConversationItemDeleteEvent) -> None:
        try:
            self.conversation.delete(event.item_id)
        except ItemError as exc:
            self._refuse(event, exc.code, exc.message, exc.param)
            return
        self.emit(ev.conversation_item_deleted(item_id=event.item_id))

    def on_conversation_item_truncate(self, event: c.ConversationItemTruncateEvent) -> None:
        try:
            self.conversation.truncate(event.item_id, event.content_index, event.audio_end_ms)
        except ItemError as exc:
            self._refuse(event, exc.code, exc.message, exc.param)
            return
        self.emit(
            ev.conversation_item_truncated(
                item_id=event.item_id,
                content_index=event.content_index,
                audio_end_ms=event.audio_end_ms,
            )
        )

    # -- responses ------------------------------------------------------------
    def on_response_create(self, event: c.ResponseCreateEvent) -> None:
        params = (
            event.response.model_dump(mode="json", exclude_unset=True, by_alias=True)
            if event.response
            else {}
        )
        out_of_band = params.get("conversation") == "none"
        if self.transcribing_only:
            self._refuse(
                event, "invalid_value", "A transcription session makes no responses.", "type"
            )
            return
        if not self.capabilities.client_responses:
            self._unsupported_feature(event, "responses on request; it answers the turns it hears")
            return
        if out_of_band and not self.capabilities.out_of_band:
            self._unsupported_feature(event, "out-of-band responses")
            return
        if not out_of_band and self.active is not None:
            self._refuse(
                event,
                "conversation_already_has_active_response",
                f"Conversation already has an active response in progress: {self.active.id}."
                " Wait until the response is finished before creating a new one.",
                None,
            )
            return
        try:
            self.create_response(params)
        except ItemError as exc:
            self._refuse(event, exc.code, exc.message, exc.param)

    def create_response(self, params: dict[str, Any] | None = None) -> ResponseRun:
        """Start a response: response.created now, the back-end is asked to generate.
        ItemError, before anything starts, for an `input` item that cannot be used."""
        params = params or {}
        out_of_band = params.get("conversation") == "none"
        if "input" in params or out_of_band:
            inputs = params.get("input") or []
            stored = [self._new_item(item, f"response.input[{i}]") for i, item in enumerate(inputs)]
        else:
            stored = self.conversation.items()
        config = self._response_config(params)
        run = ResponseRun(
            self.ids.response(),
            config=config,
            ids=self.ids,
            emit=self.emit,
            conversation=None if out_of_band else self.conversation,
            out_format=output_format(self.config),
            play=self._play if self.plays_audio else None,
        )
        audio = {
            s.id: bytes(s.audio[0]) for s in stored if s.data.get("role") == "user" and 0 in s.audio
        }
        run.start()  # first: should it fail, no response is left registered and never announced
        if out_of_band:
            self.out_of_band[run.id] = run
        else:
            self.active = run
            self._reply_begins(run.id)
            if self._vad is not None:
                self._vad.cancel_idle()
        self._outputs.append(
            StartResponse(run.id, [s.wire() for s in stored], config, out_of_band, audio)
        )
        return run

    def _response_config(self, params: dict[str, Any]) -> dict[str, Any]:
        config: dict[str, Any] = {
            key: copy.deepcopy(self.config.get(key))
            for key in ("instructions", "tools", "tool_choice", "max_output_tokens")
        }
        config["output_modalities"] = list(self.config["output_modalities"])
        config["audio"] = {"output": copy.deepcopy(self.config["audio"]["output"])}
        config["metadata"] = None
        for key, value in params.items():
            if key == "audio":
                config["audio"]["output"].update(value.get("output", {}))
            elif key not in ("conversation", "input"):
                config[key] = copy.deepcopy(value)
        output = config["audio"]["output"]
        if "voice" in output:
            output["voice"] = voice_name(output["voice"])
        return config

    def on_response_cancel(self, event: c.ResponseCancelEvent) -> None:
        run = self._run(event.response_id) if event.response_id else self.active
        if run is None or run.done:
            self._refuse(
                event,
                "response_cancel_not_active",
                "Cancellation failed: no active response found.",
                None,
            )
            return
        self.cancel(run.id, "client_cancelled")

    def cancel(self, response_id: str, reason: str) -> None:
        run = self._run(response_id)
        if run is None or run.done:
            return
        self._outputs.append(CancelResponse(run.id))
        run.finish("cancelled", {"type": "cancelled", "reason": reason})
        self._forget(run)

    def _run(self, response_id: str | None) -> ResponseRun | None:
        if response_id is None:
            return None
        if self.active is not None and self.active.id == response_id:
            return self.active
        return self.out_of_band.get(response_id)

    def _forget(self, run: ResponseRun) -> None:
        if self.plays_audio:
            self._outputs.append(AudioDone(run.id))
        if self.active is run:
            self.active = None
            self._settle_awaited(run.id)
            if self._vad is not None:
                # the user has heard the reply once its audio has played out
                self._vad.mark_idle_start(self.input_ms + run.audio_ms_total)
        self.out_of_band.pop(run.id, None)

    # -- audio the transport plays itself (WebRTC) ------------------------------------
    def _play(self, response_id: str, item_id: str, content_index: int, data: bytes) -> None:
        fmt = output_format(self.config)
        self._outputs.append(PlayAudio(response_id, item_id, content_index, data, fmt))

    def output_audio_started(self, response_id: str) -> None:
        """The transport began playing this response's audio."""
        self._audible = response_id
        self.emit(ev.output_audio_buffer_started(response_id=response_id))

    def output_audio_stopped(self, response_id: str) -> None:
        """This response's audio has played out."""
        self.emit(ev.output_audio_buffer_stopped(response_id=response_id))

    def output_audio_cleared(
        self,
        response_id: str | None,
        cut: tuple[str, int, int] | None = None,
        event_id: str | None = None,
    ) -> None:
        """The transport dropped unplayed audio: the item is truncated at what was
        played (`cut` = item id, content index, audio_end_ms), as the service does
        over WebRTC, then `output_audio_buffer.cleared`."""
        if cut is not None:
            item_id, content_index, audio_end_ms = cut
            if item_id in self.conversation:
                stored = self.conversation.get(item_id)
                audio_end_ms = min(audio_end_ms, stored.audio_ms(content_index))
                try:
                    self.conversation.truncate(item_id, content_index, audio_end_ms)
                except ItemError:
                    pass  # not an audio item any more (deleted and replaced): nothing to cut
                else:
                    self.emit(
                        ev.conversation_item_truncated(
                            item_id=item_id, content_index=content_index, audio_end_ms=audio_end_ms
                        )
                    )
        if response_id is None:
            message = "There is no response audio to clear."
            self.emit(_error("invalid_value", message, None, event_id))
            return
        self.emit(ev.output_audio_buffer_cleared(response_id=response_id))

    # -- turns a back-end takes itself (FastRTC handlers) -------------------------
    def backend_speech_started(self) -> str:
        """The back-end heard speech: speech_started now (barge-in if asked for); the
        returned item id is the one the user item will get."""
        return self._speech_started(self.input_ms)

    def backend_speech_stopped(self, item_id: str | None = None) -> str:
        """The back-end heard the user pause: speech_stopped, then the buffer is committed."""
        item_id = item_id or self.ids.item()
        self.emit(ev.input_audio_buffer_speech_stopped(audio_end_ms=self.input_ms, item_id=item_id))
        return self.commit(item_id)

    def begin_response(self) -> str:
        """A response the back-end starts of its own accord (no StartResponse is sent)."""
        if self.active is not None:
            self.response_finished(self.active.id)
        run = ResponseRun(
            self.ids.response(),
            config=self._response_config({}),
            ids=self.ids,
            emit=self.emit,
            conversation=self.conversation,
            out_format=output_format(self.config),
            play=self._play if self.plays_audio else None,
        )
        run.start()
        self.active = run
        self._reply_begins(run.id)
        return run.id

    def last_user_item(self) -> str | None:
        for item in reversed(self.conversation.items()):
            if item.data.get("role") == "user":
                return item.id
        return None

    def send_raw(self, event: dict[str, Any]) -> None:
        """A server event a back-end built itself; it gets an event_id and is checked."""
        data = {"event_id": self.ids.event(), **event}
        parsed = parse_server_event(data)
        if isinstance(parsed, UnknownServerEvent) and parsed.problem is not None:
            raise ValueError(f"not a valid server event: {parsed.problem}")
        self.emit(parsed)

    @property
    def input_ms(self) -> int:
        """Input audio received since the session began, in ms (from samples, not a clock)."""
        return self.in_format.ms_for_samples(self.input_samples)

    # -- back-end results (the driver calls these) -----------------------------
    def response_text(self, response_id: str, delta: str) -> None:
        run = self._run(response_id)
        if run is not None:
            run.text(delta)

    def response_transcript(self, response_id: str, delta: str) -> None:
        run = self._run(response_id)
        if run is not None:
            run.transcript(delta)

    def response_audio(self, response_id: str, data: bytes) -> None:
        """Response audio already in the session's output format."""
        run = self._run(response_id)
        if run is not None:
            run.audio(data)

    def response_function_call(
        self, response_id: str, name: str, arguments: str, call_id: str | None = None
    ) -> str | None:
        run = self._run(response_id)
        return run.function_call(name, arguments, call_id) if run is not None else None

    def response_finished(self, response_id: str) -> None:
        run = self._run(response_id)
        if run is not None:
            run.finish("completed")
            self._forget(run)

    def response_failed(self, response_id: str, message: str) -> None:
        """The back-end raised: the response ends `failed`, the session goes on."""
        run = self._run(response_id)
        if run is not None:
            run.finish(
                "failed",
                {
                    "type": "failed",
                    "error": {"type": "server_error", "code": "backend_error", "message": message},
                },
            )
            self._forget(run)

    def transcription_delta(self, item_id: str, content_index: int, delta: str) -> None:
        if (
            item_id in self.conversation
            and content_index not in self.conversation.get(item_id).transcribed
        ):
            self.emit(
                ev.conversation_item_input_audio_transcription_delta(
                    item_id=item_id, content_index=content_index, delta=delta
                )
            )

    def _transcribed(self, item_id: str, content_index: int) -> bool:
        """Whether the item's transcription is (now) settled: True the first time only."""
        if item_id not in self.conversation:
            return False
        stored = self.conversation.get(item_id)
        if content_index in stored.transcribed:
            return False
        stored.transcribed.add(content_index)
        return True

    def transcription_completed(self, item_id: str, content_index: int, transcript: str) -> None:
        if not self._transcribed(item_id, content_index):
            return
        part = self.conversation.get(item_id).data["content"][content_index]
        part["transcript"] = transcript
        self.emit(
            ev.conversation_item_input_audio_transcription_completed(
                item_id=item_id,
                content_index=content_index,
                transcript=transcript,
                usage={"type": "duration", "seconds": 0},
            )
        )

    def transcription_failed(
        self, item_id: str, content_index: int, message: str, code: str = "failed"
    ) -> None:
        if self._transcribed(item_id, content_index):
            self.emit(
                ev.conversation_item_input_audio_transcription_failed(
                    item_id=item_id,
                    content_index=content_index,
                    error={"type": "transcription_error", "code": code, "message": message},
                )
            )
