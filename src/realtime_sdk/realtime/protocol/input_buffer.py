"""A session's input audio buffer: the turn being heard, and the server VAD listening to it.

The buffer keeps the first `MAX_KEPT_AUDIO_MS` of a turn and counts the rest: a back-end that
takes its own turns and never ends one must not grow it forever. Everything is counted in
samples of the session's input format, never by a clock.
"""

from __future__ import annotations

from typing import Any

from ...audio import AudioFormat, QuietSkippingDecoder
from .conversation import MAX_KEPT_AUDIO_MS, extend_kept
from .turn_detection import ServerVad, SpeechModel, VadConfig, VadEvent


class InputBuffer:
    def __init__(
        self, fmt: AudioFormat, speech_model: SpeechModel | None, detection: dict[str, Any] | None
    ) -> None:
        """Without a `speech_model` there is no server VAD (manual commits only)."""
        self.fmt = fmt
        self.kept = bytearray()  # the current turn, up to MAX_KEPT_AUDIO_MS
        self.unkept = 0  # bytes of the current turn beyond what is kept
        self.samples = 0  # input audio heard since the session began
        self._keep_bytes = fmt.bytes_for_ms(MAX_KEPT_AUDIO_MS)
        self._model = speech_model
        self.vad: ServerVad | None = None
        self._to_vad: QuietSkippingDecoder | None = None
        if speech_model is not None:
            self.vad = ServerVad(speech_model, VadConfig.from_turn_detection(detection))
            self._to_vad = QuietSkippingDecoder(fmt, speech_model.sample_rate)

    @property
    def turn_ms(self) -> int:
        """How much the current turn holds, kept or counted."""
        return self.fmt.duration_ms(len(self.kept) + self.unkept)

    @property
    def heard_ms(self) -> int:
        """Input audio heard since the session began, in ms (from samples, not a clock)."""
        return self.fmt.ms_for_samples(self.samples)

    def append(self, data: bytes) -> list[VadEvent]:
        """Audio in the input format; what the server VAD detected in it, in order."""
        self.unkept += extend_kept(self.kept, data, self._keep_bytes)
        self.samples += self.fmt.samples_in(len(data))
        if self.vad is None or self._to_vad is None:
            return []
        return self.vad.feed(self._to_vad.process(data))

    def take_turn(self, *, reset_detector: bool = True) -> tuple[bytearray, int]:
        """The turn's kept audio (moved out, not copied) and the count of the rest; the
        buffer starts the next turn empty."""
        if reset_detector and self.vad is not None:
            self.vad.reset()
        audio, unkept = self.kept, self.unkept
        self.kept, self.unkept = bytearray(), 0
        return audio, unkept

    def clear(self) -> None:
        self.kept.clear()
        self.unkept = 0
        if self.vad is not None:
            self.vad.reset()

    def reconfigure(self, fmt: AudioFormat, detection: VadConfig | None) -> None:
        """After a session.update: the (possibly new) input format and turn detection."""
        if self.vad is not None:
            self.vad.configure(detection)
        if fmt != self.fmt:
            self.fmt = fmt
            self._keep_bytes = fmt.bytes_for_ms(MAX_KEPT_AUDIO_MS)
            if self._model is not None:
                self._to_vad = QuietSkippingDecoder(fmt, self._model.sample_rate)
