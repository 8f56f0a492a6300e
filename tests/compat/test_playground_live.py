"""The playground's Live mode in headless Chromium against `realtime-sdk serve` (the
offline agent), with the fake microphone playing recorded speech: the session starts
from the page, both transcripts show, output audio flows, mute and unmute answer, End
closes it."""

from __future__ import annotations

from pathlib import Path

from helpers.browser import run_page, speech_wav
from helpers.paths import AUDIO_FIXTURES

SCENARIO = "tests/compat/browser/playground_live.mjs"


def test_live_mode_shows_both_transcripts(tmp_path: Path) -> None:
    wav = speech_wav(AUDIO_FIXTURES / "fastrtc-how-are-you-24k.wav", tmp_path / "mic.wav")
    page = run_page(SCENARIO, wav=wav, serve_args=(), timeout_s=150)["result"]
    assert page["errors"] == []
    assert page["during"].startswith("live: sess_")
    assert (page["started"], page["muted"], page["unmuted"], page["closed"]) == (1, 1, 1, 1)
    assert page["audio_deltas"] > 25  # a second of output at least, silence included
    assert "how are you" in page["heard"]
    assert page["said"].startswith("You said")
    assert page["state"] == "closed"
