"""`CheckedClient`: the in-memory session client whose every received event is validated
with openai-python's GA models, as openai-agents validates what it receives."""

from __future__ import annotations

from typing import Any

from helpers.memory_session import EventClient
from helpers.session_harness import OPENAI_EVENTS


class CheckedClient(EventClient):
    timeout = 30.0

    async def until(self, kind: str, timeout: float | None = None, **match: Any) -> Any:
        got = await super().until(kind, timeout, **match)
        for event in got:
            OPENAI_EVENTS.validate_python(event)
        return got
