# ruff: noqa: E501  (the refusal table reads best one case a line)
"""The generated parse entry points: strict for client events, lenient for server events."""

from __future__ import annotations

import json
from typing import Any

import pytest

from realtime_sdk._generated import beta, ga
from realtime_sdk._generated._runtime import EventValidationError, UnknownServerEvent, to_json
from realtime_sdk._generated.ga import client_events as c
from realtime_sdk._generated.ga import server_events as s


def refusal(event: Any) -> dict[str, Any]:
    with pytest.raises(EventValidationError) as info:
        ga.parse_client_event(event)
    return info.value.to_error()


def test_unknown_nested_field_is_refused_with_its_path_and_event_id() -> None:
    error = refusal(
        {
            "type": "session.update",
            "event_id": "evt_1",
            "session": {
                "type": "realtime",
                "tools": [{"type": "function", "name": "f", "meta": 1}],
            },
        }
    )
    assert error == {
        "type": "invalid_request_error",
        "code": "unknown_parameter",
        "message": "Unknown parameter: 'session.tools[0].meta'.",
        "param": "session.tools[0].meta",
        "event_id": "evt_1",
    }


@pytest.mark.parametrize(
    ("event", "code", "param"),
    [
        ({"type": "input_audio_buffer.append", "audio": "AAAA", "x": 1}, "unknown_parameter", "x"),
        ({"type": "conversation.item.create"}, "missing_required_parameter", "item"),
        ({"type": "session.update", "session": {"instructions": "hi"}}, "missing_required_parameter", "session.type"),
        ({"type": "session.update", "session": {"type": "realtime", "instructions": 5}}, "invalid_type", "session.instructions"),
        ({"type": "conversation.item.truncate", "item_id": "i", "content_index": 0, "audio_end_ms": "10"}, "invalid_type", "audio_end_ms"),
        ({"type": "conversation.item.create", "item": {"type": "message", "role": "boss", "content": []}}, "invalid_value", "item.role"),
        ({"type": "conversation.item.create", "item": {"type": "note"}}, "invalid_value", "item.type"),
        ({"type": "conversation.item.create", "item": {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "hi", "lang": "en"}]}}, "unknown_parameter", "item.content[0].lang"),
        ({"type": "session.update", "session": {"type": "realtime", "audio": {"input": {"turn_detection": {"type": "server_vad", "threshold": "high"}}}}}, "invalid_type", "session.audio.input.turn_detection.threshold"),
        ({"type": "response.create", "response": {"output_modalities": ["smell"]}}, "invalid_value", "response.output_modalities[0]"),
        ({"type": "warp.drive"}, "invalid_value", "type"),
        ({"event_id": "e"}, "missing_required_parameter", "type"),
    ],
)  # fmt: skip
def test_strict_parse_names_the_parameter(event: dict[str, Any], code: str, param: str) -> None:
    error = refusal(event)
    assert (error["code"], error["param"]) == (code, param), error["message"]
    named = str(event["type"]) if code == "invalid_value" and param == "type" else param
    assert named in error["message"]


def test_not_json_and_not_an_object_are_refused() -> None:
    assert refusal("{nope")["code"] == "invalid_json"
    assert refusal("[1, 2]")["code"] == "invalid_event"


def test_strict_parse_accepts_what_real_clients_send() -> None:
    raw = json.dumps(
        {
            "type": "session.update",
            "session": {
                "type": "realtime",
                "model": "gpt-realtime",
                "tracing": "auto",
                "output_modalities": ["audio"],
                "audio": {
                    "input": {
                        "format": {"type": "audio/pcm", "rate": 24000},
                        "turn_detection": None,
                    },
                    "output": {"voice": "alloy", "format": {"type": "audio/pcmu"}},
                },
                "tools": [{"type": "function", "name": "f", "parameters": {"type": "object"}}],
                "tool_choice": "auto",
            },
        }
    )
    event = ga.parse_client_event(raw)
    assert isinstance(event, c.SessionUpdateEvent)
    assert isinstance(event.session, c.RealtimeSessionConfig)
    assert event.session.audio is not None and event.session.audio.input is not None
    assert event.session.audio.input.turn_detection is None
    assert json.loads(to_json(event)) == json.loads(raw)


def test_items_are_told_apart_by_type_then_role() -> None:
    for role, cls in (
        ("system", c.SystemMessageItem),
        ("user", c.UserMessageItem),
        ("assistant", c.AssistantMessageItem),
    ):
        part = "output_text" if role == "assistant" else "input_text"
        event = ga.parse_client_event(
            {
                "type": "conversation.item.create",
                "item": {"type": "message", "role": role, "content": [{"type": part, "text": "x"}]},
            }
        )
        assert isinstance(event, c.ConversationItemCreateEvent)
        assert type(event.item) is cls
    call = ga.parse_client_event(
        {
            "type": "conversation.item.create",
            "item": {"type": "function_call_output", "call_id": "c1", "output": "{}"},
        }
    )
    assert isinstance(call, c.ConversationItemCreateEvent)
    assert isinstance(call.item, c.FunctionCallOutputItem)


def test_lenient_parse_keeps_unknown_events_and_extra_fields() -> None:
    unknown = ga.parse_server_event('{"type": "brand.new", "event_id": "e1", "payload": [1]}')
    assert isinstance(unknown, UnknownServerEvent)
    assert unknown.problem is None
    assert unknown.model_dump() == {"type": "brand.new", "event_id": "e1", "payload": [1]}

    known = ga.parse_server_event(
        {"type": "input_audio_buffer.cleared", "event_id": "e2", "shiny_new_field": True}
    )
    assert isinstance(known, s.InputAudioBufferClearedEvent)
    assert known.model_dump()["shiny_new_field"] is True


def test_lenient_parse_returns_unreadable_known_events_instead_of_raising() -> None:
    broken = ga.parse_server_event({"type": "response.done", "event_id": "e3"})
    assert isinstance(broken, UnknownServerEvent)
    assert broken.type == "response.done"
    assert broken.problem is not None and "response" in broken.problem


def test_each_dialect_has_its_own_names() -> None:
    delta = {
        "type": "response.audio.delta",
        "event_id": "e",
        "response_id": "r",
        "item_id": "i",
        "output_index": 0,
        "content_index": 0,
        "delta": "AAAA",
    }
    assert type(beta.parse_server_event(delta)).__name__ == "BetaResponseAudioDeltaEvent"
    assert isinstance(ga.parse_server_event(delta), UnknownServerEvent)
    ga_delta = delta | {"type": "response.output_audio.delta"}
    assert isinstance(ga.parse_server_event(ga_delta), s.ResponseOutputAudioDeltaEvent)
    assert isinstance(beta.parse_server_event(ga_delta), UnknownServerEvent)
