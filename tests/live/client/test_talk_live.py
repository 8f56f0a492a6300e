"""`realtime-sdk talk --live` against a real echo server: a WAV file in real time, the
echo and the output's silence saved."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
from helpers.paths import AUDIO_FIXTURES

from realtime_sdk.audio import read_wav


def test_talk_live_exchanges_a_wav_file(base_url: str, tmp_path: Path) -> None:
    out = tmp_path / "out.wav"
    speech = AUDIO_FIXTURES / "hello_world_16k.wav"
    done = subprocess.run(
        [sys.executable, "-m", "realtime_sdk.cli", "talk", base_url, "--live",
         "--input", str(speech), "--output", str(out)],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "session sess_" in done.stdout and "s of output audio" in done.stdout
    rate_in, sent = read_wav(speech)
    rate, back = read_wav(out)
    assert rate == 24000
    assert len(back) / rate > len(sent) / rate_in  # silence while speaking, then the echo
    assert np.abs(back).max() > 1000
