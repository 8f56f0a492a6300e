"""Server-side turn detection (``server_vad``, ``semantic_vad``) as a sans-I/O state machine.

`ServerVad` is fed int16 mono audio at its speech model's rate, in chunks of any size, and returns
events. Its only clock is the count of samples received, so every millisecond it reports is an
offset from the start of the session's input audio, and the same audio gives the same events however
it is chunked. It never imports a model: anything shaped like `SpeechModel` will do (the real one is
`realtime_sdk.vad.SileroSpeechModel`; tests script a fake one).

Rules, applied once per model frame (the way Silero's own streaming utility, ``VADIterator``, does):

- **Start**: the first frame whose probability is ``>= threshold`` starts speech.
  ``speech_start_ms`` is that frame's start; ``audio_start_ms`` is ``prefix_padding_ms`` earlier,
  but never before the start of the input audio buffer.
- **Hysteresis**: while speaking, silence begins at the first frame below ``threshold - 0.15`` (at
  least 0.01); a frame ``>= threshold`` cancels it; frames in between neither begin nor cancel it,
  so a voice hovering near the threshold does not flap.
- **Stop**: speech stops at the end of the frame by which the silence has lasted
  ``silence_duration_ms``. ``speech_end_ms`` is where the silence began (the end of the last speech
  frame). ``audio_end_ms`` is ``speech_end_ms + silence_duration_ms``, because the service documents
  ``speech_stopped.audio_end_ms`` as the end of the audio sent to the model, which "includes the
  min_silence_duration_ms configured in the Session".
- **Commit**: a stop (and an idle timeout) commits the buffer, so the next buffer starts at its
  ``audio_end_ms``; a client's ``input_audio_buffer.clear`` or ``commit`` is `ServerVad.reset`.
- **Idle timeout** (``idle_timeout_ms``, server_vad only): the session arms it with
  `ServerVad.mark_idle_start` when a response's audio has finished playing (``response.done`` plus
  the playback time, in input-audio milliseconds). If no speech starts within ``idle_timeout_ms`` of
  that point, `IdleTimeout` reports the silent span (``input_audio_buffer.timeout_triggered``) and
  the timer disarms until the session arms it again. Like everything here it runs on audio time: it
  fires only while audio keeps arriving, as it does over WebRTC and from streaming clients.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final, Literal, Protocol, TypeAlias, cast

import numpy as np
import numpy.typing as npt

__all__ = [
    "HYSTERESIS",
    "SEMANTIC_SILENCE_MS",
    "Eagerness",
    "IdleTimeout",
    "ServerVad",
    "SpeechModel",
    "VadConfig",
    "VadConfigError",
    "VadEvent",
    "VadSpeechStarted",
    "VadSpeechStopped",
]

Eagerness: TypeAlias = Literal["low", "medium", "high", "auto"]

HYSTERESIS: Final = 0.15
"""Speech ends below ``threshold - HYSTERESIS``, as in Silero's own utilities."""

_MIN_NEG_THRESHOLD: Final = 0.01

SEMANTIC_SILENCE_MS: Final[Mapping[str, int]] = {
    "low": 1600,
    "medium": 800,
    "auto": 800,
    "high": 400,
}
"""``semantic_vad`` eagerness -> silence that ends a turn.

We have no semantic end-of-turn model, so eagerness becomes a fixed silence. The service documents
maximum waits of 8 s, 4 s and 2 s for low, medium and high (auto = medium); one fifth of each keeps
their order and ratios, and even "high" waits twice server_vad's 200 ms, as semantic_vad is meant to
cut people off less often than server_vad does.
"""

_IDLE_MIN_MS: Final = 5000
_IDLE_MAX_MS: Final = 30000


class SpeechModel(Protocol):
    """A frame-wise speech probability model with recurrent state (Silero-shaped)."""

    @property
    def sample_rate(self) -> int:
        """Rate of the audio the model takes, in Hz."""
        ...

    @property
    def frame_samples(self) -> int:
        """Exact length of each frame `probability` takes."""
        ...

    def probability(self, frame: npt.NDArray[np.int16]) -> float:
        """Speech probability (0..1) of one int16 mono frame of `frame_samples` samples."""
        ...

    def reset(self) -> None:
        """Forget the recurrent state, as if the audio started afresh."""
        ...


@dataclass(frozen=True, slots=True)
class VadSpeechStarted:
    """``input_audio_buffer.speech_started``."""

    audio_start_ms: int
    """The speech onset minus the prefix padding, not before the buffer start."""
    speech_start_ms: int
    """The speech onset itself (start of the first speech frame)."""


@dataclass(frozen=True, slots=True)
class VadSpeechStopped:
    """``input_audio_buffer.speech_stopped``; the buffer up to `audio_end_ms` is committed."""

    audio_end_ms: int
    """`speech_end_ms` plus the silence duration, as the service reports it."""
    speech_end_ms: int
    """Where speech ended: the end of the last speech frame."""


@dataclass(frozen=True, slots=True)
class IdleTimeout:
    """``input_audio_buffer.timeout_triggered``; the silent span is committed."""

    audio_start_ms: int
    """Where the idle time began (`ServerVad.mark_idle_start`), not before the buffer start."""
    audio_end_ms: int
    """Where the timeout fired: the end of the frame that reached it."""


VadEvent: TypeAlias = VadSpeechStarted | VadSpeechStopped | IdleTimeout


class VadConfigError(ValueError):
    """A turn_detection setting the protocol refuses; `param` names it (``idle_timeout_ms``)."""

    def __init__(self, param: str, message: str) -> None:
        super().__init__(f"{param}: {message}")
        self.param = param

    @property
    def session_param(self) -> str:
        """The setting's path in a session (`audio.input.turn_detection.idle_timeout_ms`)."""
        return f"audio.input.turn_detection.{self.param}"


@dataclass(frozen=True, slots=True)
class VadConfig:
    """The settings of one turn_detection object, defaults as the service sends them.

    ``eagerness`` is None for server_vad and set for semantic_vad (see `VadConfig.semantic`).
    ``create_response`` and ``interrupt_response`` are carried for the session, which acts on the
    events; the detector itself does not read them.
    """

    threshold: float = 0.5
    prefix_padding_ms: int = 300
    silence_duration_ms: int = 200
    create_response: bool = True
    interrupt_response: bool = True
    idle_timeout_ms: int | None = None
    eagerness: Eagerness | None = None

    def __post_init__(self) -> None:
        if not 0.0 <= self.threshold <= 1.0:
            raise VadConfigError("threshold", f"must be between 0 and 1, got {self.threshold}")
        if self.prefix_padding_ms < 0:
            raise VadConfigError("prefix_padding_ms", f"must be >= 0, got {self.prefix_padding_ms}")
        if self.silence_duration_ms < 0:
            raise VadConfigError(
                "silence_duration_ms", f"must be >= 0, got {self.silence_duration_ms}"
            )
        idle = self.idle_timeout_ms
        if idle is not None and not _IDLE_MIN_MS <= idle <= _IDLE_MAX_MS:
            raise VadConfigError(
                "idle_timeout_ms",
                f"must be null or between {_IDLE_MIN_MS} and {_IDLE_MAX_MS}, got {idle}",
            )
        if self.eagerness is not None and self.eagerness not in SEMANTIC_SILENCE_MS:
            raise VadConfigError("eagerness", f"unknown eagerness {self.eagerness!r}")

    @property
    def type(self) -> Literal["server_vad", "semantic_vad"]:
        return "server_vad" if self.eagerness is None else "semantic_vad"

    @property
    def neg_threshold(self) -> float:
        """Below this, a frame counts as silence (hysteresis; see the module docstring)."""
        return max(self.threshold - HYSTERESIS, _MIN_NEG_THRESHOLD)

    @classmethod
    def semantic(
        cls,
        eagerness: Eagerness = "auto",
        *,
        create_response: bool = True,
        interrupt_response: bool = True,
    ) -> VadConfig:
        """semantic_vad on the same machine: server_vad defaults, eagerness-dependent silence."""
        if eagerness not in SEMANTIC_SILENCE_MS:
            raise VadConfigError("eagerness", f"unknown eagerness {eagerness!r}")
        return cls(
            silence_duration_ms=SEMANTIC_SILENCE_MS[eagerness],
            create_response=create_response,
            interrupt_response=interrupt_response,
            eagerness=eagerness,
        )

    @classmethod
    def from_turn_detection(cls, obj: Mapping[str, Any] | None) -> VadConfig | None:
        """The config of a wire ``turn_detection`` object (a null setting takes its default)."""
        if obj is None:
            return None
        kind = obj.get("type")
        create = _flag(obj, "create_response", True)
        interrupt = _flag(obj, "interrupt_response", True)
        if kind == "semantic_vad":
            eagerness = obj.get("eagerness") or "auto"
            if eagerness not in SEMANTIC_SILENCE_MS:
                raise VadConfigError("eagerness", f"unknown eagerness {eagerness!r}")
            return cls.semantic(
                cast(Eagerness, eagerness), create_response=create, interrupt_response=interrupt
            )
        if kind != "server_vad":
            raise VadConfigError("type", f"unknown turn detection type {kind!r}")
        idle = obj.get("idle_timeout_ms")
        return cls(
            threshold=float(_number(obj, "threshold", 0.5)),
            prefix_padding_ms=int(_number(obj, "prefix_padding_ms", 300)),
            silence_duration_ms=int(_number(obj, "silence_duration_ms", 200)),
            create_response=create,
            interrupt_response=interrupt,
            idle_timeout_ms=None if idle is None else int(_number(obj, "idle_timeout_ms", 0)),
        )


_SERVER_VAD: Final = VadConfig()


def _number(obj: Mapping[str, Any], name: str, default: float) -> float:
    value = obj.get(name)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise VadConfigError(name, f"must be a number, got {value!r}")
    return value


def _flag(obj: Mapping[str, Any], name: str, default: bool) -> bool:
    value = obj.get(name)
    if value is None:
        return default
    if not isinstance(value, bool):
        raise VadConfigError(name, f"must be a boolean, got {value!r}")
    return value


class ServerVad:
    """Turn detection over a `SpeechModel`; see the module docstring for the rules.

    ``config=None`` means turn detection is off (``turn_detection: null``): audio is still counted,
    so milliseconds stay right when it is turned back on, but the model is not run.
    """

    def __init__(self, model: SpeechModel, config: VadConfig | None = _SERVER_VAD) -> None:
        if model.sample_rate <= 0 or model.frame_samples <= 0:
            raise ValueError("the speech model needs a positive sample_rate and frame_samples")
        self._model = model
        self._rate = model.sample_rate
        self._frame = model.frame_samples
        self._config = config
        self._received = 0  # samples since the session's input audio began
        self._pending: npt.NDArray[np.int16] = np.zeros(0, dtype=np.int16)
        self._buffer_start_ms = 0
        self._speaking = False
        self._silence_from: int | None = None  # sample where the pending silence began
        self._idle_from_ms: int | None = None

    @property
    def config(self) -> VadConfig | None:
        return self._config

    @property
    def speaking(self) -> bool:
        return self._speaking

    @property
    def received_samples(self) -> int:
        return self._received

    @property
    def received_ms(self) -> int:
        """Milliseconds of input audio received so far (at the model's rate)."""
        return self._ms(self._received)

    @property
    def buffer_start_ms(self) -> int:
        """Where the current input audio buffer began (its last commit or clear)."""
        return self._buffer_start_ms

    @property
    def idle_start_ms(self) -> int | None:
        """Where the armed idle timer counts from, or None when it is not armed."""
        return self._idle_from_ms

    def feed(self, audio: npt.NDArray[np.int16]) -> list[VadEvent]:
        """Take the next input audio (int16 mono at the model's rate); return what it caused."""
        samples = np.asarray(audio)
        if samples.dtype != np.int16 or samples.ndim != 1:
            raise ValueError(
                f"turn detection takes 1-D int16 audio, got {samples.dtype} {samples.shape}"
            )
        self._received += len(samples)
        if self._config is None:
            return []
        frame = self._frame
        if len(self._pending) + len(samples) < frame:
            self._pending = np.concatenate((self._pending, samples))
            return []
        data = np.concatenate((self._pending, samples))
        first = self._received - len(data)  # absolute sample index of data[0]
        whole = len(data) - len(data) % frame
        events: list[VadEvent] = []
        for offset in range(0, whole, frame):
            events.extend(self._step(data[offset : offset + frame], first + offset))
        self._pending = data[whole:].copy()
        return events

    def configure(self, config: VadConfig | None) -> None:
        """Apply a new turn_detection (session.update); later frames follow it.

        Turning detection off drops any speech in progress without an event. Turning it back on
        resets the model, which did not hear the audio in between.
        """
        if config is None:
            self._speaking = False
            self._silence_from = None
            self._pending = np.zeros(0, dtype=np.int16)
        elif self._config is None:
            self._model.reset()
        self._config = config

    def reset(self) -> None:
        """``input_audio_buffer.clear`` or ``commit``: a new buffer starts at the current position.

        Speech in progress is dropped without a `VadSpeechStopped`. The model keeps its state and
        the partial frame is kept, because the audio stream itself goes on uninterrupted.
        """
        self._buffer_start_ms = self.received_ms
        self._speaking = False
        self._silence_from = None

    def mark_idle_start(self, ms: int | None = None) -> None:
        """Arm the idle timer from `ms` (input-audio ms; default: now), e.g. when playback ended.

        `ms` may lie ahead of the audio received so far. Ignored while speech is in progress: that
        turn is followed by its own response, whose end arms the timer again.
        """
        if self._speaking:
            return
        self._idle_from_ms = self.received_ms if ms is None else ms

    def cancel_idle(self) -> None:
        """Disarm the idle timer (e.g. a response started before the timeout)."""
        self._idle_from_ms = None

    def _ms(self, samples: int) -> int:
        return samples * 1000 // self._rate

    def _step(self, frame: npt.NDArray[np.int16], start: int) -> list[VadEvent]:
        config = self._config
        assert config is not None
        end = start + self._frame
        p = float(self._model.probability(frame))
        if not self._speaking:
            if p >= config.threshold:
                self._speaking = True
                self._silence_from = None
                self._idle_from_ms = None
                onset = self._ms(start)
                padded = max(self._buffer_start_ms, onset - config.prefix_padding_ms)
                return [VadSpeechStarted(audio_start_ms=padded, speech_start_ms=onset)]
            return self._check_idle(config, end)
        if p >= config.threshold:
            self._silence_from = None
            return []
        if self._silence_from is None:
            if p >= config.neg_threshold:
                return []
            self._silence_from = start
        if (end - self._silence_from) * 1000 < config.silence_duration_ms * self._rate:
            return []
        speech_end = self._ms(self._silence_from)
        audio_end = speech_end + config.silence_duration_ms
        self._speaking = False
        self._silence_from = None
        self._buffer_start_ms = audio_end
        return [VadSpeechStopped(audio_end_ms=audio_end, speech_end_ms=speech_end)]

    def _check_idle(self, config: VadConfig, end: int) -> list[VadEvent]:
        since = self._idle_from_ms
        timeout = config.idle_timeout_ms
        if since is None or timeout is None or end * 1000 < (since + timeout) * self._rate:
            return []
        fired = self._ms(end)
        start = max(since, self._buffer_start_ms)
        self._idle_from_ms = None
        self._buffer_start_ms = fired
        return [IdleTimeout(audio_start_ms=start, audio_end_ms=fired)]
