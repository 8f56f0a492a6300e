"""Behaviour of realtime_sdk.audio.levels: the one definition of quiet."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from realtime_sdk.audio.levels import QUIET_RMS, is_quiet, peak_at_most

frames = hnp.arrays(
    np.int16, st.sampled_from([0, 1, 160, 320, 480, 512, 960]), elements=st.integers(-300, 300)
)


def test_the_threshold_is_about_minus_60_dbfs() -> None:
    assert 20 * np.log10(QUIET_RMS / 32768) == pytest.approx(-60, abs=0.5)


@pytest.mark.parametrize("n", [480, 512])
def test_quiet_is_a_root_mean_square_at_most_the_threshold(n: int) -> None:
    at = np.full(n, int(QUIET_RMS), dtype=np.int16)
    assert is_quiet(at)
    above = at.copy()
    above[0] += 1
    assert not is_quiet(above)
    assert is_quiet(np.zeros(n, dtype=np.int16))
    assert is_quiet(np.zeros(0, dtype=np.int16))
    # one loud sample in quiet ones: the energy counts, not the peak
    click = np.zeros(n, dtype=np.int16)
    click[0] = 700
    assert is_quiet(click)  # 700**2 is under 32**2 * 480


@given(frames)
def test_quiet_agrees_with_the_sum_in_integers(x: np.ndarray) -> None:
    exact = int(np.sum(x.astype(np.int64) ** 2)) <= int(QUIET_RMS) ** 2 * len(x)
    assert is_quiet(x) == exact


@given(frames, st.integers(0, 300))
def test_peak_at_most_bounds_every_sample(x: np.ndarray, level: int) -> None:
    assert peak_at_most(x, level) == bool(np.all(np.abs(x.astype(np.int32)) <= level))
