"""RealtimeMessage: protocol data on FastRTC's additional-outputs channel; the Chatbot helper."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest
from helpers.need import need

from realtime_sdk.backends.base import (
    FunctionCall,
    RawServerEvent,
    TextDelta,
    TranscriptDelta,
    UserTranscript,
)
from realtime_sdk.backends.fastrtc.messages import (
    AdditionalOutputs,
    RealtimeMessage,
    chatbot_update,
    messages_in,
)

try:
    import fastrtc
except ImportError:
    fastrtc = None

RATE_LIMITS = {"type": "rate_limits.updated", "rate_limits": []}


@pytest.mark.parametrize(
    ("message", "data", "event"),
    [
        (
            RealtimeMessage.user_transcript("hi"),
            {"type": "user_transcript", "text": "hi"},
            UserTranscript("hi"),
        ),
        (
            RealtimeMessage.assistant_transcript_delta("he"),
            {"type": "assistant_transcript_delta", "text": "he"},
            TranscriptDelta("he"),
        ),
        (
            RealtimeMessage.text_delta("llo"),
            {"type": "text_delta", "text": "llo"},
            TextDelta("llo"),
        ),
        (
            RealtimeMessage.function_call("get_weather", '{"city": "Oslo"}', "call_1"),
            {
                "type": "function_call",
                "name": "get_weather",
                "arguments": '{"city": "Oslo"}',
                "call_id": "call_1",
            },
            FunctionCall("get_weather", '{"city": "Oslo"}', "call_1"),
        ),
        (
            RealtimeMessage.server_event(RATE_LIMITS),
            {"type": "server_event", "event": RATE_LIMITS},
            RawServerEvent(RATE_LIMITS),
        ),
    ],
    ids=lambda value: getattr(value, "kind", None),
)
def test_each_kind_carries_json_and_maps_to_its_turn_event(
    message: RealtimeMessage, data: dict[str, Any], event: Any
) -> None:
    assert message.args == (data,)  # FastRTC hands `args` to additional_outputs_handler
    assert json.loads(json.dumps(message.args[0])) == data
    assert RealtimeMessage(json.loads(message.to_json())) == message
    assert message.to_turn_event() == event
    assert isinstance(message, AdditionalOutputs)


def test_function_call_arguments_may_be_a_mapping() -> None:
    message = RealtimeMessage.function_call("f", {"x": 1})
    assert message.data["arguments"] == '{"x": 1}'
    assert message.to_turn_event() == FunctionCall("f", '{"x": 1}', None)


def test_bad_messages_are_refused_with_what_was_wrong() -> None:
    with pytest.raises(ValueError, match="unknown RealtimeMessage type 'shout'"):
        RealtimeMessage({"type": "shout"})
    with pytest.raises(ValueError, match="JSON-serializable"):
        RealtimeMessage.server_event({"type": "x", "audio": np.zeros(2)})
    with pytest.raises(ValueError, match="string 'type'"):
        RealtimeMessage.server_event({"event_id": "e"})
    with pytest.raises(TypeError, match="expected a str"):
        RealtimeMessage.text_delta(3)  # type: ignore[arg-type]


def test_messages_are_found_inside_plain_additional_outputs() -> None:
    hello = RealtimeMessage.text_delta("hello")
    assert messages_in(hello) == [hello]
    assert messages_in(AdditionalOutputs(hello, "not one", 3)) == [hello]
    assert messages_in(AdditionalOutputs("chatbot history")) == []
    assert messages_in(None) == []


def test_with_fastrtc_it_is_fastrtcs_additional_outputs() -> None:
    need(fastrtc is not None, "fastrtc is not installed (pip install 'realtime-sdk[fastrtc]')")
    from fastrtc.utils import split_output

    message = RealtimeMessage.user_transcript("hi")
    assert isinstance(message, fastrtc.AdditionalOutputs)
    assert split_output(message) == (None, message)
    frame = (24000, np.zeros((1, 480), dtype=np.int16))
    assert split_output((frame, message)) == (frame, message)


def test_chatbot_update_as_fastrtcs_additional_outputs_handler() -> None:
    """FastRTC calls ``handler(*current_values, *outputs.args)``: (history, data)."""
    history: list[dict[str, Any]] = []
    for message in [
        RealtimeMessage.user_transcript("what's the weather?"),
        RealtimeMessage.function_call("get_weather", '{"city": "Oslo"}'),
        RealtimeMessage.assistant_transcript_delta("It is "),
        RealtimeMessage.text_delta("sunny."),
        RealtimeMessage.server_event(RATE_LIMITS),
    ]:
        history = chatbot_update(history, *message.args)
    assert history == [
        {"role": "user", "content": "what's the weather?"},
        {
            "role": "assistant",
            "content": '{"city": "Oslo"}',
            "metadata": {"title": "Called get_weather"},
        },
        {"role": "assistant", "content": "It is sunny."},
    ]


def test_chatbot_update_takes_either_order_and_keeps_rows_in_the_given_list() -> None:
    history = [{"role": "assistant", "content": "Hi"}]
    message = RealtimeMessage.text_delta(" there")
    assert chatbot_update(message, history) is history
    assert chatbot_update(history, {"type": "text_delta", "text": "!"}) is history
    assert history == [{"role": "assistant", "content": "Hi there!"}]
    assert chatbot_update(None, RealtimeMessage.user_transcript("yo")) == [
        {"role": "user", "content": "yo"}
    ]
