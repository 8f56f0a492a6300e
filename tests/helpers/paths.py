"""Where things are: the repository, the tests, the audio fixtures, the upstream documents."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TESTS = ROOT / "tests"
AUDIO_FIXTURES = TESTS / "fixtures" / "audio"
SHARED_UPSTREAM = ROOT.parent / "shared" / "upstream"  # never committed: data for the sync tests
