"""An unmodified openai-python client using MCP tools through the server (create_app under
uvicorn, the echo back-end) over a real websocket, with a real MCP server on 127.0.0.1:
the listing, a call needing approval, the client's approval, the call and the answer."""

from __future__ import annotations

import asyncio
from typing import Any

from helpers.mcp_server import mcp_server
from openai import AsyncOpenAI


async def collect(conn: Any, until: str) -> list[Any]:
    events = []
    async for event in conn:
        events.append(event)
        if event.type == until:
            return events
    raise AssertionError(f"connection ended before {until}")


def test_openai_python_lists_approves_and_gets_the_output(base_url: str) -> None:
    with mcp_server() as server:

        async def main() -> None:
            client = AsyncOpenAI(base_url=base_url, api_key="sk-test")
            async with client.realtime.connect(model="gpt-realtime") as conn:
                await conn.session.update(
                    session={
                        "type": "realtime",
                        "output_modalities": ["text"],
                        "tools": [
                            {
                                "type": "mcp",
                                "server_label": "tools",
                                "server_url": server.url,
                                "headers": {"X-Key": "compat-key"},
                                "require_approval": "always",
                            }
                        ],
                    }
                )
                listing = await collect(conn, "mcp_list_tools.completed")
                updated = next(e for e in listing if e.type == "session.updated")
                [tool] = updated.session.tools
                assert tool.type == "mcp" and tool.headers is None
                done = [e for e in listing if e.type == "conversation.item.done"][-1]
                assert [t.name for t in done.item.tools] == ["add", "shout", "boom", "slow", "big"]

                await conn.conversation.item.create(
                    item={"type": "message", "role": "user",
                          "content": [{"type": "input_text", "text": 'call add {"a": 4, "b": 5}'}]}
                )  # fmt: skip
                await conn.response.create()
                first = await collect(conn, "response.done")
                [request] = first[-1].response.output
                assert request.type == "mcp_approval_request" and request.name == "add"

                await conn.conversation.item.create(
                    item={
                        "type": "mcp_approval_response",
                        "id": "approval_1",
                        "approval_request_id": request.id,
                        "approve": True,
                    }
                )
                await conn.response.create()
                second = await collect(conn, "response.done")
                call, answer = second[-1].response.output
                assert call.type == "mcp_call" and call.output == "9"
                assert call.approval_request_id == request.id
                assert answer.content[0].text == "9"
                kinds = {e.type for e in second}
                assert {"response.mcp_call.in_progress", "response.mcp_call.completed"} <= kinds

        asyncio.run(asyncio.wait_for(main(), 30))
        assert server.calls == ["add"]
        assert all(h["x-key"] == "compat-key" for h in server.headers)


def test_an_ephemeral_keys_mcp_server_is_listed_with_its_headers_never_shown(
    base_url: str,
) -> None:
    with mcp_server() as server:

        async def main() -> None:
            client = AsyncOpenAI(base_url=base_url, api_key="sk-test")
            mcp = {
                "type": "mcp",
                "server_label": "tools",
                "server_url": server.url,
                "authorization": "ek-tok-9",
                "require_approval": "never",
            }
            secret = await client.realtime.client_secrets.create(
                session={"type": "realtime", "output_modalities": ["text"], "tools": [mcp]}
            )
            assert "ek-tok-9" not in secret.model_dump_json()
            browser = AsyncOpenAI(base_url=base_url, api_key=secret.value)
            async with browser.realtime.connect(model="gpt-realtime") as conn:
                events = await collect(conn, "mcp_list_tools.completed")
            assert events[0].type == "session.created"
            assert "ek-tok-9" not in "".join(e.model_dump_json() for e in events)

        asyncio.run(asyncio.wait_for(main(), 30))
        assert server.headers and all(
            h["authorization"] == "Bearer ek-tok-9" for h in server.headers
        )
