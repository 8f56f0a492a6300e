"""MCP tools end to end: a real MCP server (tests/helpers/mcp_server.py) on 127.0.0.1, a
session driven over the in-memory channel, the `echo` back-end calling its tools by the
`call <tool> <json>` convention; every event checked with openai-python's models."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import socket
import threading
import time
from typing import Any

import pytest
from helpers.checked_client import CheckedClient
from helpers.mcp_server import mcp_server
from helpers.memory_session import drive

from realtime_sdk.backends.echo import EchoBackend
from realtime_sdk.realtime.protocol.mcp_tools import DENIED_OUTPUT
from realtime_sdk.realtime.server.mcp_client import McpClient


class Client(CheckedClient):
    async def listed(self, **tool: Any) -> list[dict[str, Any]]:
        """A session.update with one MCP tool, up to the end of its listing."""
        mcp = {"type": "mcp", "server_label": "tools", **tool}
        await self.send(
            {
                "type": "session.update",
                "session": {"type": "realtime", "output_modalities": ["text"], "tools": [mcp]},
            }
        )
        got: list[dict[str, Any]] = await self.until("conversation.item.done")
        got += await self.until("mcp_list_tools.completed")
        return got


def types(events: list[dict[str, Any]]) -> list[str]:
    return [e["type"] for e in events]


def of(events: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [e for e in events if e["type"] == kind]


def run(script: Any, mcp: McpClient | None = None) -> None:
    asyncio.run(drive(EchoBackend(), script, Client, mcp=mcp))


def test_tools_are_listed_then_a_call_runs_inside_the_response() -> None:
    with mcp_server() as server:

        async def script(client: Client) -> None:
            listing = await client.listed(server_url=server.url, require_approval="never")
            assert types(listing) == [
                "session.updated",
                "conversation.item.added",
                "mcp_list_tools.in_progress",
                "conversation.item.done",
                "mcp_list_tools.completed",
            ]
            added, done = listing[1]["item"], listing[3]["item"]
            assert added["type"] == "mcp_list_tools" and added["tools"] == []
            assert listing[2]["item_id"] == added["id"] == listing[4]["item_id"]
            assert [t["name"] for t in done["tools"]] == ["add", "shout", "boom", "slow", "big"]
            add = done["tools"][0]
            assert add["description"] == "Add two integers."
            assert add["input_schema"]["required"] == ["a", "b"]
            assert add["annotations"]["readOnlyHint"] is True

            await client.say('call add {"a": 2, "b": 3}')
            turn = await client.until("response.done")
            assert types(turn) == [
                "conversation.item.added",
                "conversation.item.done",
                "response.created",
                "response.output_item.added",
                "conversation.item.added",
                "response.mcp_call_arguments.delta",
                "response.mcp_call_arguments.done",
                "response.mcp_call.in_progress",
                "response.mcp_call.completed",
                "response.output_item.done",
                "conversation.item.done",
                # the back-end answers again with the output: echo says it
                "response.output_item.added",
                "conversation.item.added",
                "response.content_part.added",
                "response.output_text.delta",
                "response.output_text.done",
                "response.content_part.done",
                "response.output_item.done",
                "conversation.item.done",
                "response.done",
            ]
            call = turn[9]["item"]
            assert call["type"] == "mcp_call" and call["server_label"] == "tools"
            assert call["name"] == "add" and json.loads(call["arguments"]) == {"a": 2, "b": 3}
            assert call["output"] == "5" and call["error"] is None
            assert turn[8]["item_id"] == call["id"] and turn[8]["output_index"] == 0
            assert turn[15]["text"] == "5"
            done = turn[-1]["response"]
            assert done["status"] == "completed"
            assert [o["type"] for o in done["output"]] == ["mcp_call", "message"]

        run(script)
        assert server.calls == ["add"]


def test_allowed_tools_filters_what_is_listed_and_callable() -> None:
    with mcp_server() as server:

        async def script(client: Client) -> None:
            listing = await client.listed(
                server_url=server.url, allowed_tools=["add"], require_approval="never"
            )
            assert [t["name"] for t in listing[3]["item"]["tools"]] == ["add"]
            await client.say('call shout {"text": "hi"}')  # not offered: echo says it back
            turn = await client.until("response.done")
            assert not of(turn, "response.mcp_call.in_progress")
            assert of(turn, "response.output_text.done")[0]["text"].startswith("call shout")

        run(script)
        assert server.calls == []


def test_approval_granted_runs_the_call_in_the_next_response() -> None:
    with mcp_server() as server:

        async def script(client: Client) -> None:
            await client.listed(server_url=server.url)  # require_approval: "always" by default
            await client.say('call shout {"text": "hi there"}')
            turn = await client.until("response.done")
            assert types(turn)[2:] == [
                "response.created",
                "response.output_item.added",
                "conversation.item.added",
                "response.output_item.done",
                "conversation.item.done",
                "response.done",
            ]
            request = turn[-2]["item"]
            assert request["type"] == "mcp_approval_request"
            assert request["name"] == "shout" and request["server_label"] == "tools"
            assert server.calls == []  # nothing runs before the user says so

            answer = {
                "type": "mcp_approval_response",
                "id": "approval_yes",
                "approval_request_id": request["id"],
                "approve": True,
            }
            await client.send({"type": "conversation.item.create", "item": answer})
            added = await client.until("conversation.item.done")
            assert added[-1]["item"]["type"] == "mcp_approval_response"
            await client.send({"type": "response.create"})
            turn = await client.until("response.done")
            [call] = [e["item"] for e in of(turn, "response.output_item.done")][:1]
            assert call["type"] == "mcp_call"
            assert call["approval_request_id"] == request["id"]
            assert call["output"] == "HI THERE"
            assert of(turn, "response.mcp_call.completed")
            assert of(turn, "response.output_text.done")[0]["text"] == "HI THERE"

            await client.send({"type": "response.create"})  # the approval is used once
            turn = await client.until("response.done")
            assert not of(turn, "response.mcp_call.in_progress")

        run(script)
        assert server.calls == ["shout"]


def test_approval_denied_runs_nothing_and_the_back_end_is_told() -> None:
    with mcp_server() as server:

        async def script(client: Client) -> None:
            await client.listed(
                server_url=server.url, require_approval={"never": {"read_only": True}}
            )
            await client.say('call add {"a": 1, "b": 1}')  # read-only: no approval asked
            turn = await client.until("response.done")
            assert of(turn, "response.mcp_call.completed")
            await client.say('call shout {"text": "no"}')
            turn = await client.until("response.done")
            request = of(turn, "response.output_item.done")[0]["item"]
            assert request["type"] == "mcp_approval_request"
            answer = {
                "type": "mcp_approval_response",
                "id": "approval_no",
                "approval_request_id": request["id"],
                "approve": False,
                "reason": "not now",
            }
            await client.send({"type": "conversation.item.create", "item": answer})
            await client.until("conversation.item.done")
            await client.send({"type": "response.create"})
            turn = await client.until("response.done")
            assert not of(turn, "response.mcp_call.in_progress")
            assert of(turn, "response.output_text.done")[0]["text"] == DENIED_OUTPUT

            unknown = {**answer, "id": "approval_2", "approval_request_id": "item_nope"}
            await client.send({"type": "conversation.item.create", "item": unknown})
            [error] = of(await client.until("error"), "error")
            assert error["error"]["param"] == "item.approval_request_id"

        run(script)
        assert server.calls == ["add"]


def test_a_server_that_is_down_fails_the_listing_and_the_session_goes_on() -> None:
    with mcp_server() as server:
        url = server.url
    # stopped: nothing listens there now

    async def script(client: Client) -> None:
        mcp = {"type": "mcp", "server_label": "gone", "server_url": url}
        await client.send(
            {"type": "session.update", "session": {"type": "realtime", "tools": [mcp]}}
        )
        got = await client.until("error")
        assert types(got) == [
            "session.updated",
            "conversation.item.added",
            "mcp_list_tools.in_progress",
            "conversation.item.done",
            "mcp_list_tools.failed",
            "error",
        ]
        error = got[-1]["error"]
        assert error["code"] == "mcp_list_tools_failed"
        assert error["param"] == "session.tools[0]"
        assert "could not be reached" in error["message"] and "'gone'" in error["message"]
        await client.update(output_modalities=["text"])
        await client.say("still here")
        turn = await client.until("response.done")
        assert of(turn, "response.output_text.done")[0]["text"] == "still here"

    run(script)


def test_a_tool_that_raises_fails_the_call_and_the_response_goes_on() -> None:
    with mcp_server() as server:

        async def script(client: Client) -> None:
            await client.listed(server_url=server.url, require_approval="never")
            await client.say("call boom {}")
            turn = await client.until("response.done")
            assert of(turn, "response.mcp_call.failed")
            assert not of(turn, "response.mcp_call.completed")
            call = of(turn, "response.output_item.done")[0]["item"]
            assert call["output"] is None
            assert call["error"]["type"] == "tool_execution_error"
            assert "boom" in call["error"]["message"]
            assert turn[-1]["response"]["status"] == "completed"
            said = of(turn, "response.output_text.done")[0]["text"]
            assert said.startswith("Error:")

        run(script)


def test_a_slow_tool_hits_the_time_limit() -> None:
    with mcp_server() as server:

        async def script(client: Client) -> None:
            await client.listed(server_url=server.url, require_approval="never")
            began = time.monotonic()
            await client.say('call slow {"seconds": 5}')
            turn = await client.until("response.done")
            took = time.monotonic() - began
            assert took < 3, took
            call = of(turn, "response.output_item.done")[0]["item"]
            assert of(turn, "response.mcp_call.failed")
            assert call["error"]["type"] == "http_error" and call["error"]["code"] == 504
            assert "within 0.5 s" in call["error"]["message"]

        run(script, McpClient(call_timeout=0.5))


def test_headers_and_authorization_reach_the_server_and_nothing_else(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    with mcp_server() as server:

        async def script(client: Client) -> None:
            listing = await client.listed(
                server_url=server.url,
                require_approval="never",
                headers={"X-Tool-Key": "hdr-secret-1"},
                authorization="tok-secret-2",
            )
            tool = listing[0]["session"]["tools"][0]
            assert "headers" not in tool and "authorization" not in tool
            assert tool["server_url"] == server.url
            await client.say('call add {"a": 1, "b": 2}')
            await client.until("response.done")
            await client.send({"type": "session.update", "session": {"type": "realtime"}})
            await client.until("session.updated")
            assert "secret" not in json.dumps(client.seen)

        run(script)
        assert server.headers, "the MCP server got no request"
        for headers in server.headers:
            assert headers["x-tool-key"] == "hdr-secret-1"
            assert headers["authorization"] == "Bearer tok-secret-2"
    assert caplog.records, "nothing was logged at all"
    assert "secret" not in caplog.text


def test_sse_servers_work_too() -> None:
    with mcp_server(sse=True) as server:

        async def script(client: Client) -> None:
            listing = await client.listed(server_url=server.url, require_approval="never")
            assert len(listing[3]["item"]["tools"]) == 5
            await client.say('call shout {"text": "sse"}')
            turn = await client.until("response.done")
            assert of(turn, "response.output_item.done")[0]["item"]["output"] == "SSE"

        run(script)


def test_cancelling_a_response_stops_its_call() -> None:
    with mcp_server() as server:

        async def script(client: Client) -> None:
            await client.listed(server_url=server.url, require_approval="never")
            await client.say('call slow {"seconds": 5}')
            await client.until("response.mcp_call.in_progress")
            began = time.monotonic()
            await client.send({"type": "response.cancel"})
            turn = await client.until("response.done")
            assert time.monotonic() - began < 2
            done = turn[-1]["response"]
            assert done["status"] == "cancelled"
            [call] = done["output"]
            assert call["type"] == "mcp_call" and call["status"] == "incomplete"
            assert not of(turn, "response.mcp_call.completed")
            await client.say("after")  # the session goes on
            turn = await client.until("response.done")
            assert of(turn, "response.output_text.done")[0]["text"] == "after"

        run(script)


def test_a_server_that_never_answers_fails_the_listing_in_time() -> None:
    """A socket that accepts and then says nothing: the listing's time limit ends it."""
    silent = socket.create_server(("127.0.0.1", 0))
    port = silent.getsockname()[1]
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        silent.settimeout(0.1)
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                held.append(silent.accept()[0])

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()

    async def script(client: Client) -> None:
        mcp = {"type": "mcp", "server_label": "mute", "server_url": f"http://127.0.0.1:{port}/mcp"}
        began = time.monotonic()
        await client.send(
            {"type": "session.update", "session": {"type": "realtime", "tools": [mcp]}}
        )
        got = await client.until("error")
        assert time.monotonic() - began < 3
        assert "mcp_list_tools.failed" in types(got)
        assert "within 0.5 s" in got[-1]["error"]["message"]

    try:
        run(script, McpClient(list_timeout=0.5))
    finally:
        stop.set()
        thread.join(5)
        for conn in held:
            conn.close()
        silent.close()


def test_a_server_gone_after_listing_fails_the_call() -> None:
    async def script(client: Client) -> None:
        with mcp_server() as server:
            await client.listed(server_url=server.url, require_approval="never")
        await client.say('call add {"a": 1, "b": 1}')
        turn = await client.until("response.done")
        call = of(turn, "response.output_item.done")[0]["item"]
        assert of(turn, "response.mcp_call.failed")
        assert call["error"]["type"] == "http_error" and call["error"]["code"] == 502
        assert "could not be reached" in call["error"]["message"]
        assert turn[-1]["response"]["status"] == "completed"

    run(script)


def test_a_huge_output_is_cut_and_says_so() -> None:
    with mcp_server() as server:

        async def script(client: Client) -> None:
            await client.listed(server_url=server.url, require_approval="never")
            await client.say('call big {"size": 300000}')
            turn = await client.until("response.done")
            output = of(turn, "response.output_item.done")[0]["item"]["output"]
            assert output.startswith("zzz") and output.endswith("[output cut at 262144 characters]")
            assert len(output) < 263_000

        run(script)


def test_a_host_the_server_may_not_reach_fails_the_listing_without_a_connection() -> None:
    with mcp_server() as server:

        async def script(client: Client) -> None:
            elsewhere = server.url.replace("127.0.0.1", "localhost")
            mcp = {"type": "mcp", "server_label": "far", "server_url": elsewhere}
            await client.send(
                {"type": "session.update", "session": {"type": "realtime", "tools": [mcp]}}
            )
            got = await client.until("error")
            assert "mcp_list_tools.failed" in types(got)
            assert "REALTIME_SDK_MCP_HOSTS" in got[-1]["error"]["message"]

        run(script, McpClient(allowed_hosts=frozenset({"127.0.0.1"})))
        assert server.headers == []  # nothing was sent to it
