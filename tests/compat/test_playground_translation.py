"""The playground's translation mode in headless Chromium against `realtime-sdk serve
--handler echo`, with the fake microphone playing recorded speech: the session opens
from the page, both transcripts show, translated audio arrives, Stop closes it."""

from __future__ import annotations

from pathlib import Path

from helpers.browser import artifact, run_page, speech_wav
from helpers.paths import AUDIO_FIXTURES

SCENARIO = "tests/compat/browser/playground_translation.mjs"


def test_translation_mode_shows_both_transcripts(tmp_path: Path) -> None:
    wav = speech_wav(AUDIO_FIXTURES / "fastrtc-how-are-you-24k.wav", tmp_path / "mic.wav")
    screenshot = artifact("playground-translation.png")
    run = run_page(
        SCENARIO,
        wav=wav,
        params={"language": "de", "screenshot": str(screenshot)},
        timeout_s=120,
    )
    page = run["result"]
    print(f"\nplayground translation screenshot: {screenshot}")
    assert page["errors"] == []
    assert (page["created"], page["updated"], page["closed"]) == (1, 1, 1)
    assert page["language"]["audio"]["output"]["language"] == "de"
    assert page["during"]["state"] == "translating into de"
    assert page["during"]["audio_deltas"] > 0
    # echo: the transcript marks each stretch of sound, the same in both columns
    assert page["said"].startswith("[") and page["heard"] == page["said"]
    assert page["state"] == "closed"
