"""A chat-completions streaming server (uvicorn on 127.0.0.1) for the LLM and agent tests.

`ChatServer` answers each POST with the next scripted reply as server-sent events
(`data: {chunk}` lines, then `data: [DONE]`), and keeps every request it was sent.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route


@dataclass(frozen=True)
class Call:
    """A tool call the scripted model makes; its arguments arrive in `pieces`."""

    name: str
    arguments: str
    call_id: str
    pieces: int = 3


Step = str | Call | float  # text delta, tool call, or a pause in seconds


@dataclass
class ChatServer:
    """Streams scripted replies; records requests and whether each stream ran to its end."""

    url: str = ""
    model: str = "tiny-test-model"
    replies: list[list[Step]] = field(default_factory=list)
    requests: list[dict[str, Any]] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)
    finished: list[bool] = field(default_factory=list)  # per request: sent up to [DONE]
    abandoned: list[bool] = field(default_factory=list)  # per request: the client left early
    status: int = 200

    def chunk(self, delta: dict[str, Any], finish: str | None = None) -> str:
        body = {
            "id": "chatcmpl-test",
            "object": "chat.completion.chunk",
            "created": 0,
            "model": self.model,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
        }
        return f"data: {json.dumps(body)}\n\n"

    async def events(self, steps: list[Step], index: int) -> AsyncIterator[str]:
        """A client that goes away stops this generator: `abandoned[index]` is set."""
        try:
            async for text in self._events(steps, index):
                yield text
        finally:
            self.abandoned[index] = not self.finished[index]

    async def _events(self, steps: list[Step], index: int) -> AsyncIterator[str]:
        yield ": keep-alive comment\n\n"
        yield self.chunk({"role": "assistant", "content": ""})
        calls = 0
        for step in steps:
            if isinstance(step, float):
                await asyncio.sleep(step)
            elif isinstance(step, str):
                yield self.chunk({"content": step})
            else:  # id and name first, then the arguments in pieces, as vLLM does
                first = {"id": step.call_id, "type": "function"}
                head = {"index": calls, **first, "function": {"name": step.name}}
                yield self.chunk({"tool_calls": [head]})
                size = max(1, -(-len(step.arguments) // step.pieces))
                for at in range(0, len(step.arguments), size):
                    piece = {"arguments": step.arguments[at : at + size]}
                    yield self.chunk({"tool_calls": [{"index": calls, "function": piece}]})
                calls += 1
        yield self.chunk({}, "tool_calls" if calls else "stop")
        yield "data: [DONE]\n\n"
        self.finished[index] = True

    async def completions(self, request: Request) -> Response:
        body = await request.json()
        self.requests.append(body)
        self.headers.append(dict(request.headers))
        self.finished.append(False)
        self.abandoned.append(False)
        if self.status != 200:
            return JSONResponse({"error": {"message": "overloaded"}}, status_code=self.status)
        steps = self.replies.pop(0) if self.replies else ["(no reply scripted)"]
        events = self.events(steps, len(self.requests) - 1)
        return StreamingResponse(events, media_type="text/event-stream")

    async def models(self, request: Request) -> Response:
        return JSONResponse({"object": "list", "data": [{"id": self.model, "object": "model"}]})

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/v1/chat/completions", self.completions, methods=["POST"]),
                Route("/v1/models", self.models),
            ]
        )


@dataclass
class _Running:
    server: uvicorn.Server
    thread: threading.Thread


def start_chat_server(chat: ChatServer) -> _Running:
    server = uvicorn.Server(
        uvicorn.Config(chat.app(), host="127.0.0.1", port=0, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "chat server did not start"
        time.sleep(0.02)
    port = server.servers[0].sockets[0].getsockname()[1]
    chat.url = f"http://127.0.0.1:{port}/v1"
    return _Running(server, thread)


def stop_chat_server(running: _Running) -> None:
    running.server.should_exit = True
    running.thread.join(10)


def wait_for(condition: Any, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True
