"""`audio.input.noise_reduction`: the session's input audio through a noise suppressor
before turn detection, the input buffer and the back-end, while it is set.

The suppressor is DeepFilterNet's (audio/denoise.py) where it is installed, or the caller's;
a session without one refuses the setting, naming it. `near_field` and `far_field` use the
same model, which adapts to the noise it hears.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from ...audio import AudioFormat, Int16Array, decode, encode

PARAM = "session.audio.input.noise_reduction"


class NoiseSuppressor(Protocol):
    def process(self, samples: Int16Array) -> Int16Array:
        """The next samples, denoised, as many as given (int16 mono)."""
        ...


SuppressorFactory = Callable[[int], NoiseSuppressor]  # made for a stream at this rate


def default_suppressor() -> SuppressorFactory | None:
    """DeepFilterNet where it is installed, else none."""
    from ...audio.denoise import Denoiser, available

    return Denoiser if available() else None


class InputNoise:
    """The suppressor in use, made anew when the setting or the input format changes."""

    def __init__(self, factory: SuppressorFactory | None) -> None:
        self.factory = factory
        self._setting: Any = None
        self._format: AudioFormat | None = None
        self._suppressor: NoiseSuppressor | None = None

    @property
    def active(self) -> bool:
        return self._suppressor is not None

    def refusal(self, setting: Any) -> str | None:
        """Why `setting` cannot be honoured here, or None."""
        if setting is not None and self.factory is None:
            return "This server has no noise suppressor: pip install 'realtime-sdk[denoise]'."
        return None

    def configure(self, setting: Any, fmt: AudioFormat) -> None:
        if setting == self._setting and fmt == self._format:
            return
        self._setting, self._format = setting, fmt
        self._suppressor = (
            self.factory(fmt.rate) if setting is not None and self.factory is not None else None
        )

    def apply(self, data: bytes, fmt: AudioFormat) -> bytes:
        """`data` (whole samples of `fmt`) denoised, in `fmt`."""
        if self._suppressor is None or not data:
            return data
        return encode(self._suppressor.process(decode(data, fmt)), fmt)
