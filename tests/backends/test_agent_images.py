"""Image input: a user's `input_image` parts reach the LLM back-end's chat-completions
request as image parts (checked in the request the test's stand-in got); back-ends that
cannot use images refuse them with `unsupported_feature`, naming the part."""

from __future__ import annotations

import asyncio
import base64
import importlib.util
import struct
import zlib
from typing import Any

import pytest
from helpers.chat_server import ChatServer
from helpers.checked_client import CheckedClient
from helpers.memory_session import drive
from helpers.need import need

from realtime_sdk.backends.agent import OfflineAgent
from realtime_sdk.backends.echo import EchoBackend


def png(width: int = 2, height: int = 2) -> str:
    """A real (tiny, grey) PNG as a data URL."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    rows = b"".join(b"\x00" + b"\x80" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    data = (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )
    return "data:image/png;base64," + base64.b64encode(data).decode()


IMAGE = png()
ITEM = {
    "type": "message",
    "role": "user",
    "content": [
        {"type": "input_text", "text": "What is in this picture?"},
        {"type": "input_image", "image_url": IMAGE, "detail": "low"},
    ],
}


Client = CheckedClient


def test_images_reach_the_llm_as_image_parts(chat: ChatServer, agent_installed: None) -> None:
    chat.replies[:] = [["A grey square."]]
    chat.requests.clear()
    got: list[dict[str, Any]] = []

    async def script(client: Client) -> None:
        await client.update(output_modalities=["text"], instructions="Describe images.")
        await client.send({"type": "conversation.item.create", "item": ITEM})
        added = await client.until("conversation.item.done")
        assert added[-1]["item"]["content"][1]["image_url"] == IMAGE
        await client.send({"type": "response.create"})
        got.extend(await client.until("response.done"))

    agent = OfflineAgent(llm_base_url=chat.url, llm_model="m")
    asyncio.run(asyncio.wait_for(drive(agent, script, Client), 60))
    assert got[-1]["response"]["output"][0]["content"][0]["text"] == "A grey square."
    [asked] = chat.requests
    assert asked["messages"] == [
        {"role": "system", "content": "Describe images."},
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "What is in this picture?"},
                {"type": "image_url", "image_url": {"url": IMAGE, "detail": "low"}},
            ],
        },
    ]


@pytest.mark.parametrize("backend", [EchoBackend, OfflineAgent], ids=["echo", "agent-no-llm"])
def test_back_ends_without_image_input_refuse_it_by_name(backend: Any) -> None:
    if backend is OfflineAgent:
        need(importlib.util.find_spec("pocketsphinx") is not None, "no agent extra")

    async def script(client: Client) -> None:
        await client.send({"type": "conversation.item.create", "item": ITEM})
        error = (await client.until("error"))[-1]["error"]
        assert (error["code"], error["param"]) == ("unsupported_feature", "item.content[1]")
        assert "image" in error["message"]
        only_image = {**ITEM, "content": ITEM["content"][1:]}
        await client.send({"type": "response.create", "response": {"input": [only_image]}})
        error = (await client.until("error"))[-1]["error"]
        assert error["param"] == "response.input[0].content[0]"
        await client.update(output_modalities=["text"])
        await client.say("still fine")  # the session goes on
        done = (await client.until("response.done"))[-1]
        assert done["response"]["status"] == "completed"

    asyncio.run(asyncio.wait_for(drive(backend(), script, Client), 60))
