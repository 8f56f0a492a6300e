"""`realtime-sdk talk` against `realtime-sdk serve`: a WAV file there and back."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np

from realtime_sdk.audio import read_wav, resample

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "audio"


def test_talk_round_trips_a_wav_file(base_url: str, tmp_path: Path) -> None:
    reply_path = tmp_path / "reply.wav"
    done = subprocess.run(
        [sys.executable, "-m", "realtime_sdk.cli", "talk", base_url,
         "--input", str(FIXTURES / "hello_world_16k.wav"), "--output", str(reply_path)],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "completed" in done.stdout
    assert "response.output_audio.delta x" in done.stdout
    rate_in, sent = read_wav(FIXTURES / "hello_world_16k.wav")
    rate_out, back = read_wav(reply_path)
    expected = resample(sent, rate_in, rate_out)
    assert abs(len(back) - len(expected)) <= rate_out // 50  # within 20 ms
    n = min(len(back), len(expected))
    assert np.corrcoef(back[:n].astype(float), expected[:n].astype(float))[0, 1] > 0.95


def test_talk_text_turn(base_url: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "realtime_sdk.cli", "talk", base_url, "--text", "hello there"],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "user: hello there" in done.stdout
    assert "assistant: hello there" in done.stdout
