# ruff: noqa: E501  (the case tables read best one case a line)
"""`null` in client events: refused where the spec does not allow it, taken where it does, and
taken where a real client sends it (codegen/nulls.py). Server events stay lenient."""

from __future__ import annotations

import inspect
import json
from typing import Any

import pytest

from codegen import nulls, yamlio
from codegen.paths import EVENTS_SPEC
from realtime_sdk._generated import beta, ga
from realtime_sdk._generated._runtime import EventValidationError, UnknownServerEvent
from realtime_sdk._generated.ga import client_events as c
from realtime_sdk._generated.ga import server_events as s


def session(**fields: Any) -> dict[str, Any]:
    return {"type": "session.update", "session": {"type": "realtime", **fields}}


def refused(event: dict[str, Any]) -> EventValidationError:
    with pytest.raises(EventValidationError) as caught:
        ga.parse_client_event(json.dumps(event))
    return caught.value


def sent(event: dict[str, Any]) -> dict[str, Any]:
    """What the server takes from the event (the fields as given, nothing invented)."""
    parsed = ga.parse_client_event(json.dumps(event))
    dumped: dict[str, Any] = parsed.model_dump(mode="json", exclude_unset=True)
    return dumped


@pytest.mark.parametrize(
    ("event", "param", "expected"),
    [
        (session(audio=None), "session.audio", "an object"),
        (session(audio={"input": None}), "session.audio.input", "an object"),
        (session(audio={"output": None}), "session.audio.output", "an object"),
        (session(instructions=None), "session.instructions", "a string"),
        (session(tools=None), "session.tools", "an array"),
        (session(output_modalities=None), "session.output_modalities", "an array"),
        (session(tool_choice=None), "session.tool_choice", "one of a string or an object"),
        (session(max_output_tokens=None), "session.max_output_tokens", "one of an integer or a string"),
        (session(audio={"output": {"speed": None}}), "session.audio.output.speed", "a number"),
        (session(audio={"input": {"format": None}}), "session.audio.input.format", "an object"),
        (session(tracing={"workflow_name": "w"}, reasoning={"effort": None}), "session.reasoning.effort", "a string"),
        ({"type": "response.create", "response": None}, "response", "an object"),
        ({"type": "conversation.item.create", "item": {"type": "function_call_output", "call_id": None, "output": ""}}, "item.call_id", "a string"),
        ({"type": "conversation.item.create", "previous_item_id": None, "item": {"type": "function_call_output", "call_id": "c", "output": ""}}, "previous_item_id", "a string"),
        ({"type": "input_audio_buffer.clear", "event_id": None}, "event_id", "a string"),
    ],
)  # fmt: skip
def test_null_is_refused_where_the_spec_has_none(
    event: dict[str, Any], param: str, expected: str
) -> None:
    error = refused(event)
    assert (error.code, error.param) == ("invalid_type", param)
    assert (
        error.message == f"Invalid type for '{param}': expected {expected}, but got null instead."
    )


def test_null_is_taken_where_the_spec_allows_it() -> None:
    event = session(
        tracing=None,
        prompt=None,
        audio={
            "input": {
                "turn_detection": None,
                "noise_reduction": None,
                "transcription": None,
                "format": {"type": "audio/pcm"},
            }
        },
    )
    assert sent(event) == event
    vad = session(
        audio={"input": {"turn_detection": {"type": "server_vad", "idle_timeout_ms": None}}}
    )
    assert sent(vad) == vad
    prompt = {"type": "response.create", "response": {"metadata": None, "prompt": {"id": "p", "version": None, "variables": None}}}  # fmt: skip
    assert sent(prompt) == prompt


def test_a_field_left_out_still_reads_none_and_defaults_still_apply() -> None:
    parsed = ga.parse_client_event(session())
    assert isinstance(parsed, c.SessionUpdateEvent)
    assert isinstance(parsed.session, c.RealtimeSessionConfig)
    assert parsed.session.audio is None and parsed.session.instructions is None
    assert parsed.session.output_modalities == ["audio"]
    output = c.RealtimeSessionConfigAudioOutput()
    assert (output.speed, output.voice, output.format) == (1, "alloy", None)


def test_openai_agents_tracing_nulls_are_read_as_left_out() -> None:
    """openai-agents fills the tracing keys it was not given with None (see CLIENT_NULLS)."""
    agents = pytest.importorskip("agents.realtime.openai_realtime")
    tracing = agents._ConversionHelper.convert_tracing_config({"workflow_name": "wf"})
    update = agents.OpenAISessionUpdateEvent(
        type="session.update",
        session=agents.OpenAISessionCreateRequest(type="realtime", model="m", tracing=tracing),
    )
    raw = update.model_dump_json(exclude_unset=True)
    assert '"group_id":null' in raw  # what the client sends
    assert sent(json.loads(raw))["session"]["tracing"] == {"workflow_name": "wf"}


def test_openai_agents_session_config_parses() -> None:
    """The session.update openai-agents sends first (prompt with null version and variables,
    a function tool, semantic VAD), through our strict parser."""
    agents = pytest.importorskip("agents.realtime.openai_realtime")
    model = agents.OpenAIRealtimeWebSocketModel()
    config = model._get_session_config({"prompt": {"id": "pmpt_1"}, "instructions": "hi"})
    raw = agents.OpenAISessionUpdateEvent(type="session.update", session=config).model_dump_json(
        exclude_unset=True
    )
    assert '"version":null' in raw
    assert sent(json.loads(raw)) == json.loads(raw)


def test_agents_realtime_nulls_are_taken() -> None:
    """@openai/agents-realtime sends `noise_reduction: null` by default, `transcription: null`
    to turn transcription off, and re-sends history items with `transcript: null`."""
    update = session(audio={"input": {"noise_reduction": None, "transcription": None}})
    assert sent(update)["session"]["audio"]["input"] == {
        "noise_reduction": None,
        "transcription": None,
    }
    item = {
        "type": "conversation.item.create",
        "item": {
            "type": "message",
            "role": "user",
            "id": "item_1",
            "status": "completed",
            "content": [{"type": "input_audio", "transcript": None}, {"type": "input_text", "text": "hi"}],
        },
    }  # fmt: skip
    assert sent(item)["item"]["content"] == [
        {"type": "input_audio"},
        {"type": "input_text", "text": "hi"},
    ]


def test_server_events_stay_lenient_about_null() -> None:
    """What a client reads from a server keeps every null it came with."""
    event = {
        "type": "conversation.item.done",
        "event_id": "event_1",
        "previous_item_id": None,
        "item": {
            "id": "item_1",
            "object": "realtime.item",
            "type": "message",
            "status": "completed",
            "role": "user",
            "content": [{"type": "input_audio", "transcript": None, "audio": None}],
        },
    }
    parsed = ga.parse_server_event(event)
    assert isinstance(parsed, s.ConversationItemDoneEvent), getattr(parsed, "problem", None)
    assert parsed.model_dump(mode="json", exclude_unset=True) == event
    assert not isinstance(
        beta.parse_server_event({**event, "type": "conversation.item.created"}), UnknownServerEvent
    )


def test_client_stubs_take_no_none_for_a_field_that_refuses_null() -> None:
    signature = inspect.signature(ga.client_stub.ResponseResource.cancel)
    assert signature.parameters["response_id"].annotation == "str"


def test_every_client_null_names_a_field_of_the_spec() -> None:
    schemas = yamlio.load_path(EVENTS_SPEC)["components"]["schemas"]
    nulls.mark(schemas)  # raises for an entry the spec lacks
    bogus = {**nulls.CLIENT_NULLS, ("RealtimeSessionConfig", "audio.nothing"): nulls.KEPT}
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(nulls, "CLIENT_NULLS", bogus)
        with pytest.raises(ValueError, match=r"audio\.nothing"):
            nulls.mark(schemas)


# The spec's bounds are enforced; where upstream gives a range only in prose (turn detection
# `threshold`, beta `temperature`, `max_output_tokens`), the spec has none and neither do the
# models (the server checks `threshold` itself). test_refusal_sweep tries every bound the spec has.
@pytest.mark.parametrize(
    ("event", "param"),
    [
        (session(audio={"output": {"speed": 0.2}}), "session.audio.output.speed"),
        (session(audio={"output": {"speed": 1.6}}), "session.audio.output.speed"),
        (session(audio={"input": {"turn_detection": {"type": "server_vad", "idle_timeout_ms": 4999}}}), "session.audio.input.turn_detection.idle_timeout_ms"),
        (session(audio={"input": {"turn_detection": {"type": "server_vad", "idle_timeout_ms": 30001}}}), "session.audio.input.turn_detection.idle_timeout_ms"),
        (session(truncation={"type": "retention_ratio", "retention_ratio": 1.5}), "session.truncation.retention_ratio"),
        (session(truncation={"type": "retention_ratio", "retention_ratio": 0.5, "token_limits": {"post_instructions": -1}}), "session.truncation.token_limits.post_instructions"),
        ({"type": "input_audio_buffer.commit", "event_id": "e" * 513}, "event_id"),
    ],
)  # fmt: skip
def test_the_spec_s_bounds_are_enforced(event: dict[str, Any], param: str) -> None:
    error = refused(event)
    assert (error.code, error.param) == ("invalid_value", param), error.message


def test_ranges_upstream_gives_only_in_prose_are_not_in_the_spec() -> None:
    schemas = yamlio.load_path(EVENTS_SPEC)["components"]["schemas"]
    assert set(schemas["TurnDetectionServerVad"]["properties"]["threshold"]) == {"type"}
    assert set(schemas["BetaSessionConfig"]["properties"]["temperature"]) == {"type"}
    assert beta.parse_client_event(
        {"type": "session.update", "session": {"temperature": 9}}
    )  # fmt: skip
