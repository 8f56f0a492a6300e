"""Scenario tests of the sans-I/O session: exact event sequences, ids, errors.

Every event the session sends is also validated with openai-python's GA models,
as openai-agents does with every event it receives.
"""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from helpers.session_harness import Harness, pcm, user_text

from realtime_sdk.realtime.protocol.outputs import CancelResponse, StartResponse
from realtime_sdk.realtime.protocol.session import Capabilities


def test_session_created_carries_the_full_effective_session() -> None:
    h = Harness()
    [created] = h.events
    assert created["type"] == "session.created"
    assert created["event_id"].startswith("event_")
    session = created["session"]
    assert session["type"] == "realtime"
    assert session["object"] == "realtime.session"
    assert session["id"].startswith("sess_")
    assert session["output_modalities"] == ["audio"]
    assert session["audio"]["input"]["format"] == {"type": "audio/pcm", "rate": 24000}
    assert session["audio"]["input"]["turn_detection"] == {
        "type": "server_vad",
        "threshold": 0.5,
        "prefix_padding_ms": 300,
        "silence_duration_ms": 200,
        "idle_timeout_ms": None,
        "create_response": True,
        "interrupt_response": True,
    }
    assert session["audio"]["output"]["voice"] == "alloy"
    assert session["expires_at"] > 1_700_000_000


def test_session_update_is_partial_and_answers_with_the_full_session() -> None:
    h = Harness()
    [updated] = h.send(
        {
            "type": "session.update",
            "session": {"type": "realtime", "instructions": "Be brief.", "tracing": "auto",
                        "audio": {"output": {"voice": "verse"}}},
        }
    )  # fmt: skip
    session = updated["session"]
    assert updated["type"] == "session.updated"
    assert session["instructions"] == "Be brief."
    assert session["audio"]["output"] == {
        "format": {"type": "audio/pcm", "rate": 24000},
        "voice": "verse",
        "speed": 1.0,
    }
    assert session["audio"]["input"]["turn_detection"]["type"] == "server_vad"
    [again] = h.send(
        {"type": "session.update", "session": {"type": "realtime", "audio": {"input": {
            "turn_detection": {"type": "server_vad", "silence_duration_ms": 500}}}}}
    )  # fmt: skip
    detection = again["session"]["audio"]["input"]["turn_detection"]
    assert detection["silence_duration_ms"] == 500 and detection["threshold"] == 0.5
    assert again["session"]["instructions"] == "Be brief."


@pytest.mark.parametrize(
    ("session", "code", "param"),
    [
        ({"instructions": "x"}, "missing_required_parameter", "session.type"),
        ({"type": "transcription"}, "invalid_value", "session.type"),
        ({"type": "realtime", "bogus": 1}, "unknown_parameter", "session.bogus"),
    ],
)
def test_session_update_refusals(session: dict[str, Any], code: str, param: str) -> None:
    h = Harness()
    error = h.error({"type": "session.update", "event_id": "evt_9", "session": session})
    assert (error["code"], error["param"], error["event_id"]) == (code, param, "evt_9")
    assert h.send({"type": "input_audio_buffer.clear"})[0]["type"] == "input_audio_buffer.cleared"


def test_session_update_takes_the_client_s_model_name() -> None:
    h = Harness()
    [updated] = h.send({"type": "session.update", "session": {"type": "realtime", "model": "m-2"}})
    assert updated["session"]["model"] == "m-2"


def test_text_turn_in_a_text_session() -> None:
    h = Harness()
    h.send(
        {"type": "session.update", "session": {"type": "realtime", "output_modalities": ["text"]}}
    )
    added, done = h.send(user_text("hello"))
    assert (added["type"], done["type"]) == ("conversation.item.added", "conversation.item.done")
    assert added["previous_item_id"] is None
    user_id = added["item"]["id"]
    response_id = h.start_response()
    h.session.response(response_id).text("hel")
    h.session.response(response_id).text("lo")
    h.session.finish_response(response_id)
    out = h.drain()
    assert h.types(out) == [
        "response.output_item.added",
        "conversation.item.added",
        "response.content_part.added",
        "response.output_text.delta",
        "response.output_text.delta",
        "response.output_text.done",
        "response.content_part.done",
        "response.output_item.done",
        "conversation.item.done",
        "response.done",
    ]
    item_id = out[0]["item"]["id"]
    assert out[1]["previous_item_id"] == user_id
    assert out[2]["part"] == {"type": "text", "text": ""}
    assert {e.get("item_id", item_id) for e in out[2:8]} == {item_id}
    assert {e["response_id"] for e in out if "response_id" in e} == {response_id}
    assert out[5]["text"] == "hello"
    done_response = out[-1]["response"]
    assert done_response["status"] == "completed"
    assert done_response["status_details"] is None
    assert done_response["output"][0]["content"] == [{"type": "output_text", "text": "hello"}]
    assert done_response["usage"]["total_tokens"] > 0


def test_audio_response_interleaves_audio_and_transcript() -> None:
    h = Harness()
    response_id = h.start_response()
    h.session.response(response_id).audio(pcm(20))
    h.session.response(response_id).transcript("Hi")
    h.session.response(response_id).audio(pcm(20))
    h.session.finish_response(response_id)
    out = h.drain()
    assert h.types(out) == [
        "response.output_item.added",
        "conversation.item.added",
        "response.content_part.added",
        "response.output_audio.delta",
        "response.output_audio_transcript.delta",
        "response.output_audio.delta",
        "response.output_audio.done",
        "response.output_audio_transcript.done",
        "response.content_part.done",
        "response.output_item.done",
        "conversation.item.done",
        "response.done",
    ]
    assert out[2]["part"] == {"type": "audio", "transcript": ""}
    assert base64.b64decode(out[3]["delta"]) == pcm(20)
    assert out[7]["transcript"] == "Hi"
    assert out[-1]["response"]["output"][0]["content"][0] == {
        "type": "output_audio",
        "transcript": "Hi",
    }


def test_only_one_default_response_at_a_time() -> None:
    h = Harness()
    first = h.start_response()
    error = h.error({"type": "response.create", "event_id": "evt_2"})
    assert error["code"] == "conversation_already_has_active_response"
    assert error["event_id"] == "evt_2"
    assert first in error["message"]
    h.session.finish_response(first)
    h.drain()
    h.start_response()


def test_cancel_mid_stream_closes_everything_and_drops_late_results() -> None:
    h = Harness()
    response_id = h.start_response()
    h.session.response(response_id).audio(pcm(40))
    h.drain()
    out = h.send({"type": "response.cancel"})
    assert h.types(out) == [
        "response.output_audio.done",
        "response.output_audio_transcript.done",
        "response.content_part.done",
        "response.output_item.done",
        "conversation.item.done",
        "response.done",
    ]
    assert out[-1]["response"]["status"] == "cancelled"
    assert out[-1]["response"]["status_details"] == {
        "type": "cancelled",
        "reason": "client_cancelled",
    }
    assert out[3]["item"]["status"] == "incomplete"
    assert [w for w in h.work if isinstance(w, CancelResponse)] == [CancelResponse(response_id)]
    assert h.session.response(response_id) is None  # late results have nowhere to go
    h.session.finish_response(response_id)
    assert h.drain() == []
    error = h.error({"type": "response.cancel", "event_id": "evt_3"})
    assert (error["code"], error["event_id"]) == ("response_cancel_not_active", "evt_3")


def test_out_of_band_response_runs_beside_the_default_one() -> None:
    h = Harness()
    h.send(user_text("hi"))
    default = h.start_response()
    out_of_band = h.start_response(
        conversation="none",
        metadata={"topic": "classification"},
        output_modalities=["text"],
        input=[
            {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "x"}]}
        ],
    )
    assert out_of_band != default
    h.session.response(out_of_band).text("label")
    h.session.response(default).transcript("answer")
    h.session.finish_response(out_of_band)
    h.session.finish_response(default)
    out = h.drain()
    oob = [e for e in out if e.get("response_id") == out_of_band or
           e.get("response", {}).get("id") == out_of_band]  # fmt: skip
    assert "conversation.item.added" not in h.types(oob)
    oob_done = oob[-1]["response"]
    assert oob_done["metadata"] == {"topic": "classification"}
    assert oob_done["conversation_id"] is None
    default_done = [e for e in out if e["type"] == "response.done"][-1]["response"]
    assert default_done["id"] == default and default_done["conversation_id"].startswith("conv_")
    assert len(h.session.conversation) == 2  # the user item and the default answer only


def test_function_call_round_trip() -> None:
    h = Harness()
    h.send(user_text("weather?"))
    response_id = h.start_response()
    call_id = h.session.response(response_id).function_call("get_weather", '{"city":"Oslo"}')
    h.session.finish_response(response_id)
    out = h.drain()
    assert h.types(out) == [
        "response.output_item.added",
        "conversation.item.added",
        "response.function_call_arguments.delta",
        "response.function_call_arguments.done",
        "response.output_item.done",
        "conversation.item.done",
        "response.done",
    ]
    assert out[0]["item"]["arguments"] == "" and out[0]["item"]["call_id"] == call_id
    assert out[3]["name"] == "get_weather" and out[3]["arguments"] == '{"city":"Oslo"}'
    h.send(
        {
            "type": "conversation.item.create",
            "item": {"type": "function_call_output", "call_id": call_id, "output": '{"c":3}'},
        }
    )
    h.send({"type": "response.create"})
    start = h.work[-1]
    assert isinstance(start, StartResponse)
    assert [i["type"] for i in start.items] == ["message", "function_call", "function_call_output"]


def test_commit_needs_100_ms_and_does_not_start_a_response() -> None:
    h = Harness()
    h.send({"type": "input_audio_buffer.append", "audio": base64.b64encode(pcm(60)).decode()})
    error = h.error({"type": "input_audio_buffer.commit", "event_id": "evt_c"})
    assert (error["code"], error["event_id"]) == ("input_audio_buffer_commit_empty", "evt_c")
    h.send({"type": "input_audio_buffer.append", "audio": base64.b64encode(pcm(60)).decode()})
    out = h.send({"type": "input_audio_buffer.commit"})
    assert h.types(out) == [
        "input_audio_buffer.committed",
        "conversation.item.added",
        "conversation.item.done",
    ]
    assert out[0]["item_id"] == out[1]["item"]["id"] == out[2]["item"]["id"]
    assert out[1]["item"]["content"] == [{"type": "input_audio", "transcript": None}]
    assert not any(isinstance(w, StartResponse) for w in h.work)
    [retrieved] = h.send({"type": "conversation.item.retrieve", "item_id": out[0]["item_id"]})
    assert base64.b64decode(retrieved["item"]["content"][0]["audio"]) == pcm(120)


def test_clear_and_malformed_append() -> None:
    h = Harness()
    assert h.types(h.send({"type": "input_audio_buffer.clear"})) == ["input_audio_buffer.cleared"]
    error = h.error({"type": "input_audio_buffer.append", "audio": "not base64!"})
    assert (error["code"], error["param"]) == ("invalid_value", "audio")


def test_items_insert_retrieve_delete() -> None:
    h = Harness()
    first = h.send(user_text("one"))[0]["item"]["id"]
    added = h.send(user_text("zero") | {"previous_item_id": "root"})[0]
    assert added["previous_item_id"] is None
    middle = h.send(user_text("half") | {"previous_item_id": added["item"]["id"]})[0]
    assert middle["previous_item_id"] == added["item"]["id"]
    texts = [i["content"][0]["text"] for i in h.session.conversation.snapshot()]
    assert texts == ["zero", "half", "one"]
    error = h.error(user_text("x") | {"previous_item_id": "item_nope"})
    assert (error["code"], error["param"]) == ("invalid_value", "previous_item_id")
    [deleted] = h.send({"type": "conversation.item.delete", "item_id": first})
    assert deleted == {"type": "conversation.item.deleted", "event_id": deleted["event_id"],
                       "item_id": first}  # fmt: skip
    error = h.error({"type": "conversation.item.delete", "item_id": first})
    assert error["param"] == "item_id"
    error = h.error({"type": "conversation.item.retrieve", "item_id": "item_nope"})
    assert error["param"] == "item_id"


def test_truncate_assistant_audio() -> None:
    h = Harness()
    user = h.send(user_text("hi"))[0]["item"]["id"]
    response_id = h.start_response()
    h.session.response(response_id).audio(pcm(300))
    h.session.response(response_id).transcript("a long answer")
    h.session.finish_response(response_id)
    item_id = h.drain()[0]["item"]["id"]
    error = h.error({"type": "conversation.item.truncate", "item_id": item_id, "content_index": 0,
                     "audio_end_ms": 1000})  # fmt: skip
    assert error["message"] == "Audio content of 300ms is already shorter than 1000ms."
    [truncated] = h.send({"type": "conversation.item.truncate", "item_id": item_id,
                          "content_index": 0, "audio_end_ms": 120})  # fmt: skip
    assert truncated["audio_end_ms"] == 120
    stored = h.session.conversation.get(item_id)
    assert stored.audio_ms(0) == 120
    assert stored.data["content"][0]["transcript"] == ""
    [again] = h.send({"type": "conversation.item.truncate", "item_id": item_id,
                      "content_index": 0, "audio_end_ms": 0})  # fmt: skip
    assert again["type"] == "conversation.item.truncated"
    error = h.error({"type": "conversation.item.truncate", "item_id": user, "content_index": 0,
                     "audio_end_ms": 0})  # fmt: skip
    assert error["code"] == "unsupported_content_type"


def test_backend_failure_ends_the_response_failed_and_the_session_goes_on() -> None:
    h = Harness()
    response_id = h.start_response()
    h.session.response(response_id).transcript("par")
    h.session.finish_response(response_id, "model crashed")
    done = h.drain()[-1]["response"]
    assert done["status"] == "failed"
    assert done["status_details"]["error"]["message"] == "model crashed"
    h.start_response()


def test_bad_events_get_errors_and_the_session_goes_on() -> None:
    h = Harness()
    h.session.receive("{not json")
    h.session.receive(json.dumps({"type": "response.explode", "event_id": "evt_x"}))
    h.session.receive(json.dumps({"type": "conversation.item.create", "event_id": "evt_y"}))
    out = h.drain()
    assert [e["error"]["code"] for e in out] == [
        "invalid_json",
        "invalid_value",
        "missing_required_parameter",
    ]
    assert [e["error"]["event_id"] for e in out] == [None, "evt_x", "evt_y"]
    h.start_response()


def test_capabilities_refuse_what_the_backend_cannot_do() -> None:
    h = Harness(capabilities=Capabilities(function_calls=False, out_of_band=False))
    error = h.error({"type": "conversation.item.create", "item": {"type": "function_call_output",
                     "call_id": "c", "output": "{}"}})  # fmt: skip
    assert error["code"] == "unsupported_feature" and "function calls" in error["message"]
    error = h.error({"type": "response.create", "response": {"conversation": "none"}})
    assert error["code"] == "unsupported_feature"
    h.start_response()
