"""A tool-calling voice agent built with openai-agents (`RealtimeAgent`), against our server.

The model side must be able to call tools: serve the offline agent with an LLM that
does (any OpenAI-compatible chat-completions server, e.g. Ollama or llama.cpp):

    realtime-sdk serve --llm-base-url http://127.0.0.1:11434/v1 --llm-model qwen2.5:3b
    .venv/bin/python examples/agents_tool_call.py --message "What's the weather in Oslo?"

or, with no model at all, the echo back-end, which answers `call <tool> <json>` with
that call:

    realtime-sdk serve --handler echo
    .venv/bin/python examples/agents_tool_call.py --message 'call get_weather {"city": "Oslo"}'

The agent sends the message, the server's model calls `get_weather`, openai-agents
runs the Python function and sends its output back, and the model answers from it.
Without --message, type lines (an empty one quits); `--once` stops after one turn.
`--url` is the websocket endpoint (default ws://127.0.0.1:8000/v1/realtime).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from typing import Any, Literal

from agents import function_tool
from agents.realtime import RealtimeAgent, RealtimeRunner, RealtimeSession

WEATHER = {"oslo": "sunny, 21 degrees", "bergen": "rain, 12 degrees"}


@function_tool
def get_weather(city: str) -> str:
    """The current weather in a city."""
    return f"{city}: {WEATHER.get(city.lower(), 'cloudy, 15 degrees')}"


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default="ws://127.0.0.1:8000/v1/realtime")
    parser.add_argument("--api-key", default=os.environ.get("OPENAI_API_KEY", "unused"))
    parser.add_argument("--message", help="one message to send (default: type lines)")
    parser.add_argument("--audio", action="store_true", help="spoken replies (default: text)")
    parser.add_argument("--once", action="store_true", help="one turn, then quit")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds per turn")
    return parser.parse_args()


def last_answer(history: list[Any]) -> str:
    """The words of the newest assistant message (text, or the audio's transcript)."""
    for item in reversed(history):
        if item.type == "message" and item.role == "assistant":
            parts = [
                getattr(p, "text", None) or getattr(p, "transcript", None) for p in item.content
            ]
            return "".join(p for p in parts if p)
    return ""


async def turn(session: RealtimeSession, message: str) -> None:
    """Send one message; print the tool calls and the answer that follows them."""
    await session.send_message(message)
    calls = 0
    history: list[Any] = []
    async for event in session:
        if event.type == "tool_start":
            calls += 1
            print(f"tool call: {event.tool.name}")
        elif event.type == "tool_end":
            calls -= 1
            print(f"tool output: {event.output}")
        elif event.type == "history_updated":
            history = event.history
        elif event.type == "error":
            print(f"error: {event.error}", file=sys.stderr)
        elif event.type == "agent_end" and calls == 0:
            answer = last_answer(history)
            if answer:  # a turn that only called a tool ends before its answer
                print(f"agent: {answer}")
                return


async def main(args: argparse.Namespace) -> int:
    agent = RealtimeAgent(
        name="weather",
        instructions="Answer weather questions with the get_weather tool. Be brief.",
        tools=[get_weather],
    )
    modality: Literal["text", "audio"] = "audio" if args.audio else "text"
    runner = RealtimeRunner(
        agent,
        config={"model_settings": {"model_name": "gpt-realtime", "output_modalities": [modality]}},
    )
    session = await runner.run(model_config={"url": args.url, "api_key": args.api_key})
    async with session:
        loop = asyncio.get_running_loop()
        while True:
            message = args.message
            if message is None:
                print("you> ", end="", flush=True)
                message = (await loop.run_in_executor(None, sys.stdin.readline)).strip()
                if not message:
                    return 0
            await asyncio.wait_for(turn(session, message), args.timeout)
            if args.once or args.message is not None:
                return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main(arguments())))
