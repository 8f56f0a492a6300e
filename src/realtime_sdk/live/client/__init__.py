"""The typed Live client: a connection shaped like openai-python's `client.live`."""

from __future__ import annotations

from .connection import LiveClosedError, LiveConnection, LiveHeard

__all__ = ["LiveClosedError", "LiveConnection", "LiveHeard"]
