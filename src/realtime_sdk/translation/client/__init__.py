"""The typed translation client: a connection shaped like openai-python's, with audio
helpers that send 200 ms appends. `realtime_sdk.client.connect_translation()` opens one."""

from __future__ import annotations

from .connection import Translation, TranslationClosedError, TranslationConnection

__all__ = ["Translation", "TranslationClosedError", "TranslationConnection"]
