"""`responses` delegation: the work a Live session hands off runs on an OpenAI-compatible
chat-completions model (the offline agent's, `serve --llm-base-url`), and its stream
reaches the client as Responses events inside `response.event`.

One `ResponsesRun` per session keeps the delegated conversation as Responses items:
the task, the model's text and function calls, and the outputs the client adds with
`response.item.create`; `response.create` asks the model again. Each response streams
`response.created`, output item and text events, then `response.completed` (lifecycle
snapshots without input, instructions, tools or output, as the service sends them). A
response that ends in text hands that text back to the voice, which says it.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Awaitable, Callable
from typing import Any

from ...backends.agent.llm import ChatCompletions, ToolCall, chat_messages, chat_tools

Emit = Callable[[dict[str, Any], str | None], Awaitable[None]]
"""Send one Responses event for the delegation with this id."""

Say = Callable[[str, str | None], Awaitable[None]]
"""Hand a finished text answer back to the voice, for the delegation with this id."""


def _id(prefix: str) -> str:
    return prefix + secrets.token_hex(12)


class ResponsesRun:
    def __init__(self, llm: ChatCompletions, emit: Emit, say: Say) -> None:
        self.llm = llm
        self.emit = emit
        self.say = say
        self.items: list[dict[str, Any]] = []  # Realtime-shaped, as `chat_messages` reads them
        self.delegation_id: str | None = None
        self._sequence = 0

    async def delegate(self, delegation_id: str, task: str, config: dict[str, Any]) -> None:
        """A new delegation: the task as the user's message, then a response."""
        self.delegation_id = delegation_id
        self.items.append(
            {"type": "message", "role": "user", "content": [{"type": "input_text", "text": task}]}
        )
        await self.respond(config)

    def add_item(self, item: dict[str, Any]) -> None:
        """An item from `response.item.create` (a function call's output, a message)."""
        if item.get("type") == "message" and isinstance(item.get("content"), str):
            item = {**item, "content": [{"type": "input_text", "text": item["content"]}]}
        self.items.append(item)

    async def respond(self, config: dict[str, Any]) -> None:
        """One response of the model over the items so far, streamed as Responses events."""
        response = self._snapshot(_id("resp_"), config, "in_progress")
        await self._send({"type": "response.created", "response": response})
        await self._send({"type": "response.in_progress", "response": response})
        messages = chat_messages(self.items, config.get("instructions"))
        tools = chat_tools(config.get("tools"))
        text: list[str] = []
        index = 0
        message_id = _id("msg_")
        stream = self.llm.stream(
            messages, tools=tools or None, tool_choice=config.get("tool_choice")
        )
        async for piece in stream:
            if isinstance(piece, ToolCall):
                if text:
                    await self._finish_text(message_id, index, "".join(text))
                    index, text = index + 1, []
                await self._call(piece, index)
                index += 1
                continue
            if not text:
                await self._open_text(message_id, index)
            text.append(piece)
            await self._send(
                {
                    "type": "response.output_text.delta",
                    "item_id": message_id,
                    "output_index": index,
                    "content_index": 0,
                    "delta": piece,
                    "logprobs": [],
                }
            )
        said = "".join(text)
        if text:
            await self._finish_text(message_id, index, said)
        response = {**response, "status": "completed"}
        await self._send({"type": "response.completed", "response": response})
        if said:
            await self.say(said, self.delegation_id)

    async def _open_text(self, item_id: str, index: int) -> None:
        item = {
            "id": item_id,
            "type": "message",
            "role": "assistant",
            "status": "in_progress",
            "content": [],
        }
        await self._send(
            {"type": "response.output_item.added", "output_index": index, "item": item}
        )
        part = {"type": "output_text", "text": "", "annotations": []}
        await self._send(
            {
                "type": "response.content_part.added",
                "item_id": item_id,
                "output_index": index,
                "content_index": 0,
                "part": part,
            }
        )

    async def _finish_text(self, item_id: str, index: int, text: str) -> None:
        part = {"type": "output_text", "text": text, "annotations": []}
        await self._send(
            {
                "type": "response.output_text.done",
                "item_id": item_id,
                "output_index": index,
                "content_index": 0,
                "text": text,
                "logprobs": [],
            }
        )
        await self._send(
            {
                "type": "response.content_part.done",
                "item_id": item_id,
                "output_index": index,
                "content_index": 0,
                "part": part,
            }
        )
        item = {
            "id": item_id,
            "type": "message",
            "role": "assistant",
            "status": "completed",
            "content": [part],
        }
        await self._send({"type": "response.output_item.done", "output_index": index, "item": item})
        self.items.append(
            {
                "type": "message",
                "role": "assistant",
                "content": [{"type": "output_text", "text": text}],
            }
        )

    async def _call(self, call: ToolCall, index: int) -> None:
        call_id = call.call_id or _id("call_")
        item = {
            "id": _id("fc_"),
            "type": "function_call",
            "call_id": call_id,
            "name": call.name,
            "arguments": call.arguments,
            "status": "completed",
        }
        await self._send(
            {
                "type": "response.output_item.added",
                "output_index": index,
                "item": {**item, "arguments": "", "status": "in_progress"},
            }
        )
        await self._send(
            {
                "type": "response.function_call_arguments.done",
                "item_id": item["id"],
                "output_index": index,
                "name": call.name,
                "arguments": call.arguments,
            }
        )
        await self._send({"type": "response.output_item.done", "output_index": index, "item": item})
        self.items.append(
            {
                "type": "function_call",
                "call_id": call_id,
                "name": call.name,
                "arguments": call.arguments,
            }
        )

    def _snapshot(self, response_id: str, config: dict[str, Any], status: str) -> dict[str, Any]:
        return {
            "id": response_id,
            "object": "response",
            "created_at": int(time.time()),
            "model": str(config.get("model") or self.llm.model or ""),
            "status": status,
            "output": [],
            "tools": [],
            "tool_choice": "auto",
            "instructions": None,
            "parallel_tool_calls": bool(config.get("parallel_tool_calls", True)),
        }

    async def _send(self, event: dict[str, Any]) -> None:
        event["sequence_number"] = self._sequence
        self._sequence += 1
        await self.emit(event, self.delegation_id)
