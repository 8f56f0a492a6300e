"""The realtime_sdk.audio package as a whole: its place in the import graph."""

from __future__ import annotations

from pathlib import Path

from realtime_sdk import audio


def test_module_imports_nothing_of_ours() -> None:
    """audio sits under protocol in the import graph: numpy and soxr only (and itself)."""
    for path in Path(audio.__file__).parent.glob("*.py"):
        source = path.read_text()
        assert "from realtime_sdk" not in source and "from .." not in source, path.name
        assert "import realtime_sdk" not in source, path.name
