"""The LLM back-end calling MCP tools: the agent streams from the test's chat-completions
server (tests/helpers/chat_server.py), which asks for a tool of a real MCP server
(tests/helpers/mcp_server.py); the server runs it and the model answers with its output.
What the model was sent (the MCP tools as functions, the call and its output as a tool
turn) is checked in the requests it got, every event with openai-python's models."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from helpers.chat_server import Call, ChatServer
from helpers.checked_client import CheckedClient
from helpers.mcp_server import mcp_server
from helpers.memory_session import drive

from realtime_sdk.backends.agent import OfflineAgent


class Client(CheckedClient):
    errors_fail = True


def of(events: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [e for e in events if e["type"] == kind]


def test_the_llm_calls_an_mcp_tool_and_answers_with_its_output(
    chat: ChatServer, agent_installed: None
) -> None:
    chat.replies[:] = [
        [Call("add", '{"a": 20, "b": 22}', "call_sum")],
        ["The sum is ", "42."],
    ]
    chat.requests.clear()
    got: list[dict[str, Any]] = []

    with mcp_server() as server:

        async def script(client: Client) -> None:
            mcp = {
                "type": "mcp",
                "server_label": "maths",
                "server_url": server.url,
                "allowed_tools": ["add", "shout"],
                "require_approval": "never",
            }
            await client.send(
                {
                    "type": "session.update",
                    "session": {
                        "type": "realtime",
                        "output_modalities": ["text"],
                        "instructions": "Use the tools.",
                        "tools": [mcp],
                    },
                }
            )
            await client.until("mcp_list_tools.completed")
            await client.say("What is 20 plus 22?")
            got.extend(await client.until("response.done"))

        def agent() -> OfflineAgent:
            return OfflineAgent(llm_base_url=chat.url, llm_model="m")

        asyncio.run(asyncio.wait_for(drive(agent(), script, Client), 60))
        assert server.calls == ["add"]

    assert [e["type"] for e in got][2:12] == [
        "response.created",
        "response.output_item.added",
        "conversation.item.added",
        "response.mcp_call_arguments.delta",
        "response.mcp_call_arguments.done",
        "response.mcp_call.in_progress",
        "response.mcp_call.completed",
        "response.output_item.done",
        "conversation.item.done",
        "response.output_item.added",
    ]
    done = of(got, "response.done")[0]["response"]
    call, answer = done["output"]
    assert call["type"] == "mcp_call" and call["name"] == "add" and call["output"] == "42"
    assert answer["content"][0]["text"] == "The sum is 42."

    asked, answered = chat.requests
    offered = {t["function"]["name"]: t["function"] for t in asked["tools"]}
    assert set(offered) == {"add", "shout"}  # allowed_tools: the others are not offered
    assert offered["add"]["description"] == "Add two integers."
    assert offered["add"]["parameters"]["required"] == ["a", "b"]
    assert asked["messages"] == [
        {"role": "system", "content": "Use the tools."},
        {"role": "user", "content": "What is 20 plus 22?"},
    ]
    assistant, tool = answered["messages"][2:]
    [made] = assistant["tool_calls"]
    assert made["function"] == {"name": "add", "arguments": '{"a": 20, "b": 22}'}
    assert tool == {"role": "tool", "tool_call_id": made["id"], "content": "42"}
    assert json.dumps(answered).count("mcp") == 0  # the model sees functions, nothing else
