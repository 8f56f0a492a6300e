"""The audio level in outgoing RTP packets: ours equals aiortc's own, and senders use ours."""

from __future__ import annotations

import numpy as np
import pytest
from aiortc import rtp
from av import AudioFrame

from realtime_sdk._compat import aiortc as compat
from realtime_sdk._compat.aiortc import aiortc_audio_level as AIORTC_LEVEL
from realtime_sdk._compat.aiortc import audio_level_dbov
from realtime_sdk.transports.webrtc.hooks import AIORTC_HOOKS


def frame(samples: np.ndarray, rate: int = 48000, layout: str = "mono") -> AudioFrame:
    channels = 2 if layout == "stereo" else 1
    f = AudioFrame.from_ndarray(samples.reshape(1, -1), format="s16", layout=layout)
    f.sample_rate = rate
    assert f.samples * channels == samples.size
    return f


@pytest.mark.parametrize("size", [960, 480, 160, 1920])
def test_the_same_level_as_aiortc_computes(size: int) -> None:
    rng = np.random.default_rng(size)
    cases = [np.zeros(size), np.full(size, 32767), np.full(size, -32768), np.ones(size)]
    cases += [rng.normal(0, sigma, size) for sigma in (1, 10, 100, 1000, 10_000, 30_000)]
    for samples in cases:
        f = frame(np.clip(samples, -32768, 32767).astype(np.int16))
        assert audio_level_dbov(f) == AIORTC_LEVEL(f)
    stereo = frame(rng.normal(0, 3000, 2 * size).astype(np.int16), layout="stereo")
    assert audio_level_dbov(stereo) == AIORTC_LEVEL(stereo)


def test_every_level_from_silence_to_full_scale() -> None:
    levels = set()
    for amplitude in np.geomspace(1, 32767, 400):
        f = frame(np.full(960, int(amplitude), dtype=np.int16))
        assert audio_level_dbov(f) == AIORTC_LEVEL(f)
        levels.add(audio_level_dbov(f))
    assert min(levels) == -90 and max(levels) == 0 and len(levels) >= 80


def test_aiortc_senders_use_it() -> None:
    compat.apply()  # as a server or a client does when it starts
    AIORTC_HOOKS.prepare()  # as a transport does before its first peer connection
    assert rtp.compute_audio_level_dbov is audio_level_dbov
