"""The README's tables of what each back-end honours: the features, made from the back-ends'
declared capabilities (each "refused" checked: the probing event is answered with
`unsupported_feature`), and every GA client event, made by sending each back-end's session
one (a new event in the spec fails here until it has a probe)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from helpers.session_harness import Harness

from realtime_sdk._generated.ga.parsing import CLIENT_EVENT_TYPES
from realtime_sdk.backends.agent.agent import OfflineAgent
from realtime_sdk.backends.echo import EchoBackend
from realtime_sdk.realtime.protocol.capabilities import Capabilities

README = (Path(__file__).resolve().parent.parent / "README.md").read_text()
START, END = "<!-- capability table: tests/test_capability_table.py -->", "<!-- end -->"
EVENTS_START = "<!-- client event table: tests/test_capability_table.py -->"


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


def transcription(settings: dict[str, Any], **more: Any) -> dict[str, Any]:
    audio = {"input": {"transcription": {"model": "gpt-4o-transcribe", **settings}}}
    return {"type": "session.update", "session": {"type": "realtime", "audio": audio, **more}}


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
    "transcription `language`, `languages` (`en`)": (
        "transcription_languages",
        transcription({"language": "en"}),
    ),
    "transcription `prompt`, `keywords`": ("transcription_prompts", transcription({"prompt": "x"})),
    "transcription logprobs (`include`)": (
        "transcription_logprobs",
        transcription({}, include=["item.input_audio_transcription.logprobs"]),
    ),
    "speaker segments (`gpt-4o-transcribe-diarize`)": (
        "transcription_segments",
        transcription({"model": "gpt-4o-transcribe-diarize"}),
    ),
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


SILENCE = "AAAA" * 1600  # 200 ms of PCM16 at 24 kHz, base64
SYSTEM = {"type": "message", "role": "system", "content": [{"type": "input_text", "text": "x"}]}

# each GA client event, as a client would send it (with what must come first), and the
# transport it is carried on
PROBES: dict[str, tuple[list[dict[str, Any]], str]] = {
    "session.update": ([{"type": "session.update", "session": {"type": "realtime"}}], "websocket"),
    "input_audio_buffer.append": (
        [{"type": "input_audio_buffer.append", "audio": SILENCE}],
        "websocket",
    ),
    "input_audio_buffer.commit": (
        [
            {"type": "input_audio_buffer.append", "audio": SILENCE},
            {"type": "input_audio_buffer.commit"},
        ],
        "websocket",
    ),
    "input_audio_buffer.clear": ([{"type": "input_audio_buffer.clear"}], "websocket"),
    "conversation.item.create": ([item(USER_TEXT)], "websocket"),
    "conversation.item.retrieve": (
        [
            item({**SYSTEM, "id": "item_sys"}),
            {"type": "conversation.item.retrieve", "item_id": "item_sys"},
        ],
        "websocket",
    ),
    "conversation.item.delete": (
        [
            item({**SYSTEM, "id": "item_sys"}),
            {"type": "conversation.item.delete", "item_id": "item_sys"},
        ],
        "websocket",
    ),
    "conversation.item.truncate": (
        [
            {
                "type": "conversation.item.truncate",
                "item_id": "item_x",
                "content_index": 0,
                "audio_end_ms": 0,
            }
        ],
        "websocket",
    ),
    "response.create": ([{"type": "response.create"}], "websocket"),
    "response.cancel": ([{"type": "response.cancel"}], "websocket"),
    "output_audio_buffer.clear": ([{"type": "output_audio_buffer.clear"}], "webrtc"),
    "transcription_session.update": (
        [{"type": "transcription_session.update", "session": {}}],
        "websocket",
    ),
}


def answer(caps: Capabilities, event_type: str) -> str:
    """What the session of a back-end with `caps` makes of the event: "yes" (taken; an
    error about its content, such as an unknown item, still counts), "refused"
    (`unsupported_feature`: this back-end cannot), or "not offered" (no back-end here)."""
    events, transport = PROBES[event_type]
    h = Harness(capabilities=caps, transport=transport)
    last: list[dict[str, Any]] = []
    for event in events:
        last = h.send(event)
    codes = {e["error"]["code"] for e in last if e["type"] == "error"}
    if "unsupported_feature" in codes:
        return "refused"
    if "unsupported_event" in codes:
        return "not offered"
    return "yes"


def events_table() -> str:
    caps = {name: make() for name, make in BACKENDS.items()}
    lines = [
        "| client event | " + " | ".join(caps) + " |",
        "| --- |" + " --- |" * len(caps),
    ]
    for event_type in sorted(CLIENT_EVENT_TYPES):
        cells = [answer(c, event_type) for c in caps.values()]
        lines.append(f"| `{event_type}` | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def test_every_client_event_has_a_probe() -> None:
    assert set(PROBES) == set(CLIENT_EVENT_TYPES)


def test_the_readme_client_event_table_is_what_the_sessions_answer() -> None:
    assert EVENTS_START in README, "the README has lost its client event table"
    written = README.split(EVENTS_START, 1)[1].split(END, 1)[0].strip()
    made = events_table()
    assert written == made, "README client event table out of date; it should read:\n" + made
