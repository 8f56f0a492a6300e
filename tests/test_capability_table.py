"""The README's table of what each back-end honours is made from the back-ends' declared
capabilities (so it cannot drift from them), and each "refused" in it is checked: the
session answers the probing event with `unsupported_feature`."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from helpers.session_harness import Harness

from realtime_sdk.backends.agent.agent import OfflineAgent
from realtime_sdk.backends.echo import EchoBackend
from realtime_sdk.realtime.protocol.capabilities import Capabilities

README = (Path(__file__).resolve().parent.parent / "README.md").read_text()
START, END = "<!-- capability table: tests/test_capability_table.py -->", "<!-- end -->"


def fastrtc() -> Capabilities:
    from realtime_sdk.backends.fastrtc.backend import FastRTCBackend  # imports gradio: slow

    return FastRTCBackend.capabilities


BACKENDS: dict[str, Callable[[], Capabilities]] = {
    "echo": lambda: EchoBackend.capabilities,
    "agent": lambda: OfflineAgent.capabilities,
    "agent with an LLM": lambda: OfflineAgent.llm_capabilities,
    "FastRTC handler": fastrtc,
}

USER_TEXT = {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "hi"}]}
IMAGE = {"type": "input_image", "image_url": "data:image/png;base64,AAAA", "detail": "auto"}
MCP = {"type": "mcp", "server_label": "s", "server_url": "http://127.0.0.1:9/mcp"}


def item(data: dict[str, Any]) -> dict[str, Any]:
    return {"type": "conversation.item.create", "item": data}


# row -> (the capability it reads, the client event that needs it: None where the refusal
# comes later than an event, e.g. a transcription that fails)
ROWS: dict[str, tuple[str, dict[str, Any] | None]] = {
    "typed user messages (`input_text`)": ("text_input", item(USER_TEXT)),
    "image input (`input_image`)": (
        "image_input",
        item({**USER_TEXT, "content": [USER_TEXT["content"][0], IMAGE]}),
    ),
    "function calls and their outputs": (
        "function_calls",
        item({"type": "function_call_output", "call_id": "c", "output": "x"}),
    ),
    "MCP servers (`tools: [{type: mcp}]`)": (
        "function_calls",
        {"type": "session.update", "session": {"type": "realtime", "tools": [MCP]}},
    ),
    "`response.create`": ("client_responses", {"type": "response.create"}),
    "out-of-band responses (`conversation: none`)": (
        "out_of_band",
        {"type": "response.create", "response": {"conversation": "none", "input": []}},
    ),
    "input transcription (`audio.input.transcription`)": ("transcription", None),
}


def table() -> str:
    caps = {name: make() for name, make in BACKENDS.items()}
    lines = [
        "| | " + " | ".join(caps) + " |",
        "| --- |" + " --- |" * len(caps),
    ]
    for row, (field, _) in ROWS.items():
        cells = ["yes" if getattr(c, field) else "refused" for c in caps.values()]
        lines.append(f"| {row} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def test_the_readme_table_is_the_back_ends_capabilities() -> None:
    assert START in README, "the README has lost its capability table"
    written = README.split(START, 1)[1].split(END, 1)[0].strip()
    assert written == table(), "README capability table out of date; it should read:\n" + table()


@pytest.mark.parametrize("backend", list(BACKENDS))
def test_every_refused_cell_is_refused_by_name(backend: str) -> None:
    caps = BACKENDS[backend]()
    for row, (field, probe) in ROWS.items():
        if getattr(caps, field) or probe is None:
            continue
        h = Harness(capabilities=caps)
        answers = h.send(probe)
        errors = [e["error"] for e in answers if e["type"] == "error"]
        assert errors and errors[0]["code"] == "unsupported_feature", (backend, row, answers)
