# ruff: noqa: E501  (the refusal table reads best one case a line)
"""GPT-Live's generated parse entry points: strict for client events, lenient for server events.

Live's session config is strict like the service: an unknown field is refused, and every
refusal names the parameter, as the Realtime parser does.
"""

from __future__ import annotations

from typing import Any

import pytest

from realtime_sdk._generated import live
from realtime_sdk._generated._runtime import EventValidationError, UnknownServerEvent
from realtime_sdk._generated.live import client_events as c
from realtime_sdk._generated.live import server_events as s

START = {"type": "session.start", "session": {"model": "gpt-live-1"}}


def refusal(event: Any) -> dict[str, Any]:
    with pytest.raises(EventValidationError) as info:
        live.parse_client_event(event)
    return info.value.to_error()


def test_unknown_session_field_is_refused_with_its_path_and_event_id() -> None:
    error = refusal(
        {
            "type": "session.start",
            "event_id": "evt_1",
            "session": {"model": "gpt-live-1", "turn_detection": {"type": "server_vad"}},
        }
    )
    assert error == {
        "type": "invalid_request_error",
        "code": "unknown_parameter",
        "message": "Unknown parameter: 'session.turn_detection'.",
        "param": "session.turn_detection",
        "event_id": "evt_1",
    }


@pytest.mark.parametrize(
    ("event", "code", "param"),
    [
        ({"type": "session.start"}, "missing_required_parameter", "session"),
        ({"type": "session.start", "session": {}}, "missing_required_parameter", "session.model"),
        ({"type": "session.start", "session": {"model": 5}}, "invalid_type", "session.model"),
        ({"type": "session.start", "session": {"model": "gpt-live-1", "audio": {"format": {"type": "audio/pcm", "rate": 24000, "bits": 16}}}}, "unknown_parameter", "session.audio.format.bits"),
        ({"type": "session.start", "session": {"model": "gpt-live-1", "audio": {"format": {"type": "audio/pcm", "rate": "24000"}}}}, "invalid_type", "session.audio.format.rate"),
        ({"type": "session.start", "session": {"model": "gpt-live-1", "audio": {"format": {"type": "audio/pcm", "rate": 44100}}}}, "invalid_value", "session.audio.format.rate"),
        ({"type": "session.start", "session": {"model": "gpt-live-1", "audio": {"format": {"type": "audio/opus"}}}}, "invalid_value", "session.audio.format.type"),
        ({"type": "session.start", "session": {"model": "gpt-live-1", "audio": None}}, "invalid_type", "session.audio"),
        ({"type": "session.start", "session": {"model": "gpt-live-1", "store": "yes"}}, "invalid_type", "session.store"),
        ({"type": "session.start", "session": {"model": "gpt-live-1", "delegation": {"type": "robots"}}}, "invalid_value", "session.delegation.type"),
        ({"type": "session.start", "session": {"model": "gpt-live-1", "delegation": {"type": "client", "target": "x"}}}, "unknown_parameter", "session.delegation.target"),
        ({"type": "session.start", "session": {"model": "gpt-live-1", "delegation": {"type": "responses"}}}, "missing_required_parameter", "session.delegation.responses"),
        ({"type": "session.start", "session": {"model": "gpt-live-1", "delegation": {"type": "responses", "responses": {"model": "m", "tools": [{"type": "function", "name": "f", "meta": 1}]}}}}, "unknown_parameter", "session.delegation.responses.tools[0].meta"),
        ({"type": "session.update", "session": {"instructions": "hi"}}, "unknown_parameter", "session.instructions"),
        ({"type": "session.input_audio.append"}, "missing_required_parameter", "audio"),
        ({"type": "session.input_audio.append", "audio": 5}, "invalid_type", "audio"),
        ({"type": "session.input_audio.mute", "muted": True}, "unknown_parameter", "muted"),
        ({"type": "session.commentary.append", "content": "x"}, "missing_required_parameter", "delegation_id"),
        ({"type": "session.thinking.append", "content": 1, "delegation_id": None}, "invalid_type", "content"),
        ({"type": "decision.create"}, "missing_required_parameter", "event_id"),
        ({"type": "decision.item.delete", "item_id": 3}, "invalid_type", "item_id"),
        ({"type": "session.close", "reason": "bye"}, "unknown_parameter", "reason"),
        ({"type": "input_audio_buffer.append", "audio": "AAAA"}, "invalid_value", "type"),
        ({"event_id": "e"}, "missing_required_parameter", "type"),
    ],
)  # fmt: skip
def test_strict_parse_names_the_parameter(event: dict[str, Any], code: str, param: str) -> None:
    error = refusal(event)
    assert (error["code"], error["param"]) == (code, param), error["message"]


def test_a_null_is_taken_only_where_the_params_allow_it() -> None:
    event = live.parse_client_event(
        {
            "type": "session.start",
            "session": {"model": "gpt-live-1", "instructions": None, "delegation": None},
        }
    )
    assert isinstance(event, c.SessionStartEvent)
    assert (
        refusal({"type": "session.start", "session": {"model": "gpt-live-1", "triggers": None}})[
            "param"
        ]
        == "session.triggers"
    )


def test_server_events_are_lenient() -> None:
    event = live.parse_server_event(
        {"type": "session.output_audio.delta", "delta": "AAAA", "start_ms": 0, "new_field": 1}
    )
    assert isinstance(event, s.SessionOutputAudioDeltaEvent)
    assert event.model_extra == {"new_field": 1}
    unknown = live.parse_server_event({"type": "session.teleported", "event_id": "e"})
    assert isinstance(unknown, UnknownServerEvent)


def test_a_type_both_sides_use_parses_as_each_sides_own_event() -> None:
    sent = live.parse_client_event({"type": "session.input_audio.append", "audio": "AAAA"})
    echoed = live.parse_server_event({"type": "session.input_audio.append", "audio": "AAAA"})
    assert type(sent) is c.SessionInputAudioAppendEvent
    assert type(echoed) is s.ServerSessionInputAudioAppendEvent
