"""llm.py against a real chat-completions streaming server (uvicorn on 127.0.0.1), and the
mapping from a Realtime conversation to chat messages and tools.

The server is tests/helpers/chat_server.py's `ChatServer`, which the agent's tests also
stream their replies from.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from helpers.chat_server import Call, ChatServer, start_chat_server, stop_chat_server, wait_for

from realtime_sdk.backends.agent.llm import (
    ChatCompletions,
    LLMError,
    ToolCall,
    chat_messages,
    chat_tool_choice,
    chat_tools,
    max_tokens,
)


@pytest.fixture(scope="module")
def chat_server() -> Iterator[ChatServer]:
    """One server per module; each test resets what it recorded."""
    chat = ChatServer()
    running = start_chat_server(chat)
    try:
        yield chat
    finally:
        stop_chat_server(running)


@pytest.fixture
def chat(chat_server: ChatServer) -> ChatServer:
    chat_server.replies.clear()
    chat_server.requests.clear()
    chat_server.headers.clear()
    chat_server.finished.clear()
    chat_server.abandoned.clear()
    chat_server.status = 200
    return chat_server


async def collect(stream: AsyncIterator[str | ToolCall]) -> list[str | ToolCall]:
    return [event async for event in stream]


# -- streaming --------------------------------------------------------------------------


def test_text_streams_in_order_with_the_request_as_sent(chat: ChatServer) -> None:
    chat.replies.append(["Hel", "lo", " there."])
    llm = ChatCompletions(chat.url, "my-model", "sk-local")
    messages = [{"role": "user", "content": "hi"}]
    got = asyncio.run(collect(llm.stream(messages, max_tokens=50)))
    assert got == ["Hel", "lo", " there."]
    assert chat.requests == [
        {"model": "my-model", "messages": messages, "stream": True, "max_tokens": 50}
    ]
    assert chat.headers[0]["authorization"] == "Bearer sk-local"
    assert chat.finished == [True]


def test_tool_calls_come_whole_after_the_text(chat: ChatServer) -> None:
    weather = Call("get_weather", '{"city": "Oslo", "unit": "celsius"}', "call_w", pieces=4)
    clock = Call("get_time", '{"zone": "CET"}', "call_t", pieces=2)
    chat.replies.append(["Let me check.", weather, clock])
    tools = [{"type": "function", "function": {"name": "get_weather"}}]
    llm = ChatCompletions(chat.url, "m")
    got = asyncio.run(collect(llm.stream([], tools=tools, tool_choice="auto")))
    assert got == [
        "Let me check.",
        ToolCall("get_weather", weather.arguments, "call_w"),
        ToolCall("get_time", clock.arguments, "call_t"),
    ]
    assert chat.requests[0]["tools"] == tools
    assert chat.requests[0]["tool_choice"] == "auto"
    assert "authorization" not in chat.headers[0]


def test_without_a_model_the_first_listed_one_is_used(chat: ChatServer) -> None:
    chat.replies.append(["ok"])
    llm = ChatCompletions(chat.url)
    assert asyncio.run(collect(llm.stream([]))) == ["ok"]
    assert chat.requests[0]["model"] == chat.model
    assert llm.model == chat.model


def test_a_refusal_names_the_status_and_the_body(chat: ChatServer) -> None:
    chat.status = 503
    llm = ChatCompletions(chat.url, "m")
    with pytest.raises(LLMError, match=r"answered 503: .*overloaded"):
        asyncio.run(collect(llm.stream([])))


def test_an_unreachable_server_is_an_llm_error() -> None:
    with socket_that_refuses() as url:
        llm = ChatCompletions(url, "m", timeout=5)
        with pytest.raises(LLMError, match="ConnectError"):
            asyncio.run(collect(llm.stream([])))
        with pytest.raises(LLMError, match="no model given and none listed"):
            asyncio.run(collect(ChatCompletions(url, timeout=5).stream([])))


def socket_that_refuses() -> Any:
    """A base URL on a port nothing listens on (bound, then closed)."""
    import contextlib
    import socket

    @contextlib.contextmanager
    def make() -> Iterator[str]:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        yield f"http://127.0.0.1:{port}/v1"

    return make()


@pytest.mark.parametrize(
    ("body", "says"),
    [
        ('data: {"error": {"message": "context too long"}}\n\n', "sent an error"),
        ("data: {not json\n\n", "not JSON in the event stream"),
    ],
)
def test_a_broken_stream_is_an_llm_error(body: str, says: str) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, text=body, headers={"content-type": "text/event-stream"})

    llm = ChatCompletions("http://llm.invalid/v1", "m", transport=httpx.MockTransport(handler))
    with pytest.raises(LLMError, match=says):
        asyncio.run(collect(llm.stream([])))


def test_leaving_the_stream_early_closes_the_request(chat: ChatServer) -> None:
    """A cancelled reply (barge-in) stops the model: the server sees the client leave."""
    chat.replies.append(["one. ", *[0.05, "more. "] * 400])  # 20 s if nobody leaves
    llm = ChatCompletions(chat.url, "m")

    async def first_then_leave() -> str:
        stream = llm.stream([])
        async for event in stream:
            await stream.aclose()  # type: ignore[attr-defined]
            return str(event)
        raise AssertionError("nothing streamed")

    assert asyncio.run(first_then_leave()) == "one. "
    assert wait_for(lambda: chat.abandoned == [True], 10), (chat.finished, chat.abandoned)
    assert chat.finished == [False]


# -- a Realtime conversation as chat messages ---------------------------------------------


def test_conversation_to_chat_messages() -> None:
    items = [
        {
            "type": "message",
            "role": "system",
            "content": [{"type": "input_text", "text": "Be brief."}],
        },
        {"id": "item_a", "type": "message", "role": "user", "content": [{"type": "input_audio"}]},
        {
            "type": "message",
            "role": "assistant",
            "content": [{"type": "output_audio", "transcript": "Checking."}],
        },
        {"type": "function_call", "call_id": "c1", "name": "get_weather", "arguments": '{"c": 1}'},
        {"type": "function_call_output", "call_id": "c1", "output": '{"t": 21}'},
        {"type": "function_call", "call_id": "c2", "name": "lonely", "arguments": ""},
        {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "and?"}]},
        {"type": "message", "role": "user", "content": [{"type": "input_audio"}]},  # unheard
    ]
    messages = chat_messages(items, "You are a test.", {"item_a": "what's the weather"})
    assert messages == [
        {"role": "system", "content": "You are a test."},
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "what's the weather"},
        {
            "role": "assistant",
            "content": "Checking.",
            "tool_calls": [
                {
                    "id": "c1",
                    "type": "function",
                    "function": {"name": "get_weather", "arguments": '{"c": 1}'},
                }
            ],
        },
        {"role": "tool", "tool_call_id": "c1", "content": '{"t": 21}'},
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {"id": "c2", "type": "function", "function": {"name": "lonely", "arguments": "{}"}}
            ],
        },
        {"role": "user", "content": "and?"},
    ]
    assert chat_messages([], None) == []


def test_tools_choice_and_limits_in_chat_shape() -> None:
    tools = [
        {
            "type": "function",
            "name": "get_weather",
            "description": "Weather in a city",
            "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
        },
        {"type": "function", "name": "bare"},
        {"type": "mcp", "server_label": "remote"},
    ]
    assert chat_tools(tools) == [
        {
            "type": "function",
            "function": {
                "name": "get_weather",
                "description": "Weather in a city",
                "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
            },
        },
        {"type": "function", "function": {"name": "bare"}},
    ]
    assert chat_tools(None) == []
    assert chat_tool_choice("required") == "required"
    assert chat_tool_choice({"type": "function", "name": "bare"}) == {
        "type": "function",
        "function": {"name": "bare"},
    }
    assert chat_tool_choice({"type": "mcp", "server_label": "remote"}) is None
    assert (max_tokens(200), max_tokens("inf"), max_tokens(True)) == (200, None, None)
