"""A real MCP server for the MCP tests: the `mcp` package's MCPServer (FastMCP before
mcp 2) under uvicorn on 127.0.0.1, over streamable HTTP (`/mcp`) or SSE (`/sse`).

Its tools: `add` (read-only), `shout`, `boom` (raises), `slow` (sleeps `seconds`), `big`
(`size` characters).
Every HTTP request's headers are kept in `headers`, so tests can check what reached it.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import uvicorn

from helpers.need import need


@dataclass
class McpTestServer:
    url: str = ""
    headers: list[dict[str, str]] = field(default_factory=list)
    calls: list[str] = field(default_factory=list)


def _app(record: McpTestServer, sse: bool) -> Any:
    from mcp.server.mcpserver import MCPServer
    from mcp.types import ToolAnnotations

    server = MCPServer("test-tools")

    @server.tool(annotations=ToolAnnotations(readOnlyHint=True))
    def add(a: int, b: int) -> int:
        """Add two integers."""
        record.calls.append("add")
        return a + b

    @server.tool()
    def shout(text: str) -> str:
        """The text in capitals."""
        record.calls.append("shout")
        return text.upper()

    @server.tool()
    def boom() -> str:
        """Always fails."""
        record.calls.append("boom")
        raise ValueError("the boom tool exploded")

    @server.tool()
    async def slow(seconds: float) -> str:
        """Answers after `seconds`."""
        record.calls.append("slow")
        await asyncio.sleep(seconds)
        return "finally"

    @server.tool()
    def big(size: int) -> str:
        """`size` characters of text."""
        record.calls.append("big")
        return "z" * size

    inner = server.sse_app() if sse else server.streamable_http_app()

    async def app(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            record.headers.append({k.decode(): v.decode() for k, v in scope["headers"]})
        await inner(scope, receive, send)

    return app


@contextmanager
def mcp_server(*, sse: bool = False) -> Iterator[McpTestServer]:
    """An MCP server on a free port of 127.0.0.1 for the `with` block."""
    try:
        import mcp.server.mcpserver  # noqa: F401
    except ImportError:
        need(False, "the mcp package is not installed (pip install 'realtime-sdk[mcp]')")
    record = McpTestServer()
    server = uvicorn.Server(
        uvicorn.Config(_app(record, sse), host="127.0.0.1", port=0, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "MCP server did not start"
        time.sleep(0.02)
    port = server.servers[0].sockets[0].getsockname()[1]
    record.url = f"http://127.0.0.1:{port}/{'sse' if sse else 'mcp'}"
    try:
        yield record
    finally:
        server.should_exit = True
        thread.join(10)
