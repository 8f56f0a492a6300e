"""`realtime-sdk talk` against `realtime-sdk serve`: a WAV file there and back."""

from __future__ import annotations

import io
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
from helpers.need import need
from helpers.paths import AUDIO_FIXTURES
from helpers.servers import serve

from realtime_sdk.app import ServerConfig
from realtime_sdk.audio import read_wav, resample, write_wav
from realtime_sdk.client.talk import Progress

FIXTURES = AUDIO_FIXTURES


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


def test_talk_over_webrtc_round_trips_a_wav_file(base_url: str, tmp_path: Path) -> None:
    """The file is played on the call's track in real time; the reply comes back on the
    incoming track (48 kHz Opus) and is the same speech."""
    reply_path = tmp_path / "reply.wav"
    done = subprocess.run(
        [sys.executable, "-m", "realtime_sdk.cli", "talk", base_url, "--transport", "webrtc",
         "--input", str(FIXTURES / "hello_world_16k.wav"), "--output", str(reply_path)],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "completed" in done.stdout
    assert "output_audio_buffer.started x1" in done.stdout
    assert "response.output_audio.delta" not in done.stdout
    assert done.stderr == ""  # not a terminal, and a short file: no progress display
    rate_in, sent = read_wav(FIXTURES / "hello_world_16k.wav")
    rate_out, back = read_wav(reply_path)
    assert rate_out == 48000
    expected = resample(sent, rate_in, rate_out)
    speech_only = expected[int(0.6 * rate_out) : int(1.45 * rate_out)]  # "hello world"
    lag, corr = best_lag(back, speech_only)
    print(
        f"talk over webrtc: {len(back) / rate_out:.2f} s back, correlation {corr:.3f},"
        f" the words at {lag / rate_out:.2f} s"
    )
    assert corr > 0.8, corr
    # the whole file comes back, with the track's silence around it
    assert len(expected) / rate_out - 0.1 < len(back) / rate_out < len(expected) / rate_out + 1.5
    # the words come after the reply's lead-in (the turn's padding and the track's silence
    # before the reply reached it), however fast the path is
    assert 0.2 < lag / rate_out < 1.5


def test_talk_progress_for_a_long_file(base_url: str, tmp_path: Path) -> None:
    """A long file, not on a terminal: one progress line on stderr, at the end."""
    rate, speech = read_wav(FIXTURES / "hello_world_16k.wav")
    long_file = tmp_path / "long.wav"
    write_wav(long_file, rate, np.tile(speech, 6))  # 12 s
    done = subprocess.run(
        [sys.executable, "-m", "realtime_sdk.cli", "talk", base_url, "--input", str(long_file)],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stderr == "sending 100% (12.3 s of 12.3 s)\n"


def best_lag(signal: np.ndarray, piece: np.ndarray) -> tuple[int, float]:
    """Where `piece` sits in `signal` (cross-correlation), and the correlation there."""
    a, b = signal.astype(np.float64), piece.astype(np.float64)
    n = len(a) + len(b)
    spectrum = np.fft.irfft(np.fft.rfft(a, n) * np.conj(np.fft.rfft(b, n)), n)
    lag = int(np.argmax(spectrum[: len(a)]))
    part = a[lag : lag + len(b)]
    return lag, float(np.corrcoef(part, b[: len(part)])[0, 1])


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_redraws_one_line_on_a_terminal() -> None:
    screen = Terminal()
    progress = Progress(screen, 20.0, "playing", every_s=0)
    for second in range(21):
        progress.update(float(second))
    progress.finish()
    text = screen.getvalue()
    assert text.count("\n") == 1 and text.endswith("playing 100% (20.0 s of 20.0 s)\n")
    assert "\rplaying  50% (10.0 s of 20.0 s)" in text
    quiet = io.StringIO()  # not a terminal, a short file: nothing at all
    Progress(quiet, 2.0, "sending").finish()
    assert quiet.getvalue() == ""


def echo_reply(audio: tuple[int, np.ndarray]) -> Iterator[tuple[int, np.ndarray]]:
    yield audio


def test_talk_server_vad_to_a_handler_that_takes_its_own_turns(tmp_path: Path) -> None:
    """A FastRTC ReplyOnPause refuses response.create; `--server-vad` ends the turn with a
    pause instead and waits for the reply the handler makes."""
    try:
        import fastrtc
    except ImportError:
        need(False, "fastrtc is not installed (make installs the fastrtc extra)")
        raise
    from realtime_sdk.backends.fastrtc import FastRTCBackend, LocalPauseDetectionModel

    handler = fastrtc.ReplyOnPause(echo_reply, model=LocalPauseDetectionModel())
    config = ServerConfig(backend_factory=lambda: FastRTCBackend(handler.copy()))
    reply_path = tmp_path / "reply.wav"
    with serve(config) as running:
        done = subprocess.run(
            [sys.executable, "-m", "realtime_sdk.cli", "talk", running.base_url, "--server-vad",
             "--input", str(FIXTURES / "hello_world_16k.wav"), "--output", str(reply_path)],
            capture_output=True, text=True, timeout=90,
        )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert "input_audio_buffer.speech_stopped x1" in done.stdout
    assert " error x" not in done.stdout and "completed" in done.stdout
    rate, back = read_wav(reply_path)
    assert len(back) / rate > 0.5  # the utterance said back (ReplyOnPause trims its start)
