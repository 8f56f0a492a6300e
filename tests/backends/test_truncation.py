"""The LLM back-end's `truncation`: the rule on chat messages, and a session whose long
conversation reaches the model trimmed (checked in the requests the stand-in got)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from helpers.chat_server import ChatServer
from helpers.checked_client import CheckedClient
from helpers.memory_session import drive

from realtime_sdk.backends.agent import OfflineAgent
from realtime_sdk.backends.agent.truncation import ContextFull, tokens, truncate

SYSTEM = {"role": "system", "content": "Be brief."}


def turn(n: int) -> list[dict[str, Any]]:
    return [
        {"role": "user", "content": f"question {n} " + "x" * 80},
        {"role": "assistant", "content": f"answer {n} " + "y" * 80},
    ]


def conversation(turns: int) -> list[dict[str, Any]]:
    return [SYSTEM] + [m for n in range(turns) for m in turn(n)]


def test_within_budget_or_without_a_known_one_nothing_is_dropped() -> None:
    messages = conversation(5)
    assert truncate(messages, "auto") == messages  # no context length known
    assert truncate(messages, "auto", context_tokens=10_000) == messages


def test_auto_drops_the_oldest_until_the_rest_fit() -> None:
    messages = conversation(10)
    last_six = sum(tokens(m) for m in messages[-6:])
    kept = truncate(messages, "auto", context_tokens=tokens(SYSTEM) + last_six)
    assert kept[0] == SYSTEM and kept[-1] == messages[-1]
    assert kept[1:] == messages[-6:]


def test_retention_ratio_trims_deeper_and_post_instructions_sets_the_budget() -> None:
    messages = conversation(10)
    rule = {
        "type": "retention_ratio",
        "retention_ratio": 0.5,
        "token_limits": {"post_instructions": sum(tokens(m) for m in messages[-8:])},
    }
    kept = truncate(messages, rule)
    assert kept[1:] == messages[-4:]  # 8 turns' budget, kept to half of it


def test_disabled_refuses_a_conversation_over_budget() -> None:
    with pytest.raises(ContextFull, match="truncation is disabled"):
        truncate(conversation(10), "disabled", context_tokens=200)


def test_a_tool_call_leaves_with_its_output() -> None:
    call = {"role": "assistant", "content": None, "tool_calls": [{"id": "c1"}]}
    output = {"role": "tool", "tool_call_id": "c1", "content": "z" * 200}
    messages = [SYSTEM, call, output, *turn(1)]
    budget = tokens(SYSTEM) + sum(tokens(m) for m in turn(1))
    kept = truncate(messages, "auto", context_tokens=budget)
    assert kept == [SYSTEM, *turn(1)]


def test_a_long_conversation_reaches_the_model_trimmed(
    chat: ChatServer, agent_installed: None
) -> None:
    chat.replies[:] = [["fine"] for _ in range(4)]
    chat.requests.clear()
    rule = {
        "type": "retention_ratio",
        "retention_ratio": 1.0,
        "token_limits": {"post_instructions": 45},
    }

    async def script(client: CheckedClient) -> None:
        await client.update(output_modalities=["text"], instructions="Be brief.", truncation=rule)
        for n in range(4):
            await client.say(f"this is message number {n} of the conversation")
            await client.until("response.done")

    agent = OfflineAgent(llm_base_url=chat.url, llm_model="m")
    asyncio.run(asyncio.wait_for(drive(agent, script, CheckedClient), 60))
    sent = [[m["content"] for m in r["messages"]] for r in chat.requests]
    assert sent[0] == ["Be brief.", "this is message number 0 of the conversation"]
    last = sent[-1]
    assert last[0] == "Be brief." and last[-1].endswith("number 3 of the conversation")
    assert "this is message number 0 of the conversation" not in last  # the oldest went
    assert sum(tokens(m) for m in chat.requests[-1]["messages"][1:]) <= 45
