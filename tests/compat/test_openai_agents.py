"""openai-agents (Python), unmodified, against the echo server.

It validates every server event strictly with the GA models and turns a failure
(a missing `event_id`, a beta name, a missing `session.type`) into an error event
of its session, so "no error events" is the check that we speak GA correctly.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from agents import function_tool
from agents.realtime import RealtimeAgent, RealtimeRunner


def _is_error(event: Any) -> bool:
    if event.type == "error":
        return True
    if event.type == "raw_model_event":
        return event.data.type in ("error", "exception")
    return False


@pytest.mark.parametrize("modality", ["text", "audio"])
def test_agent_turn_with_a_function_tool(base_url: str, modality: Any) -> None:
    """The tool's answer comes back as text, or as audio with its transcript."""
    calls: list[int] = []

    @function_tool
    def lookup(q: int) -> str:
        """Look a number up."""
        calls.append(q)
        return f"answer {q * 2}"

    agent = RealtimeAgent(name="echo", instructions="Be an echo.", tools=[lookup])
    runner = RealtimeRunner(
        agent,
        config={"model_settings": {"model_name": "gpt-realtime", "output_modalities": [modality]}},
    )
    url = base_url.replace("http://", "ws://") + "/realtime?model=gpt-realtime"

    async def main() -> list[Any]:
        seen: list[Any] = []
        session = await runner.run(model_config={"url": url, "api_key": "sk-test"})
        async with session:
            # echo answers `call <tool> <json>` with that function call
            await session.send_message('call lookup {"q": 21}')
            turns = 0
            async for event in session:
                seen.append(event)
                if event.type == "agent_end":
                    turns += 1
                    if turns == 2:  # the call, then the answer built from its output
                        break
        return seen

    seen = asyncio.run(asyncio.wait_for(main(), 30))
    errors = [e for e in seen if _is_error(e)]
    assert errors == [], errors
    types = [e.type for e in seen]
    assert "tool_start" in types and "tool_end" in types
    [end] = [e for e in seen if e.type == "tool_end"]
    assert (end.tool.name, end.output) == ("lookup", "answer 42")
    assert calls == [21]
    history = [e for e in seen if e.type == "history_updated"][-1].history
    answers = [
        getattr(part, "text", None) or getattr(part, "transcript", None)
        for item in history
        if item.type == "message" and item.role == "assistant"
        for part in item.content
    ]
    assert answers[-1] == "answer 42"
    if modality == "audio":
        assert "audio" in types  # the answer's audio reached the session
