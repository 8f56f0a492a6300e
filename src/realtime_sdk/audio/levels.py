"""Is this audio quiet: the one definition, for every path that skips work on silence.

Quiet means a root mean square of at most `QUIET_RMS` on the int16 scale, about -60 dBFS:
digital silence, a muted microphone, a line's hiss; never speech. The session's VAD input
(which skips its resampler), the Silero model (which does not run) and back-ends that wait for
sound all ask `is_quiet`, so they agree on what a frame is.

The check is one float32 dot product, the fastest form measured (bench/bench_audio.py, a quiet
frame): 0.95 us on 20 ms at 24 kHz and 1.0 us on Silero's 32 ms at 16 kHz. A float64 dot costs
the same within noise, an int64 one 1.4 us, a dot of floats scaled to [-1, 1] 1.6-1.7 us and a
peak check (max and min, no abs() temporary) 2.3-2.4 us. It is exact for frames under 16384
samples (every partial sum is a whole number under 2**24).
"""

from __future__ import annotations

from typing import Final

import numpy as np
import numpy.typing as npt

__all__ = ["QUIET_RMS", "is_quiet", "peak_at_most"]

QUIET_RMS: Final = 32.0
"""About -60 dBFS (20 log10(32 / 32768) = -60.2): audio this quiet is not speech."""
_QUIET_SQUARE: Final = QUIET_RMS * QUIET_RMS


def is_quiet(samples: npt.NDArray[np.int16]) -> bool:
    """Whether int16 ``samples`` have a root mean square of at most `QUIET_RMS` (none: quiet)."""
    f = samples.astype(np.float32)
    return float(f.dot(f)) <= _QUIET_SQUARE * len(samples)


def peak_at_most(samples: npt.NDArray[np.int16], level: int) -> bool:
    """Whether no sample of ``samples`` lies beyond ``+-level`` (no samples: true).

    Not the quiet test: a bound on the peak that a caller sets itself (the FastRTC adapter's
    ``silence_level``); two reductions, without the temporary that ``abs()`` makes.
    """
    return len(samples) == 0 or (int(samples.max()) <= level and int(samples.min()) >= -level)
