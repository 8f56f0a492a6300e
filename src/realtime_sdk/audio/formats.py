"""The protocol's three wire formats and the sample array every other module speaks.

A GA session names a format by object (``{"type": "audio/pcm", "rate": 24000}``), a beta one by
string (``"pcm16"``); `AudioFormat` is both, validated once, with the sizes and durations
counted as the protocol counts them (whole samples, milliseconds floored). Samples are 1-D
``int16`` arrays everywhere in this package; wire audio is ``bytes``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final, Literal, Protocol, TypeAlias, cast

import numpy as np
import numpy.typing as npt

__all__ = [
    "PCM24K",
    "PCMA",
    "PCMU",
    "AudioFormat",
    "Encoding",
    "FormatLike",
    "Int16Array",
]

Int16Array: TypeAlias = npt.NDArray[np.int16]
Encoding: TypeAlias = Literal["pcm", "pcmu", "pcma"]

G711_RATE: Final = 8000
_GA_DEFAULT_PCM_RATE: Final = 24000
_GA_TYPES: Final[dict[str, Encoding]] = {
    "audio/pcm": "pcm",
    "audio/pcmu": "pcmu",
    "audio/pcma": "pcma",
}
_BETA_NAMES: Final[dict[str, Encoding]] = {
    "pcm16": "pcm",
    "g711_ulaw": "pcmu",
    "g711_alaw": "pcma",
}
_GA_FORMATS: dict[tuple[str, int | None], AudioFormat] = {}  # AudioFormat.from_ga's, by value
EMPTY: Final[Int16Array] = np.zeros(0, dtype=np.int16)
"""No samples, read-only: copy it to hand it out."""
EMPTY.flags.writeable = False


class _HasType(Protocol):
    """What a GA format object looks like, e.g. the generated pydantic models."""

    @property
    def type(self) -> str: ...


def check_rate(rate: object, what: object) -> int:
    """``rate`` if it is a positive integer; otherwise a ValueError naming ``what``."""
    if isinstance(rate, bool) or not isinstance(rate, int) or rate <= 0:
        raise ValueError(f"sample rate of {what} must be a positive integer, got {rate!r}")
    return rate


def require_mono_int16(samples: object, what: str) -> Int16Array:
    """``samples`` if it is a 1-D int16 array; otherwise a TypeError pointing at the fix."""
    if not isinstance(samples, np.ndarray):
        raise TypeError(
            f"{what} must be a 1-D int16 numpy array, got {type(samples).__name__}; "
            "convert with to_mono_int16()"
        )
    if samples.dtype != np.int16 or samples.ndim != 1:
        raise TypeError(
            f"{what} must be 1-D int16, got {samples.dtype} with shape {samples.shape}; "
            "convert with to_mono_int16()"
        )
    return cast(Int16Array, samples)


@dataclass(frozen=True, slots=True)
class AudioFormat:
    """One of the protocol's three wire formats, with its sample rate.

    ``pcm`` is 16-bit little-endian mono (the protocol only uses 24000 Hz, but other rates are
    allowed so back-end formats can be described too); ``pcmu``/``pcma`` are G.711 at 8000 Hz.
    """

    encoding: Encoding
    rate: int

    def __post_init__(self) -> None:
        if self.encoding not in ("pcm", "pcmu", "pcma"):
            raise ValueError(
                f"unknown audio encoding {self.encoding!r}; expected 'pcm', 'pcmu' or 'pcma'"
            )
        check_rate(self.rate, "rate")
        if self.encoding != "pcm" and self.rate != G711_RATE:
            raise ValueError(f"G.711 ({self.encoding}) is 8000 Hz only, not {self.rate}")

    # -- constructors from what the protocol carries

    @classmethod
    def from_ga(cls, value: Mapping[str, Any] | _HasType) -> AudioFormat:
        """From a GA format object: ``{"type": "audio/pcm", "rate": 24000}`` or a model."""
        if value is None:
            raise ValueError("unknown audio format None; expected a format object")
        if isinstance(value, Mapping):
            kind, rate = value.get("type"), value.get("rate")
        else:
            kind, rate = getattr(value, "type", None), getattr(value, "rate", None)
        if kind is None:
            kind = "audio/pcm"  # the spec leaves `type` optional; PCM is the default format
        # the session's format is read for every frame: a valid one is made once
        key = (kind, rate) if isinstance(kind, str) and type(rate) in (int, type(None)) else None
        known = _GA_FORMATS.get(key) if key is not None else None
        if known is not None:
            return known
        made = cls._from_ga(kind, rate)
        if key is not None and len(_GA_FORMATS) < 64:
            _GA_FORMATS[key] = made
        return made

    @classmethod
    def _from_ga(cls, kind: object, rate: object) -> AudioFormat:
        encoding = _GA_TYPES.get(kind) if isinstance(kind, str) else None
        if encoding is None:
            raise ValueError(
                f"unknown audio format type {kind!r}; expected one of {', '.join(_GA_TYPES)}"
            )
        if encoding == "pcm":
            return cls("pcm", _GA_DEFAULT_PCM_RATE if rate is None else check_rate(rate, kind))
        if rate is not None and rate != G711_RATE:
            raise ValueError(f"{kind} is 8000 Hz only; got rate {rate!r}")
        return cls(encoding, G711_RATE)

    @classmethod
    def from_beta(cls, name: str) -> AudioFormat:
        """From a beta format string: ``"pcm16"``, ``"g711_ulaw"`` or ``"g711_alaw"``."""
        encoding = _BETA_NAMES.get(name) if isinstance(name, str) else None
        if encoding is None:
            raise ValueError(
                f"unknown beta audio format {name!r}; expected one of {', '.join(_BETA_NAMES)}"
            )
        return cls(encoding, _GA_DEFAULT_PCM_RATE if encoding == "pcm" else G711_RATE)

    @classmethod
    def parse(cls, value: FormatLike) -> AudioFormat:
        """Any of the above: an AudioFormat, a beta string, or a GA object."""
        if isinstance(value, AudioFormat):
            return value
        if isinstance(value, str):
            return cls.from_beta(value)
        return cls.from_ga(value)

    # -- back to the wire

    def to_ga(self) -> dict[str, Any]:
        """The GA session format object."""
        if self.encoding == "pcm":
            return {"type": "audio/pcm", "rate": self.rate}
        return {"type": f"audio/{self.encoding}"}

    def to_beta(self) -> str:
        """The beta format string; beta ``pcm16`` is implicitly 24 kHz."""
        if self.encoding == "pcmu":
            return "g711_ulaw"
        if self.encoding == "pcma":
            return "g711_alaw"
        if self.rate != _GA_DEFAULT_PCM_RATE:
            raise ValueError(f"beta pcm16 is 24000 Hz only; this format is {self.rate} Hz")
        return "pcm16"

    # -- sizes and durations, counted the way the protocol counts them

    @property
    def bytes_per_sample(self) -> int:
        return 2 if self.encoding == "pcm" else 1

    def samples_in(self, nbytes: int) -> int:
        """Whole samples in ``nbytes`` of wire audio."""
        if nbytes < 0:
            raise ValueError(f"byte count must be >= 0, got {nbytes}")
        return nbytes // self.bytes_per_sample

    def duration_ms(self, nbytes: int) -> int:
        """Milliseconds in ``nbytes``, floored; sum samples, not ms, across chunks."""
        return self.ms_for_samples(self.samples_in(nbytes))

    def ms_for_samples(self, samples: int) -> int:
        """Milliseconds covered by ``samples`` samples at this rate, floored."""
        if samples < 0:
            raise ValueError(f"sample count must be >= 0, got {samples}")
        return samples * 1000 // self.rate

    def samples_for_ms(self, ms: int) -> int:
        """Samples in the first ``ms`` milliseconds, floored."""
        if ms < 0:
            raise ValueError(f"duration must be >= 0 ms, got {ms}")
        return ms * self.rate // 1000

    def bytes_for_ms(self, ms: int) -> int:
        """Bytes of wire audio in ``ms`` milliseconds (whole samples)."""
        return self.samples_for_ms(ms) * self.bytes_per_sample


PCM24K: Final = AudioFormat("pcm", 24000)
PCMU: Final = AudioFormat("pcmu", G711_RATE)
PCMA: Final = AudioFormat("pcma", G711_RATE)

FormatLike: TypeAlias = AudioFormat | str | Mapping[str, Any] | _HasType
"""What ``decode``/``encode`` and the converters accept as a format (see AudioFormat.parse)."""
