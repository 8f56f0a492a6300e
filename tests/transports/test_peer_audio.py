"""Peer audio as the session takes it: decoder frames downmixed and resampled in one call."""

from __future__ import annotations

import numpy as np
import pytest
from av import AudioFrame

from realtime_sdk.audio import StreamingResampler
from realtime_sdk.transports.webrtc.peer_audio import PeerAudio, input_frame


def frames(left: np.ndarray, right: np.ndarray | None, rate: int) -> list[AudioFrame]:
    """20 ms frames as aiortc's decoders give them: packed s16, stereo (Opus) or mono (G.711),
    with RTP-clock timestamps."""
    step = rate // 50
    out = []
    for i in range(0, len(left), step):
        if right is None:
            data, layout = left[i : i + step].reshape(1, -1), "mono"
        else:
            data = np.stack([left[i : i + step], right[i : i + step]], axis=1).reshape(1, -1)
            layout = "stereo"
        frame = AudioFrame.from_ndarray(np.ascontiguousarray(data), format="s16", layout=layout)
        frame.sample_rate, frame.pts = rate, i
        out.append(frame)
    return out


def tone(freq: float, rate: int, seconds: float, amplitude: float) -> np.ndarray:
    t = np.arange(int(rate * seconds)) / rate
    return np.rint(amplitude * np.sin(2 * np.pi * freq * t)).astype(np.int16)


@pytest.mark.parametrize(("stereo", "rate"), [(True, 48000), (False, 8000), (False, 24000)])
def test_one_call_gives_what_downmix_then_resample_gives(stereo: bool, rate: int) -> None:
    left = tone(440, rate, 1.0, 8000) + tone(1700, rate, 1.0, 3000)
    right = tone(440, rate, 1.0, 4000) if stereo else None
    peer = PeerAudio(24000)
    two_steps = StreamingResampler(rate, 24000)
    got, expected = [], []
    for frame in frames(left, right, rate):
        heard = peer.convert(frame)
        assert heard.rate == 24000 and heard.samples.dtype == np.int16
        got.append(heard.samples)
        expected.append(two_steps.process(input_frame(frame).samples))
        # the same amount out after every frame, give or take the resampler's hold-back
        assert abs(sum(map(len, got)) - sum(map(len, expected))) <= 48
    y, ref = np.concatenate(got), np.concatenate(expected)
    n = min(len(y), len(ref))
    inner = slice(480, n - 480)
    error = y[inner].astype(np.float64) - ref[inner]
    assert np.sum(error**2) <= 1e-5 * np.sum(ref[inner].astype(np.float64) ** 2)  # 50 dB
    level = np.sqrt(np.mean(y[inner].astype(np.float64) ** 2))
    if stereo:  # (L + R) / 2: the two channels' 440 Hz add to 6000, the 1700 Hz halves
        assert level == pytest.approx(np.sqrt(6000**2 / 2 + 1500**2 / 2), rel=0.02)


def test_a_timestamp_jump_at_a_loss_changes_nothing() -> None:
    """RTP timestamps jump over a lost packet; what is heard is the audio that came."""
    x = tone(300, 48000, 0.4, 8000)
    plain, jumping = PeerAudio(24000), PeerAudio(24000)
    for k, frame in enumerate(frames(x, x, 48000)):
        same = frames(x[k * 960 : (k + 1) * 960], x[k * 960 : (k + 1) * 960], 48000)[0]
        same.pts = k * 960 + (960 * 5 if k >= 10 else 0)
        assert np.array_equal(plain.convert(frame).samples, jumping.convert(same).samples)
