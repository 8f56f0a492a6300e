"""Response settings the LLM back-end passes on to its chat-completions model: the
session's or the response's `reasoning.effort` (as `reasoning_effort`) and the response's
`parallel_tool_calls`, checked in the request the test's stand-in got."""

from __future__ import annotations

import asyncio

from helpers.chat_server import ChatServer
from helpers.checked_client import CheckedClient
from helpers.memory_session import drive

from realtime_sdk.backends.agent import OfflineAgent

TOOL = {"type": "function", "name": "ping", "parameters": {"type": "object", "properties": {}}}


def test_reasoning_effort_and_parallel_tool_calls_reach_the_model(
    chat: ChatServer, agent_installed: None
) -> None:
    chat.replies[:] = [["one"], ["two"]]
    chat.requests.clear()

    async def script(client: CheckedClient) -> None:
        await client.update(output_modalities=["text"], reasoning={"effort": "low"}, tools=[TOOL])
        await client.say("first")
        await client.until("response.done")
        response = {"parallel_tool_calls": False, "reasoning": {"effort": "high"}}
        await client.send({"type": "response.create", "response": response})
        await client.until("response.done")

    agent = OfflineAgent(llm_base_url=chat.url, llm_model="m")
    asyncio.run(asyncio.wait_for(drive(agent, script, CheckedClient), 60))
    first, second = chat.requests
    assert first["reasoning_effort"] == "low" and "parallel_tool_calls" not in first
    assert second["reasoning_effort"] == "high" and second["parallel_tool_calls"] is False
