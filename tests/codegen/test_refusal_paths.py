# ruff: noqa: E501  (the refusal tables read best one case a line)
"""The `param` of a refused client event names a field of the payload, never a union
member's name that pydantic puts at the end of its error location, and, inside a union, the
field of the member the client meant, not another member's complaint about it."""

from __future__ import annotations

import json
from typing import Any

import pytest

from realtime_sdk._generated import beta, ga
from realtime_sdk._generated._runtime import EventValidationError


def refused(event: dict[str, Any], dialect: Any = ga) -> EventValidationError:
    with pytest.raises(EventValidationError) as caught:
        dialect.parse_client_event(json.dumps(event))
    return caught.value


def session(**fields: Any) -> dict[str, Any]:
    return {"type": "session.update", "session": {"type": "realtime", **fields}}


def tool(**fields: Any) -> dict[str, Any]:
    return session(tools=[fields])


def audio_input(**fields: Any) -> dict[str, Any]:
    return session(audio={"input": fields})


def test_a_wrong_type_in_a_union_field_names_the_field() -> None:
    error = refused(audio_input(transcription={"model": 5}))
    assert error.code == "invalid_type"
    assert error.param == "session.audio.input.transcription.model"


def test_a_missing_field_is_still_named() -> None:
    error = refused({"type": "conversation.item.delete"})
    assert (error.code, error.param) == ("missing_required_parameter", "item_id")


# Found by fuzzing: `tools` is `FunctionTool | MCPTool` and the audio formats a union of three;
# pydantic reports every member's errors and the MCP member's "name is not allowed" (or another
# format's "rate is not allowed") used to win, as unknown fields were ranked first.
@pytest.mark.parametrize(
    ("event", "code", "param"),
    [
        (tool(type=5, name="f"), "invalid_type", "session.tools[0].type"),
        (tool(type="function", name="f", parameters="x"), "invalid_type", "session.tools[0].parameters"),
        (tool(type="function", name="f", description=5), "invalid_type", "session.tools[0].description"),
        (tool(type="function", name=5), "invalid_type", "session.tools[0].name"),
        (tool(type="bogus", name="f"), "invalid_value", "session.tools[0].type"),
        (tool(name="f", parameters="x"), "invalid_type", "session.tools[0].parameters"),  # type is optional
        (tool(type="function", name="f", meta=1), "unknown_parameter", "session.tools[0].meta"),
        (tool(type="mcp", server_label=5), "invalid_type", "session.tools[0].server_label"),
        (tool(type="mcp", server_label="s", server_url=5), "invalid_type", "session.tools[0].server_url"),
        (tool(type="mcp", server_label="s", require_approval={"always": {"tool_names": [5]}}), "invalid_type", "session.tools[0].require_approval.always.tool_names[0]"),
        (tool(type="mcp"), "missing_required_parameter", "session.tools[0].server_label"),
        # no tag, and a field only the MCP member knows: an MCP tool without its (required) type
        (tool(server_label="x"), "missing_required_parameter", "session.tools[0].type"),
        (tool(server_label="x", server_url="https://m.example", fuzz=1), "missing_required_parameter", "session.tools[0].type"),
        (tool(name="f", fuzz=1), "unknown_parameter", "session.tools[0].fuzz"),  # no member knows it
        (tool(type="function", server_label="x"), "unknown_parameter", "session.tools[0].server_label"),  # the tag picks
        ({"type": "response.create", "response": {"tools": [{"name": "f"}, {"server_label": "x"}]}}, "missing_required_parameter", "response.tools[1].type"),
        (audio_input(format={"type": "audio/xyz"}), "invalid_value", "session.audio.input.format.type"),
        (audio_input(format={"type": 5}), "invalid_type", "session.audio.input.format.type"),
        (audio_input(format={"type": "audio/pcm", "rate": 16000}), "invalid_value", "session.audio.input.format.rate"),
        (audio_input(format={"type": "audio/pcm", "rate": "24000"}), "invalid_type", "session.audio.input.format.rate"),
        (audio_input(format={"rate": 16000}), "invalid_value", "session.audio.input.format.rate"),
        (audio_input(format={"type": "audio/pcmu", "rate": 8000}), "unknown_parameter", "session.audio.input.format.rate"),
        (audio_input(format="pcm16"), "invalid_type", "session.audio.input.format"),
        ({"type": "response.create", "response": {"tools": [{"type": "function", "parameters": "x"}]}}, "invalid_type", "response.tools[0].parameters"),
        ({"type": "response.create", "response": {"audio": {"output": {"format": {"type": "pcm16"}}}}}, "invalid_value", "response.audio.output.format.type"),
    ],
)  # fmt: skip
def test_union_members_are_told_apart_by_their_tag(
    event: dict[str, Any], code: str, param: str
) -> None:
    error = refused(event)
    assert (error.code, error.param) == (code, param), error.message
    assert f"'{param}'" in error.message


# The other unions of the client events (both dialects).
@pytest.mark.parametrize(
    ("event", "code", "param"),
    [
        (session(tool_choice={"type": "function", "name": 5}), "invalid_type", "session.tool_choice.name"),
        (session(tool_choice={"type": 7, "name": "x"}), "invalid_type", "session.tool_choice.type"),
        (session(tool_choice={"name": "x"}), "missing_required_parameter", "session.tool_choice.type"),
        (session(tool_choice={"type": "mcp", "server_label": 5}), "invalid_type", "session.tool_choice.server_label"),
        (session(tool_choice=5), "invalid_type", "session.tool_choice"),
        (session(tool_choice="bogus"), "invalid_value", "session.tool_choice"),
        (session(truncation={"type": "retention_ratio", "retention_ratio": "x"}), "invalid_type", "session.truncation.retention_ratio"),
        (session(truncation={"type": "retention_ratio", "retention_ratio": 2}), "invalid_value", "session.truncation.retention_ratio"),
        (session(truncation={"type": "retention_ratio"}), "missing_required_parameter", "session.truncation.retention_ratio"),
        (session(truncation="sometimes"), "invalid_value", "session.truncation"),
        (session(tracing={"workflow_name": 5}), "invalid_type", "session.tracing.workflow_name"),
        (session(tracing="manual"), "invalid_value", "session.tracing"),
        (session(audio={"output": {"voice": {"id": 5}}}), "invalid_type", "session.audio.output.voice.id"),
        (session(audio={"output": {"voice": 5}}), "invalid_type", "session.audio.output.voice"),
        (session(max_output_tokens="lots"), "invalid_value", "session.max_output_tokens"),
        (session(max_output_tokens=2.5), "invalid_type", "session.max_output_tokens"),
        (session(prompt={"id": "p", "variables": {"photo": {"type": "input_image", "detail": "auto", "image_url": 5}}}), "invalid_type", "session.prompt.variables.photo.image_url"),
        (session(prompt={"id": "p", "variables": {"photo": {"type": "input_picture"}}}), "invalid_value", "session.prompt.variables.photo.type"),
        (session(prompt={"id": "p", "variables": {"name": 5}}), "invalid_type", "session.prompt.variables.name"),
        (session(audio={"input": {"turn_detection": {"type": "server_vad", "idle_timeout_ms": "5000"}}}), "invalid_type", "session.audio.input.turn_detection.idle_timeout_ms"),
        ({"type": "conversation.item.create", "item": {"type": 7}}, "invalid_type", "item.type"),
        ({"type": "conversation.item.create", "item": {"type": "message", "role": 7, "content": []}}, "invalid_type", "item.role"),
        ({"type": "conversation.item.create", "item": {"type": "message"}}, "missing_required_parameter", "item.role"),
        ({"type": "conversation.item.create", "item": {"type": "mcp_call", "id": "i", "server_label": "s", "name": "n", "arguments": "{}", "error": {"type": "http_error", "code": "x", "message": "m"}}}, "invalid_type", "item.error.code"),
        ({"type": 5}, "invalid_type", "type"),
        ({"type": None}, "invalid_type", "type"),
    ],
)  # fmt: skip
def test_other_unions_name_the_field(event: dict[str, Any], code: str, param: str) -> None:
    error = refused(event)
    assert (error.code, error.param) == (code, param), error.message


@pytest.mark.parametrize(
    ("event", "code", "param"),
    [
        ({"type": "session.update", "session": {"tool_choice": 5}}, "invalid_type", "session.tool_choice"),
        ({"type": "session.update", "session": {"voice": {"id": 5}}}, "invalid_type", "session.voice.id"),
        ({"type": "response.create", "response": {"tool_choice": {"type": "function", "name": 5}}}, "invalid_type", "response.tool_choice.name"),
        ({"type": "response.create", "response": {"tools": [{"type": "function", "parameters": "x"}]}}, "invalid_type", "response.tools[0].parameters"),
    ],
)  # fmt: skip
def test_beta_unions_name_the_field(event: dict[str, Any], code: str, param: str) -> None:
    error = refused(event, beta)
    assert (error.code, error.param) == (code, param), error.message


def test_messages_say_what_was_expected_and_what_came() -> None:
    assert refused(tool(type=5, name="f")).message == (
        "Invalid type for 'session.tools[0].type': expected a string, but got an integer instead."
    )
    assert refused(tool(type="bogus")).message == (
        "Invalid value for 'session.tools[0].type': 'bogus'. Supported values are: 'function', 'mcp'."
    )
    assert refused(session(tool_choice=5)).message == (
        "Invalid type for 'session.tool_choice': expected one of a string or an object, but got an integer instead."
    )
    assert refused(audio_input(format={"type": "audio/pcm", "rate": 16000})).message == (
        "Invalid value for 'session.audio.input.format.rate': 16000. Supported values are: 24000."
    )
    assert refused(session(audio={"output": {"speed": 3}})).message == (
        "Invalid value for 'session.audio.output.speed': expected a value <= 1.5, but got 3 instead."
    )
    assert refused({"type": "input_audio_buffer.clear", "event_id": "e" * 513}).message == (
        "Invalid value for 'event_id': expected at most 512 characters, but got 513 instead."
    )
    assert refused({"type": "conversation.item.create", "item": {"type": "note"}}).message == (
        "Invalid value for 'item.type': 'note'. Supported values are: 'message', 'function_call', "
        "'function_call_output', 'mcp_approval_response', 'mcp_list_tools', 'mcp_call', "
        "'mcp_approval_request'."
    )


def test_the_event_id_is_echoed_whatever_is_wrong() -> None:
    error = refused({**tool(type=5), "event_id": "evt_7"})
    assert error.to_error()["event_id"] == "evt_7"
