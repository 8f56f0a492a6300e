"""`chatbot_update` with the real Gradio and FastRTC classes (the fastrtc extra).

A `gr.Chatbot(type="messages")` postprocesses the rows the helper makes, and a real
`fastrtc.Stream` built with the helper as its `additional_outputs_handler` turns a
connection's RealtimeMessages into Chatbot values through the very function FastRTC
registers with Gradio (called the way Gradio calls it: the Chatbot's value read once).
"""

from __future__ import annotations

import asyncio
from typing import Any

import numpy as np
import pytest
from helpers.need import need

from realtime_sdk.backends.fastrtc import RealtimeMessage, chatbot_update

try:
    import fastrtc
    import gradio as gr
    from gradio.components.chatbot import ChatbotDataMessages
except ImportError:
    fastrtc = gr = ChatbotDataMessages = None

CONVERSATION = [
    RealtimeMessage.user_transcript("What's the weather in Oslo?"),
    RealtimeMessage.assistant_transcript_delta("Let me "),
    RealtimeMessage.assistant_transcript_delta("check."),
    RealtimeMessage.function_call("get_weather", {"city": "Oslo"}, "call_1"),
    RealtimeMessage.text_delta("Sunny, "),
    RealtimeMessage.text_delta("21 degrees."),
    RealtimeMessage.server_event({"type": "rate_limits.updated", "rate_limits": []}),
]
EXPECTED = [
    ("user", "What's the weather in Oslo?", None),
    ("assistant", "Let me check.", None),
    ("assistant", '{"city": "Oslo"}', "Called get_weather"),
    ("assistant", "Sunny, 21 degrees.", None),
]


@pytest.fixture(autouse=True)
def extra() -> None:
    need(
        fastrtc is not None,
        "fastrtc/gradio are not installed (pip install 'realtime-sdk[fastrtc]')",
    )


def shown(value: Any) -> list[tuple[str, Any, Any]]:
    """What the Chatbot sends to the browser, as (role, content, metadata title)."""
    return [(m.role, m.content, (m.metadata or {}).get("title")) for m in value.root]


def test_a_messages_chatbot_postprocesses_the_rows() -> None:
    chatbot = gr.Chatbot(type="messages")
    history: list[dict[str, Any]] = []
    for message in CONVERSATION:
        history = chatbot_update(history, *message.args)
    assert shown(chatbot.postprocess(history)) == EXPECTED
    # the browser's value comes back in as rows the helper goes on from
    back = chatbot.preprocess(chatbot.postprocess(history))
    back = chatbot_update(back, RealtimeMessage.text_delta(" Dry."))
    assert shown(chatbot.postprocess(back))[-1] == ("assistant", "Sunny, 21 degrees. Dry.", None)


def echo(audio: tuple[int, np.ndarray]) -> Any:
    yield audio


def test_as_a_fastrtc_streams_additional_outputs_handler() -> None:
    from realtime_sdk.backends.fastrtc import LocalPauseDetectionModel

    chatbot = gr.Chatbot(type="messages")
    stream = fastrtc.Stream(
        handler=fastrtc.ReplyOnPause(echo, model=LocalPauseDetectionModel()),
        modality="audio",
        mode="send-receive",
        additional_outputs=[chatbot],
        additional_outputs_handler=chatbot_update,
    )
    # the event FastRTC registers: the WebRTC component and the Chatbot in, the Chatbot out
    (event,) = [f for f in stream.ui.fns.values() if chatbot in f.outputs]
    assert [type(block).__name__ for block in event.inputs] == ["WebRTC", "Chatbot"]

    async def connection(webrtc_id: str, said: list[RealtimeMessage]) -> list[Any]:
        push = stream.webrtc_component.set_additional_outputs(webrtc_id)
        for message in said:
            push(message)  # what FastRTC does with a handler's AdditionalOutputs
        history = chatbot.preprocess(ChatbotDataMessages(root=[]))  # read once, at the start
        updates = event.fn(webrtc_id, history)
        try:
            return [chatbot.postprocess(await anext(updates)) for _ in said]
        finally:
            await updates.aclose()

    async def main() -> tuple[list[Any], list[Any]]:
        one = await asyncio.wait_for(connection("peer-1", CONVERSATION), 10)
        two = await asyncio.wait_for(connection("peer-2", CONVERSATION[:1]), 10)
        return one, two

    one, two = asyncio.run(main())
    assert shown(one[-1]) == EXPECTED
    assert shown(one[2]) == EXPECTED[:2]  # the deltas added up as they came
    assert shown(two[-1]) == EXPECTED[:1]  # another connection, its own rows
