"""The beta dialect at the edge: a GA Session behind a BetaTranslator, no sockets.

Every event a beta client would receive is checked against openai-python's beta
models (`openai.types.beta.realtime`) and our own generated beta server models.
"""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from helpers.need import need
from pydantic import TypeAdapter

from realtime_sdk._generated._runtime import UnknownServerEvent
from realtime_sdk._generated.beta import parse_server_event as parse_beta_server_event
from realtime_sdk._generated.dialects import GA_CHECKED
from realtime_sdk.realtime.protocol.beta import (
    BetaRefusal,
    BetaTranslator,
    session_to_beta,
    session_to_ga,
)
from realtime_sdk.realtime.protocol.capabilities import Capabilities
from realtime_sdk.realtime.protocol.ids import Ids
from realtime_sdk.realtime.protocol.outputs import Send, StartResponse
from realtime_sdk.realtime.protocol.session import Session

try:
    from openai.types.beta.realtime import RealtimeServerEvent as OpenAIBetaServerEvent
except ImportError:  # removed from openai-python in some future version
    OpenAIBetaServerEvent = None


def openai_beta_events() -> TypeAdapter[Any]:
    need(OpenAIBetaServerEvent is not None, "openai-python has no beta realtime types")
    return TypeAdapter(OpenAIBetaServerEvent)


def check_beta(event: dict[str, Any]) -> None:
    """A beta client's view of one event: openai-python's beta model and ours."""
    openai_beta_events().validate_python(event)
    ours = parse_beta_server_event(json.dumps(event))
    assert not isinstance(ours, UnknownServerEvent), (event["type"], ours.problem)


class BetaHarness:
    """A GA session with a beta client in front of it, like h11's paired connections."""

    def __init__(self, **kwargs: Any) -> None:
        self.session = Session(ids=Ids.counting(), now_s=1_700_000_000, **kwargs)
        self.edge = BetaTranslator()
        self.work: list[Any] = []
        self.events: list[dict[str, Any]] = []
        self.session.start()
        self.drain()

    def drain(self) -> list[dict[str, Any]]:
        new: list[dict[str, Any]] = []
        for out in self.session.take():
            if not isinstance(out, Send):
                self.work.append(out)
                continue
            beta = self.edge.server_to_beta(out.text())
            if beta is not None:
                event = json.loads(beta)
                check_beta(event)
                new.append(event)
        self.events += new
        return new

    def send(self, event: dict[str, Any]) -> list[dict[str, Any]]:
        try:
            ga = self.edge.client_to_ga(json.dumps(event))
        except BetaRefusal as refusal:
            error = refusal.event()
            check_beta(error)
            return [error]
        self.session.receive(ga)
        return self.drain()

    def error(self, event: dict[str, Any]) -> dict[str, Any]:
        [answer] = self.send(event)
        assert answer["type"] == "error", answer
        error: dict[str, Any] = answer["error"]
        return error


def types(events: list[dict[str, Any]]) -> list[str]:
    return [e["type"] for e in events]


def user_text(text: str) -> dict[str, Any]:
    return {
        "type": "conversation.item.create",
        "item": {"type": "message", "role": "user",
                 "content": [{"type": "input_text", "text": text}]},
    }  # fmt: skip


def test_session_created_is_the_flat_beta_session() -> None:
    h = BetaHarness()
    [created] = h.events
    session = created["session"]
    assert created["type"] == "session.created"
    assert "type" not in session and "audio" not in session and "output_modalities" not in session
    assert session["modalities"] == ["audio", "text"]
    assert session["input_audio_format"] == "pcm16"
    assert session["output_audio_format"] == "pcm16"
    assert session["voice"] == "alloy"
    assert session["turn_detection"]["type"] == "server_vad"
    assert session["max_response_output_tokens"] == "inf"
    assert session["temperature"] == 0.8  # the beta default, from the spec


def test_session_update_maps_every_flat_field_and_keeps_temperature_at_the_edge() -> None:
    h = BetaHarness()
    [updated] = h.send(
        {
            "type": "session.update",
            "session": {
                "modalities": ["text"],
                "voice": "verse",
                "input_audio_format": "g711_ulaw",
                "output_audio_format": "g711_alaw",
                "input_audio_transcription": {"model": "whisper-1"},
                "turn_detection": {"type": "server_vad", "threshold": 0.7,
                                   "silence_duration_ms": 500},
                "temperature": 0.6,
                "max_response_output_tokens": 200,
                "instructions": "Be brief.",
                "tools": [{"type": "function", "name": "add", "parameters": {"type": "object"}}],
            },
        }
    )  # fmt: skip
    assert updated["type"] == "session.updated"
    beta = updated["session"]
    assert beta["modalities"] == ["text"]
    assert beta["voice"] == "verse"
    assert (beta["input_audio_format"], beta["output_audio_format"]) == ("g711_ulaw", "g711_alaw")
    assert beta["input_audio_transcription"]["model"] == "whisper-1"
    assert beta["turn_detection"]["threshold"] == 0.7
    assert beta["temperature"] == 0.6
    assert beta["max_response_output_tokens"] == 200
    assert beta["tools"][0]["name"] == "add"
    # the core really holds them, in GA form
    ga = h.session.config
    assert ga["output_modalities"] == ["text"]
    assert ga["audio"]["input"]["format"]["type"] == "audio/pcmu"
    assert ga["audio"]["output"]["format"]["type"] == "audio/pcma"
    assert ga["audio"]["output"]["voice"] == "verse"
    assert ga["audio"]["input"]["turn_detection"]["silence_duration_ms"] == 500
    assert ga["max_output_tokens"] == 200
    assert "temperature" not in json.dumps(ga)


@pytest.mark.parametrize(
    ("session", "param"),
    [
        ({"type": "realtime"}, "session.type"),
        ({"output_modalities": ["text"]}, "session.output_modalities"),
        ({"audio": {"output": {"voice": "ash"}}}, "session.audio"),
        ({"max_output_tokens": 10}, "session.max_output_tokens"),
        ({"modalities": ["text"], "made_up": 1}, "session.made_up"),
    ],
)
def test_a_ga_field_on_a_beta_connection_is_an_unknown_parameter(
    session: dict[str, Any], param: str
) -> None:
    h = BetaHarness()
    before = json.dumps(h.session.config)
    error = h.error({"type": "session.update", "event_id": "evt_1", "session": session})
    assert error["type"] == "invalid_request_error"
    assert error["code"] == "unknown_parameter"
    assert error["param"] == param
    assert error["event_id"] == "evt_1"
    assert json.dumps(h.session.config) == before  # nothing of it reached the core


def test_a_beta_field_on_a_ga_session_is_an_unknown_parameter() -> None:
    """The reverse: the GA core's strict parser refuses the flat beta field."""
    session = Session(ids=Ids.counting())
    session.start()
    session.take()
    update = {"type": "session.update", "session": {"type": "realtime", "modalities": ["text"]}}
    session.receive(json.dumps(update))
    [out] = session.take()
    assert isinstance(out, Send)
    error = json.loads(out.text())["error"]
    assert (error["code"], error["param"]) == ("unknown_parameter", "session.modalities")


def test_values_outside_the_beta_tables_are_invalid() -> None:
    h = BetaHarness()
    error = h.error({"type": "session.update", "session": {"input_audio_format": "audio/pcm"}})
    assert (error["code"], error["param"]) == ("invalid_value", "session.input_audio_format")
    item = {"type": "message", "role": "assistant",
            "content": [{"type": "output_text", "text": "hi"}]}  # fmt: skip
    error = h.error({"type": "conversation.item.create", "item": item})
    assert (error["code"], error["param"]) == ("invalid_value", "item.content[0].type")


def test_core_errors_name_the_beta_field() -> None:
    h = BetaHarness()
    error = h.error(
        {"type": "session.update", "event_id": "evt_9",
         "session": {"turn_detection": {"type": "server_vad", "threshold": 3}}}
    )  # fmt: skip
    assert error["param"] == "session.turn_detection.threshold"
    assert error["event_id"] == "evt_9"
    assert "audio.input" not in error["message"]


@pytest.mark.parametrize(
    ("session", "param"),
    [
        ({"turn_detection": {"type": "server_vad", "colour": "red"}},
         "session.turn_detection.colour"),
        ({"tools": [{"type": "function", "name": "f", "meta": 1}]}, "session.tools[0].meta"),
        ({"input_audio_transcription": {"model": 5}}, "session.input_audio_transcription.model"),
    ],
)  # fmt: skip
def test_the_strict_core_refusals_of_nested_fields_name_beta_paths(
    session: dict[str, Any], param: str
) -> None:
    h = BetaHarness()
    error = h.error({"type": "session.update", "session": session})
    assert error["param"] == param
    assert "session.audio" not in error["message"]


def test_a_text_turn_uses_beta_names_and_content_types() -> None:
    h = BetaHarness()
    h.send({"type": "session.update", "session": {"modalities": ["text"]}})
    [created] = h.send(user_text("hello"))
    assert created["type"] == "conversation.item.created"  # added + done in GA
    assert created["item"]["content"] == [{"type": "input_text", "text": "hello"}]
    out = h.send({"type": "response.create"})
    assert types(out) == ["response.created"]
    assert out[0]["response"]["modalities"] == ["text"]
    start = h.work.pop()
    assert isinstance(start, StartResponse)
    h.session.response(start.response_id).text("hel")
    h.session.response(start.response_id).text("lo")
    h.session.finish_response(start.response_id)
    out = h.drain()
    assert types(out) == [
        "response.output_item.added",
        "conversation.item.created",
        "response.content_part.added",
        "response.text.delta",
        "response.text.delta",
        "response.text.done",
        "response.content_part.done",
        "response.output_item.done",
        "response.done",
    ]
    done = out[-1]["response"]
    assert done["status"] == "completed"
    assert done["output"][0]["content"] == [{"type": "text", "text": "hello"}]
    assert out[5]["text"] == "hello"
    # the item the beta client later sends back in its own words is accepted as GA
    echo = {"type": "message", "role": "assistant", "content": [{"type": "text", "text": "ok"}]}
    [again] = h.send({"type": "conversation.item.create", "item": echo})
    assert again["item"]["content"][0]["type"] == "text"
    stored = h.session.conversation.get(again["item"]["id"]).data
    assert stored["content"][0]["type"] == "output_text"


def test_an_audio_turn_uses_beta_audio_names() -> None:
    h = BetaHarness()
    h.send(user_text("hi"))
    h.send({"type": "response.create", "response": {"modalities": ["audio", "text"],
                                                    "temperature": 0.7}})  # fmt: skip
    start = h.work.pop()
    assert isinstance(start, StartResponse)
    assert start.config["output_modalities"] == ["audio"]
    h.session.response(start.response_id).transcript("hi")
    h.session.response(start.response_id).audio(b"\x01\x00" * 2400)
    h.session.finish_response(start.response_id)
    out = h.drain()
    names = types(out)
    assert "response.audio.delta" in names
    assert "response.audio_transcript.delta" in names
    assert names.index("response.audio.done") < names.index("response.audio_transcript.done")
    assert not [n for n in names if "output_audio" in n or "output_text" in n]
    [delta] = [e for e in out if e["type"] == "response.audio.delta"]
    assert base64.b64decode(delta["delta"]) == b"\x01\x00" * 2400
    content = out[-1]["response"]["output"][0]["content"][0]
    assert content["type"] == "audio" and content["transcript"] == "hi"
    assert out[-1]["response"]["output_audio_format"] == "pcm16"


def test_a_function_call_round_trip() -> None:
    h = BetaHarness()
    tool = {"type": "function", "name": "add", "parameters": {"type": "object"}}
    h.send({"type": "session.update", "session": {"tools": [tool], "modalities": ["text"]}})
    h.send(user_text("add 1 and 2"))
    h.send({"type": "response.create"})
    start = h.work.pop()
    h.session.response(start.response_id).function_call("add", '{"a":1,"b":2}', "call_1")
    h.session.finish_response(start.response_id)
    out = h.drain()
    assert "response.function_call_arguments.done" in types(out)
    [created] = h.send(
        {"type": "conversation.item.create",
         "item": {"type": "function_call_output", "call_id": "call_1", "output": "3"}}
    )  # fmt: skip
    assert created["type"] == "conversation.item.created"
    assert created["item"]["output"] == "3"


def test_cancel_ends_the_response_as_cancelled() -> None:
    h = BetaHarness()
    h.send(user_text("hi"))
    h.send({"type": "response.create"})
    start = h.work.pop()
    h.session.response(start.response_id).text("partial")
    h.drain()
    out = h.send({"type": "response.cancel"})
    assert out[-1]["type"] == "response.done"
    assert out[-1]["response"]["status"] == "cancelled"
    error = h.error({"type": "response.cancel"})
    assert error["code"] == "response_cancel_not_active"


def test_ga_only_server_events_are_not_sent_to_beta_clients() -> None:
    edge = BetaTranslator()
    done = {"type": "conversation.item.done", "event_id": "event_1", "item": {}}
    assert edge.server_to_beta(json.dumps(done)) is None
    started = {"type": "output_audio_buffer.started", "event_id": "event_2", "response_id": "r"}
    assert json.loads(edge.server_to_beta(json.dumps(started)) or "")["type"] == started["type"]


def test_text_that_is_not_an_event_goes_to_the_core_as_it_came() -> None:
    edge = BetaTranslator()
    assert edge.client_to_ga("not json") == "not json"
    unknown = json.dumps({"type": "made.up"})
    assert edge.client_to_ga(unknown) == unknown
    # an event the same in both dialects goes on byte for byte (no re-encoding of audio)
    append = json.dumps({"type": "input_audio_buffer.append", "audio": "AAAA"})
    assert edge.client_to_ga(append) is append


def test_whole_sessions_round_trip_for_the_http_routes() -> None:
    edge = BetaTranslator()
    beta = {"modalities": ["text"], "voice": "ash", "input_audio_format": "g711_alaw",
            "temperature": 1.1, "turn_detection": None}  # fmt: skip
    ga = session_to_ga(beta, edge)
    audio_in = {"format": {"type": "audio/pcma"}, "turn_detection": None}
    assert ga == {"type": "realtime", "output_modalities": ["text"],
                  "audio": {"output": {"voice": "ash"}, "input": audio_in}}  # fmt: skip
    full = Session(config={k: v for k, v in ga.items() if k != "type"}).config
    back = session_to_beta(full, edge)
    assert {k: back[k] for k in beta} == beta


# -- beta events validated with the beta models before translation -----------------------


@pytest.mark.parametrize(
    ("event", "code", "param"),
    [
        # kept at the edge: no GA field, so the core never saw it
        ({"type": "session.update", "session": {"temperature": {"fuzz": 1}}},
         "invalid_type", "session.temperature"),
        ({"type": "response.create", "response": {"temperature": "hot"}},
         "invalid_type", "response.temperature"),
        # translated by value tables, which only saw the value, not what was wrong in it
        ({"type": "session.update", "session": {"modalities": ["text", "fuzz"]}},
         "invalid_value", "session.modalities[1]"),
        ({"type": "response.create", "response": {"modalities": ["fuzz_not_in_enum"]}},
         "invalid_value", "response.modalities[0]"),
        ({"type": "session.update", "session": {"output_audio_format": {"type": "audio/pcm"}}},
         "invalid_type", "session.output_audio_format"),
        ({"type": "session.update", "session": {"tool_choice": {"fuzz": 1}}},
         "invalid_type", "session.tool_choice"),
        ({"type": "response.create", "response": {"max_output_tokens": False}},
         "invalid_type", "response.max_output_tokens"),
        ({"type": "response.create", "response": {"max_response_output_tokens": "lots"}},
         "invalid_value", "response.max_response_output_tokens"),
        ({"type": "conversation.item.create",
          "item": {"type": "message", "role": "user",
                   "content": [{"type": "input_text", "text": "hi", "fuzz": 1}]}},
         "unknown_parameter", "item.content[0].fuzz"),
        ({"type": "session.update", "session": {"turn_detection": {"type": "semantic_vad",
                                                                   "threshold": 0.5}}},
         "unknown_parameter", "session.turn_detection.threshold"),
    ],
)  # fmt: skip
def test_beta_events_are_refused_by_the_beta_models_with_beta_names(
    event: dict[str, Any], code: str, param: str
) -> None:
    h = BetaHarness()
    before = json.dumps(h.session.config)
    error = h.error({**event, "event_id": "evt_b"})
    assert (error["code"], error["param"], error["event_id"]) == (code, param, "evt_b")
    assert f"'{param}'" in error["message"]
    assert json.dumps(h.session.config) == before
    assert h.edge.edge["session"] == {} and h.edge.edge["response_params"] == {}


def test_what_beta_clients_send_passes_the_beta_models() -> None:
    """openai-python's beta types: nested settings and nulls the upstream copy had lost
    (for a back-end whose recogniser takes a language and a prompt)."""
    hears = Capabilities(transcription_languages=frozenset({"en"}), transcription_prompts=True)
    h = BetaHarness(capabilities=hears)
    [updated] = h.send(
        {"type": "session.update",
         "session": {"model": "gpt-4o-realtime-preview",
                     "input_audio_transcription": {"model": "whisper-1", "language": "en",
                                                   "prompt": "names"},
                     "input_audio_noise_reduction": {"type": "near_field"},
                     "turn_detection": {"type": "semantic_vad", "eagerness": "low",
                                        "create_response": False, "interrupt_response": False}}}
    )  # fmt: skip
    assert updated["type"] == "session.updated", updated
    ga = h.session.config["audio"]["input"]
    assert ga["transcription"]["language"] == "en"
    assert ga["noise_reduction"] == {"type": "near_field"}
    assert ga["turn_detection"]["eagerness"] == "low"
    off = {"turn_detection": None, "input_audio_transcription": None,
           "input_audio_noise_reduction": None}  # fmt: skip
    [updated] = h.send({"type": "session.update", "session": off})
    assert updated["type"] == "session.updated", updated
    assert h.session.config["audio"]["input"]["turn_detection"] is None


def test_events_the_ga_core_checks_as_strictly_skip_the_beta_models() -> None:
    """An append a session sends every 20 ms goes on as it came (no second validation): its
    GA schema refuses whatever the beta one would, so the core's refusal is the same."""
    assert "input_audio_buffer.append" in GA_CHECKED
    assert not {"session.update", "response.create", "conversation.item.create"} & GA_CHECKED
    h = BetaHarness()
    error = h.error({"type": "input_audio_buffer.append", "event_id": "evt_a", "audio": 5})
    assert (error["code"], error["param"], error["event_id"]) == ("invalid_type", "audio", "evt_a")


# -- an error about a field two beta names map to ------------------------------------------


@pytest.mark.parametrize("name", ["max_output_tokens", "max_response_output_tokens"])
@pytest.mark.parametrize("event_id", ["evt_r", None])
def test_a_core_error_names_the_beta_field_the_client_sent(name: str, event_id: str | None) -> None:
    edge = BetaTranslator()
    event: dict[str, Any] = {"type": "response.create", "response": {name: 5}}
    if event_id:
        event["event_id"] = event_id
    ga = json.loads(edge.client_to_ga(json.dumps(event)))
    assert ga["response"] == {"max_output_tokens": 5}
    param = "response.max_output_tokens"
    error = {"type": "error", "event_id": "event_1",
             "error": {"type": "invalid_request_error", "code": "invalid_value",
                       "message": f"Invalid value for '{param}': 5.", "param": param,
                       "event_id": event_id}}  # fmt: skip
    beta = json.loads(edge.server_to_beta(json.dumps(error)) or "")["error"]
    assert beta["param"] == f"response.{name}"
    assert beta["message"] == f"Invalid value for 'response.{name}': 5."
    # the session's field has one beta name
    edge.client_to_ga(json.dumps({"type": "session.update", "event_id": "evt_s",
                                  "session": {"max_response_output_tokens": 5}}))  # fmt: skip
    error["error"] = {**error["error"], "param": "session.max_output_tokens", "event_id": "evt_s"}
    beta = json.loads(edge.server_to_beta(json.dumps(error)) or "")["error"]
    assert beta["param"] == "session.max_response_output_tokens"


# -- what the beta service took that GA has no place for ----------------------------------


def test_a_turn_detection_without_type_is_server_vad() -> None:
    h = BetaHarness()
    [updated] = h.send(
        {"type": "session.update", "session": {"turn_detection": {"threshold": 0.6}}}
    )
    assert updated["type"] == "session.updated", updated
    assert updated["session"]["turn_detection"]["type"] == "server_vad"
    assert updated["session"]["turn_detection"]["threshold"] == 0.6
    turn = h.session.config["audio"]["input"]["turn_detection"]
    assert (turn["type"], turn["threshold"]) == ("server_vad", 0.6)
    # the legacy HTTP route maps sessions the same way
    assert session_to_ga({"turn_detection": {}})["audio"]["input"]["turn_detection"] == {
        "type": "server_vad"
    }


def test_part_ids_and_a_system_part_s_audio_and_transcript_are_ignored() -> None:
    h = BetaHarness()
    system = {"type": "message", "role": "system",
              "content": [{"type": "input_text", "text": "Be brief.", "id": "part_1",
                           "audio": "AAAA", "transcript": "be brief"}]}  # fmt: skip
    [created] = h.send({"type": "conversation.item.create", "item": system})
    assert created["type"] == "conversation.item.created", created
    assert created["item"]["content"] == [{"type": "input_text", "text": "Be brief."}]
    user = {"type": "message", "role": "user",
            "content": [{"type": "input_audio", "audio": "AAAAAA==", "transcript": "hi",
                         "id": "part_2"}]}  # fmt: skip
    [created] = h.send({"type": "conversation.item.create", "item": user})
    assert created["type"] == "conversation.item.created", created
    assert created["item"]["content"][0]["transcript"] == "hi"  # a user audio part keeps it
    assert "id" not in created["item"]["content"][0]
    out = h.send({"type": "response.create", "response": {"conversation": "none",
                                                          "input": [system, user]}})  # fmt: skip
    assert types(out) == ["response.created"], out
