"""A GPT-Live session from Chromium over WebRTC (a page with no SDK: the offer POSTed as
JSON to /v1/live/sessions) against `realtime-sdk serve` (the offline agent), the fake
microphone playing recorded speech: started on the data channel, both transcripts,
the reply heard on the track, mute, hangup -> session.closed."""

from __future__ import annotations

from pathlib import Path

from helpers.browser import artifact, run_page, speech_wav
from helpers.paths import AUDIO_FIXTURES


def test_a_live_session_over_webrtc_from_chromium(tmp_path: Path) -> None:
    wav = speech_wav(AUDIO_FIXTURES / "fastrtc-how-are-you-24k.wav", tmp_path / "mic.wav")
    run = run_page(
        "live.html", serve_args=(), wav=wav, screenshot=artifact("live-webrtc.png"), timeout_s=150
    )
    page = run["result"]
    assert run["page_errors"] == [], run["page_errors"]
    assert page["session_id"].startswith("sess_")
    assert page["types"][0] == "session.started" and "error" not in page["types"]
    assert "session.input_audio.muted" in page["types"] and page["types"][-1] == "session.closed"
    assert "how are you" in page["heard"] and page["said"].startswith("You said")
    assert page["remote"]["voiced_s"] > 0.5  # the reply, heard on the track
    assert (page["hangup_status"], page["channel_state"]) == (200, "closed")
