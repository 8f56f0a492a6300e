# ruff: noqa: E501  (the refusal table reads best one case a line)
"""The translation surface's parse entry points: strict for client events, lenient for server events.

A translation server reads client events strictly, as the Realtime one does: an unknown field,
a wrong type or a null the spec does not allow is refused with the parameter's path.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from realtime_sdk._generated import translation
from realtime_sdk._generated._runtime import EventValidationError, UnknownServerEvent, to_json
from realtime_sdk._generated.translation import client_events as c
from realtime_sdk._generated.translation import server_events as s
from realtime_sdk._generated.translation import server_stub


def refusal(event: Any) -> dict[str, Any]:
    with pytest.raises(EventValidationError) as info:
        translation.parse_client_event(event)
    return info.value.to_error()


def test_unknown_nested_field_is_refused_with_its_path_and_event_id() -> None:
    error = refusal(
        {
            "type": "session.update",
            "event_id": "evt_1",
            "session": {"audio": {"output": {"language": "es", "voice": "marin"}}},
        }
    )
    assert error == {
        "type": "invalid_request_error",
        "code": "unknown_parameter",
        "message": "Unknown parameter: 'session.audio.output.voice'.",
        "param": "session.audio.output.voice",
        "event_id": "evt_1",
    }


@pytest.mark.parametrize(
    ("event", "code", "param"),
    [
        ({"type": "session.input_audio_buffer.append", "audio": "AAAA", "x": 1}, "unknown_parameter", "x"),
        ({"type": "session.input_audio_buffer.append"}, "missing_required_parameter", "audio"),
        ({"type": "session.input_audio_buffer.append", "audio": 5}, "invalid_type", "audio"),
        ({"type": "session.input_audio_buffer.append", "audio": None}, "invalid_type", "audio"),
        ({"type": "session.update"}, "missing_required_parameter", "session"),
        ({"type": "session.update", "session": {"model": "gpt-realtime-translate"}}, "unknown_parameter", "session.model"),
        ({"type": "session.update", "session": {"type": "translation"}}, "unknown_parameter", "session.type"),
        ({"type": "session.update", "session": {"audio": {"output": {"language": 7}}}}, "invalid_type", "session.audio.output.language"),
        ({"type": "session.update", "session": {"audio": {"output": {"language": None}}}}, "invalid_type", "session.audio.output.language"),
        ({"type": "session.update", "session": {"audio": None}}, "invalid_type", "session.audio"),
        ({"type": "session.update", "session": {"audio": {"input": {"transcription": {}}}}}, "missing_required_parameter", "session.audio.input.transcription.model"),
        ({"type": "session.update", "session": {"audio": {"input": {"noise_reduction": {"type": "loud"}}}}}, "invalid_value", "session.audio.input.noise_reduction.type"),
        ({"type": "session.update", "session": {"audio": {"input": {"noise_reduction": {"type": "near_field", "strength": "max"}}}}}, "invalid_type", "session.audio.input.noise_reduction.strength"),
        ({"type": "session.close", "event_id": "e" * 513}, "invalid_value", "event_id"),
        ({"type": "session.close", "reason": "done"}, "unknown_parameter", "reason"),
        ({"type": "response.create"}, "invalid_value", "type"),
        ({"event_id": "e"}, "missing_required_parameter", "type"),
    ],
)  # fmt: skip
def test_strict_parse_names_the_parameter(event: dict[str, Any], code: str, param: str) -> None:
    error = refusal(event)
    assert (error["code"], error["param"]) == (code, param), error["message"]


def test_an_unknown_event_type_lists_the_translation_events() -> None:
    error = refusal({"type": "input_audio_buffer.append", "audio": "AAAA"})
    assert error["message"] == (
        "Invalid value: 'input_audio_buffer.append'. Supported values are: 'session.close',"
        " 'session.input_audio_buffer.append', 'session.update'."
    )


@pytest.mark.parametrize(
    "event",
    [
        {"type": "session.update", "session": {"audio": {"input": {"transcription": None, "noise_reduction": None}}}},
        {"type": "session.update", "session": {"audio": {"input": {"noise_reduction": {"type": "far_field", "strength": 0.5}}, "output": {"language": "fr"}}}},
        {"type": "session.update", "session": {}},
        {"type": "session.input_audio_buffer.append", "audio": "AAAA", "event_id": "e1"},
        {"type": "session.close"},
    ],
)  # fmt: skip
def test_strict_parse_takes_what_the_spec_allows(event: dict[str, Any]) -> None:
    parsed = translation.parse_client_event(json.dumps(event))
    assert isinstance(parsed, translation.CLIENT_EVENT_TYPES[event["type"]])
    assert json.loads(to_json(parsed)) == event


def test_lenient_parse_keeps_unknown_fields() -> None:
    event = translation.parse_server_event(
        {
            "type": "session.output_audio.delta",
            "event_id": "event_1",
            "delta": "AAAA",
            "elapsed_ms": 200,
            "speaker": "a",
            "session_clock": {"ms": 1},
        }
    )
    assert isinstance(event, s.SessionOutputAudioDeltaEvent)
    assert event.model_extra == {"speaker": "a", "session_clock": {"ms": 1}}
    assert json.loads(to_json(event))["session_clock"] == {"ms": 1}


def test_lenient_parse_keeps_unknown_fields_inside_the_session() -> None:
    event = translation.parse_server_event(
        {
            "type": "session.created",
            "event_id": "event_1",
            "session": {
                "id": "sess_1",
                "type": "translation",
                "model": "gpt-realtime-translate",
                "expires_at": 1,
                "audio": {"input": {"transcription": {"model": "m", "language": "en"}}},
                "latency": "low",
            },
        }
    )
    assert isinstance(event, s.SessionCreatedEvent)
    assert event.session.model_extra == {"latency": "low"}
    transcription = event.session.audio.input and event.session.audio.input.transcription
    assert transcription is not None and transcription.model_extra == {"language": "en"}


def test_lenient_parse_returns_an_unknown_event_whole() -> None:
    data = {"type": "session.input_transcript.done", "event_id": "event_2", "text": "hola"}
    event = translation.parse_server_event(data)
    assert isinstance(event, UnknownServerEvent)
    assert event.problem is None
    assert json.loads(to_json(event)) == data


def test_lenient_parse_returns_an_unreadable_known_event_with_its_problem() -> None:
    event = translation.parse_server_event({"type": "session.closed"})
    assert isinstance(event, UnknownServerEvent)
    assert event.problem is not None and "event_id" in event.problem


def test_server_stub_answers_what_it_does_not_implement_with_an_error() -> None:
    sent: list[Any] = []

    class Server(server_stub.ServerBase):
        def emit(self, event: Any) -> None:
            sent.append(event)

    Server().handle(c.SessionCloseEvent(type="session.close", event_id="evt_9"))
    assert [json.loads(to_json(e))["error"] for e in sent] == [
        {
            "type": "invalid_request_error",
            "code": "unsupported_event",
            "message": "This server does not support 'session.close' events.",
            "param": "type",
            "event_id": "evt_9",
        }
    ]
    assert server_stub.REPLIES["session.update"] == ("session.updated",)
    assert server_stub.REPLIES["session.close"] == ("session.closed",)
    assert set(server_stub.TRANSPORTS.values()) == {("websocket",)}
