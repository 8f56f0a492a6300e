"""Talking to a session's MCP servers with the `mcp` SDK (the `mcp` extra): listing their
tools and calling them, each in a connection of its own, within a time limit.

Streamable HTTP by default; a URL whose path ends in `/sse` is reached over SSE. The
session's `headers` and `authorization` go with every request and nowhere else: failures
are described by the server's label, URL and what went wrong, never by the headers.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any, Literal, TypeVar
from urllib.parse import urlsplit

from ..protocol.mcp_tools import McpServer

log = logging.getLogger("realtime_sdk.mcp")

T = TypeVar("T")

# how long a listing (connect, handshake, every page) may take, and a call
LIST_TIMEOUT_S = 10.0
CALL_TIMEOUT_S = 30.0
MAX_PAGES = 20  # of a tool listing: a server whose cursor never ends stops here
MAX_TOOLS = 512  # of one server: more are left out (and the log says so)
MAX_OUTPUT = 256 * 1024  # characters of a call's output kept; the rest is cut, and it says so
# The hosts MCP servers may be reached on, comma-separated ("*" or unset: any). A client names
# the URL, so without it a client can make the server connect wherever the server can reach.
HOSTS_VARIABLE = "REALTIME_SDK_MCP_HOSTS"


def hosts_from_environment() -> frozenset[str] | None:
    """`REALTIME_SDK_MCP_HOSTS` as a set of host names (None: any host)."""
    value = os.environ.get(HOSTS_VARIABLE, "").strip()
    hosts = frozenset(h.strip().lower().strip("[]") for h in value.split(",") if h.strip())
    return None if not hosts or "*" in hosts else hosts


class McpFailure(Exception):
    """A listing or call that failed, as an `mcp_call` item's `error` describes it:
    `http_error` (the server could not be reached, 502; answered an HTTP error; or took too
    long, 504), `protocol_error` (an MCP error, its JSON-RPC code) or `tool_execution_error`
    (the tool ran and failed)."""

    def __init__(self, kind: str, message: str, code: int | None = None) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.code = code

    def error(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": self.kind, "message": self.message}
        if self.kind != "tool_execution_error":
            out["code"] = self.code if self.code is not None else 0
        return out


class McpClient:
    """Lists and calls MCP tools; shared by the sessions of a server (it keeps no state)."""

    def __init__(
        self,
        *,
        list_timeout: float = LIST_TIMEOUT_S,
        call_timeout: float = CALL_TIMEOUT_S,
        allowed_hosts: frozenset[str] | Literal["environment"] | None = "environment",
    ) -> None:
        """`allowed_hosts`: the host names MCP servers may be on (None: any); by default
        `REALTIME_SDK_MCP_HOSTS`."""
        self.list_timeout = list_timeout
        self.call_timeout = call_timeout
        self.allowed_hosts = (
            hosts_from_environment() if allowed_hosts == "environment" else allowed_hosts
        )

    async def list_tools(self, server: McpServer) -> list[dict[str, Any]]:
        """The server's tools as `mcp_list_tools` items carry them; McpFailure."""

        async def listing(client: Any) -> list[dict[str, Any]]:
            tools: list[dict[str, Any]] = []
            cursor: str | None = None
            for _ in range(MAX_PAGES):
                page = await client.list_tools(cursor=cursor)
                tools.extend(_tool(t) for t in page.tools)
                cursor = page.next_cursor
                if cursor is None or len(tools) >= MAX_TOOLS:
                    break
            if len(tools) > MAX_TOOLS:
                log.warning(
                    "MCP server '%s' lists %d tools: the first %d are offered",
                    server.label,
                    len(tools),
                    MAX_TOOLS,
                )
            return tools[:MAX_TOOLS]

        return await self._with(server, listing, self.list_timeout, "listing its tools")

    async def call_tool(self, server: McpServer, name: str, arguments: dict[str, Any]) -> str:
        """What the tool returned, as text; McpFailure."""

        async def calling(client: Any) -> str:
            result = await client.call_tool(name, arguments)
            text = _text(result)
            if len(text) > MAX_OUTPUT:
                text = text[:MAX_OUTPUT] + f"\n[output cut at {MAX_OUTPUT} characters]"
            if result.is_error:
                raise McpFailure("tool_execution_error", text or f"The tool '{name}' failed.")
            return text

        return await self._with(server, calling, self.call_timeout, f"calling '{name}'")

    async def _with(
        self,
        server: McpServer,
        work: Callable[[Any], Awaitable[T]],
        timeout: float,
        what: str,
    ) -> T:
        where = f"MCP server '{server.label}' ({_safe_url(server.url)})"
        host = (urlsplit(server.url).hostname or "").lower()
        if self.allowed_hosts is not None and host not in self.allowed_hosts:
            message = f"{where} is on a host this server may not connect to ({HOSTS_VARIABLE})."
            raise McpFailure("http_error", message, 403)
        try:
            from mcp import Client
        except ImportError:
            raise McpFailure(
                "http_error",
                "This server cannot reach MCP servers: install realtime-sdk[mcp].",
                501,
            ) from None
        try:
            async with asyncio.timeout(timeout):
                async with Client(_transport(server)) as client:
                    return await work(client)
        except McpFailure:
            raise
        except TimeoutError:
            message = f"{where} did not finish {what} within {timeout:g} s."
            raise McpFailure("http_error", message, 504) from None
        except Exception as exc:
            failure = _failure(exc, where, what)
            if failure is not exc:
                log.info("%s", failure.message)
            raise failure from None


def _transport(server: McpServer) -> AbstractAsyncContextManager[Any]:
    import httpx2
    from mcp.client.sse import sse_client
    from mcp.client.streamable_http import streamable_http_client

    headers = server.request_headers()
    if urlsplit(server.url).path.rstrip("/").endswith("/sse"):
        return sse_client(server.url, headers=headers)

    @asynccontextmanager
    async def streamable() -> AsyncIterator[Any]:
        async with (
            httpx2.AsyncClient(headers=headers, timeout=httpx2.Timeout(30.0, read=300.0)) as http,
            streamable_http_client(server.url, http_client=http) as streams,
        ):
            yield streams

    return streamable()


def _failure(exc: BaseException, where: str, what: str) -> McpFailure:
    """The first cause inside the SDK's task groups, in words for the client."""
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        exc = exc.exceptions[0]
    if isinstance(exc, McpFailure):
        return exc  # ours, from inside the connection
    from mcp import MCPError

    if isinstance(exc, MCPError):
        return McpFailure("protocol_error", f"{where} refused {what}: {exc.message}", exc.code)
    response = getattr(exc, "response", None)
    status = getattr(response, "status_code", None)
    if isinstance(status, int):
        return McpFailure("http_error", f"{where} answered HTTP {status} while {what}.", status)
    name = type(exc).__name__
    if "Connect" in name or isinstance(exc, OSError):
        return McpFailure("http_error", f"{where} could not be reached while {what}.", 502)
    return McpFailure("http_error", f"{where} failed while {what} ({name}).", 502)


def _safe_url(url: str) -> str:
    """The URL without its query or user info, which may carry keys."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{host}{port}{parts.path}"


def _tool(tool: Any) -> dict[str, Any]:
    notes = tool.annotations
    annotations = notes.model_dump(by_alias=True, exclude_none=True) if notes else None
    return {
        "name": tool.name,
        "description": tool.description,
        "input_schema": tool.input_schema,
        "annotations": annotations,
    }


def _text(result: Any) -> str:
    """A call's result as one string: its text parts, else its structured content as JSON."""
    texts = [part.text for part in result.content if getattr(part, "type", None) == "text"]
    if texts:
        return "\n".join(texts)
    if result.structured_content is not None:
        return json.dumps(result.structured_content)
    return json.dumps([part.model_dump(mode="json", by_alias=True) for part in result.content])
