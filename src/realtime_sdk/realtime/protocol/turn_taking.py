"""Input audio and turns: appends, commits and clears; the server VAD's turns; and the turns
of a back-end that takes them itself (a FastRTC handler)."""

from __future__ import annotations

from ..._generated.ga import client_events as c
from ..._generated.ga import server_stub as ev
from ...audio import decode_wire_audio
from .items import user_audio_turn
from .outputs import ClearOutputAudio, InputAudio, Samples
from .responding import Responding
from .turn_detection import IdleTimeout, VadEvent, VadSpeechStarted, VadSpeechStopped

MIN_COMMIT_MS = 100


class TurnTaking(Responding):
    _speech_item: str | None = None  # the item id announced at speech_started

    # -- client events --------------------------------------------------------
    def on_input_audio_buffer_append(self, event: c.InputAudioBufferAppendEvent) -> None:
        try:
            data = decode_wire_audio(event.audio, self._in_format)  # per frame: no property
        except ValueError as exc:
            self._refuse(event, "invalid_value", f"Invalid 'audio': {exc}.", "audio")
            return
        self.receive_audio(data)

    def on_input_audio_buffer_commit(self, event: c.InputAudioBufferCommitEvent) -> None:
        have = self.input_buffer.turn_ms
        if have < MIN_COMMIT_MS:
            self._refuse(
                event,
                "input_audio_buffer_commit_empty",
                f"Error committing input audio buffer: buffer too small. Expected at least"
                f" {MIN_COMMIT_MS}ms of audio, but buffer only has {have:.2f}ms of audio.",
                None,
            )
            return
        self._commit()

    def on_input_audio_buffer_clear(self, event: c.InputAudioBufferClearEvent) -> None:
        self.input_buffer.clear()
        self.emit(ev.input_audio_buffer_cleared())

    # -- input audio ------------------------------------------------------------
    def receive_audio(self, data: bytes, source: Samples | None = None) -> None:
        """Input audio in the session's input format, whole samples (websocket appends once
        decoded, WebRTC's RTP once converted); then `take()`: the server VAD may have ended a
        turn (a commit, a response to start), and a back-end that takes its own turns gets
        the audio as `InputAudio`, with `source` (the same audio as it arrived) if given.
        With noise reduction on, all of them hear the denoised audio (and no `source`)."""
        if self.noise.active:
            data, source = self.noise.apply(data, self._in_format), None
        turns = self.input_buffer.append(data)
        if self._capabilities.raw_input_audio:
            self._outputs.append(InputAudio(data, source))
        for turn in turns:
            self._on_turn(turn)

    def _on_turn(self, turn: VadEvent) -> None:
        """Server VAD: speech started (barge-in), stopped (commit, respond), idle timeout."""
        detection = self._turn_detection() or {}
        if isinstance(turn, VadSpeechStarted):
            self._speech_item = self._speech_started(turn.audio_start_ms)
            return
        if isinstance(turn, VadSpeechStopped):
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
        self._commit(item_id, reset_detector=False)
        if self.transcribing_only:
            return
        if detection.get("create_response", True) and self._active is None:
            self._create_response()

    def _speech_started(self, audio_start_ms: int) -> str:
        item_id = self.ids.item()
        detection = self._turn_detection() or {}
        if detection.get("interrupt_response", True):
            # audio may still be playing after its response is done (WebRTC plays it out)
            response_id = self._active.id if self._active is not None else None
            if self._active is not None:
                self._cancel(self._active.id, "turn_detected")
            self._outputs.append(ClearOutputAudio(response_id))
        self.emit(
            ev.input_audio_buffer_speech_started(audio_start_ms=audio_start_ms, item_id=item_id)
        )
        return item_id

    def _commit(self, item_id: str | None = None, *, reset_detector: bool = True) -> str:
        """Turn the buffer into a user audio item: committed, item added, item done."""
        item_id = item_id or self.ids.item()
        audio, unkept = self.input_buffer.take_turn(reset_detector=reset_detector)
        stored = user_audio_turn(item_id, audio, unkept, self.in_format)
        previous = self.conversation.insert(stored)
        self.emit(ev.input_audio_buffer_committed(previous_item_id=previous, item_id=item_id))
        self.emit(ev.conversation_item_added(previous_item_id=previous, item=stored.wire()))
        self.emit(ev.conversation_item_done(previous_item_id=previous, item=stored.wire()))
        transcription = self._config["audio"]["input"].get("transcription")
        if transcription:
            job = self.transcripts.committed(
                item_id,
                audio,
                transcription,
                self.capabilities,
                replies=not self.transcribing_only,
            )
            if job is not None:
                self._outputs.append(job)
        return item_id

    # -- turns a back-end takes itself (FastRTC handlers) -------------------------
    def heard_speech_started(self) -> str:
        """The back-end heard speech: speech_started now (barge-in if asked for); the
        returned item id is the one the user item will get. Then `take()`."""
        return self._speech_started(self.input_ms)

    def heard_speech_stopped(self, item_id: str | None = None) -> str:
        """The back-end heard the user pause: speech_stopped, then the buffer is committed
        (as `item_id`, the one `heard_speech_started` gave). Then `take()`."""
        item_id = item_id or self.ids.item()
        self.emit(ev.input_audio_buffer_speech_stopped(audio_end_ms=self.input_ms, item_id=item_id))
        return self._commit(item_id)

    def user_transcript(self, text: str) -> None:
        """The back-end's words for the last user turn (a FastRTC handler's RealtimeMessage):
        that item's transcription is completed, once. Then `take()`."""
        for item in reversed(self.conversation.items()):
            if item.data.get("role") == "user":
                self.transcripts.completed(item.id, 0, text)
                return
