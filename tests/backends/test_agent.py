"""OfflineAgent behind the real session and driver (in-memory channel, local VAD model):
input transcription, template and LLM replies, tool calls, modalities, voice, speed and
barge-in. pocketsphinx and espeak-ng are real; the LLM is a real local HTTP server
speaking the chat-completions streaming protocol (tests/helpers/chat_server.py).
"""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import Awaitable, Callable
from typing import Any

import numpy as np
import pytest
from helpers.audio_signals import pitch_hz
from helpers.chat_server import Call, ChatServer, wait_for
from helpers.memory_session import EventClient, drive
from helpers.need import need
from helpers.paths import AUDIO_FIXTURES

from realtime_sdk.audio import read_wav, resample
from realtime_sdk.backends.agent import GREETING, OfflineAgent, template_reply, tool_reply
from realtime_sdk.vad import SileroSpeechModel

FIXTURES = AUDIO_FIXTURES
RATE = 24000
FRAME = RATE // 50


@pytest.fixture(scope="module", autouse=True)
def agent_extra() -> None:
    for module in ("pocketsphinx", "espeakng_loader"):
        try:
            __import__(module)
        except ImportError:
            need(False, f"{module} is not installed (pip install 'realtime-sdk[agent]')")


def speech(name: str, tail_s: float = 1.0) -> np.ndarray:
    rate, samples = read_wav(FIXTURES / name)
    voice = resample(samples, rate, RATE)
    return np.concatenate([voice, np.zeros(int(RATE * tail_s), dtype=np.int16)])


def rms(x: np.ndarray) -> float:
    return float(np.sqrt(np.mean(x.astype(np.float64) ** 2))) if len(x) else 0.0


def voiced_seconds(x: np.ndarray, rate: int = RATE) -> float:
    """Time in 20 ms frames louder than -40 dBFS."""
    size = rate // 50
    frames = x[: len(x) // size * size].astype(np.float64).reshape(-1, size)
    return float((np.sqrt((frames**2).mean(1)) > 328).sum() * 0.02)


# -- a client of the real session and driver -----------------------------------------------


class Client(EventClient):
    timeout = 30.0
    errors_fail = True


Script = Callable[[Client], Awaitable[None]]


def run(script: Script, agent: Callable[[], OfflineAgent] = OfflineAgent) -> None:
    async def main() -> None:
        await drive(agent(), script, Client, speech_model=SileroSpeechModel())

    asyncio.run(asyncio.wait_for(main(), 120))


def of(events: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [e for e in events if e["type"] == kind]


def audio_of(events: list[dict[str, Any]]) -> np.ndarray:
    data = b"".join(base64.b64decode(e["delta"]) for e in of(events, "response.output_audio.delta"))
    return np.frombuffer(data, dtype="<i2")


def done_response(events: list[dict[str, Any]]) -> dict[str, Any]:
    response: dict[str, Any] = of(events, "response.done")[-1]["response"]
    return response


TRANSCRIBE = {"audio": {"input": {"transcription": {"model": "whisper-1"}}}}


# -- without an LLM ------------------------------------------------------------------------


def test_template_replies() -> None:
    assert template_reply("hello world") == 'You said: "hello world". That was 2 words.'
    assert template_reply("  ") == "Sorry, I did not catch that."
    assert template_reply("Why?") == 'You said: "Why?" That was 1 word.'
    long = " ".join(f"w{i}" for i in range(40))
    assert template_reply(long).endswith('w29 ..." That was 40 words.')
    assert tool_reply("get_time", " 12:00 ") == "The get_time tool returned: 12:00"
    assert tool_reply(None, "") == "The function tool returned: nothing"


def test_speech_turn_is_transcribed_and_answered_in_speech() -> None:
    got: list[dict[str, Any]] = []

    async def script(client: Client) -> None:
        await client.update(**TRANSCRIBE)
        await client.stream(speech("hello_world_16k.wav"))
        got.extend(await client.until("response.done"))
        if not of(client.seen, "conversation.item.input_audio_transcription.completed"):
            got.extend(await client.until("conversation.item.input_audio_transcription.completed"))

    run(script)
    kinds = [e["type"] for e in got]
    assert kinds.index("input_audio_buffer.speech_started") < kinds.index("response.created")
    completed = of(got, "conversation.item.input_audio_transcription.completed")[0]
    deltas = of(got, "conversation.item.input_audio_transcription.delta")
    assert "".join(d["delta"] for d in deltas) == completed["transcript"]
    heard = completed["transcript"].lower()
    assert "hello" in heard and "world" in heard, heard
    response = done_response(got)
    assert response["status"] == "completed"
    said = of(got, "response.output_audio_transcript.done")[0]["transcript"]
    assert said == template_reply(completed["transcript"])
    assert "".join(d["delta"] for d in of(got, "response.output_audio_transcript.delta")) == said
    audio = audio_of(got)
    voiced = voiced_seconds(audio)
    print(f"reply: {len(audio) / RATE:.2f} s, rms {rms(audio):.0f}, voiced {voiced:.2f} s")
    assert rms(audio) > 500 and voiced > 1.0


def test_no_transcription_events_unless_asked_but_the_reply_still_quotes_the_words() -> None:
    got: list[dict[str, Any]] = []

    async def script(client: Client) -> None:
        await client.stream(speech("fastrtc-how-are-you-24k.wav"))
        got.extend(await client.until("response.done"))
        await asyncio.sleep(0.5)  # room for a transcription event that must not come
        await client.say("thanks")
        got.extend(await client.until("response.done"))

    run(script)
    assert not [
        e for e in got if e["type"].startswith("conversation.item.input_audio_transcription")
    ]
    first = of(got, "response.output_audio_transcript.done")[0]["transcript"]
    assert "how are you" in first.lower(), first


def test_text_only_output_and_greeting() -> None:
    got: list[dict[str, Any]] = []

    async def script(client: Client) -> None:
        await client.update(output_modalities=["text"])
        await client.send({"type": "response.create"})
        got.extend(await client.until("response.done"))
        await client.say("Good morning to you")
        got.extend(await client.until("response.done"))

    run(script)
    texts = [e["text"] for e in of(got, "response.output_text.done")]
    assert texts == [GREETING, template_reply("Good morning to you")]
    assert not [e for e in got if "audio" in e["type"]]
    for response in of(got, "response.done"):
        assert response["response"]["output_modalities"] == ["text"]


def test_voice_and_speed_change_the_audio() -> None:
    text = "The quick brown fox jumps over the lazy dog."
    audio: dict[tuple[str, float], np.ndarray] = {}

    async def script(client: Client) -> None:
        for voice, speed in [("cedar", 1.0), ("shimmer", 1.0), ("cedar", 0.5), ("cedar", 1.5)]:
            await client.update(audio={"output": {"voice": voice, "speed": speed}})
            await client.say(text)
            events = await client.until("response.done")
            assert done_response(events)["status"] == "completed"
            audio[voice, speed] = audio_of(events)

    run(script)
    lengths = {key: round(len(x) / RATE, 2) for key, x in audio.items()}
    pitches = {key: round(pitch_hz(x, RATE)) for key, x in audio.items()}
    print("seconds", lengths, "pitch Hz", pitches)
    normal = lengths["cedar", 1.0]
    assert lengths["cedar", 0.5] > 1.6 * normal
    assert lengths["cedar", 1.5] < 0.8 * normal
    assert pitches["shimmer", 1.0] > 1.4 * pitches["cedar", 1.0]  # female vs deep male


def test_function_output_is_read_back_without_an_llm() -> None:
    got: list[dict[str, Any]] = []

    async def script(client: Client) -> None:
        await client.update(output_modalities=["text"])
        call = {"type": "function_call", "call_id": "c9", "name": "get_time", "arguments": "{}"}
        await client.send({"type": "conversation.item.create", "item": call})
        output = {"type": "function_call_output", "call_id": "c9", "output": "noon"}
        await client.send({"type": "conversation.item.create", "item": output})
        await client.send({"type": "response.create"})
        got.extend(await client.until("response.done"))

    run(script)
    assert of(got, "response.output_text.done")[0]["text"] == tool_reply("get_time", "noon")


# -- with an LLM ------------------------------------------------------------------------------

WEATHER_TOOL = {
    "type": "function",
    "name": "get_weather",
    "description": "The weather in a city.",
    "parameters": {
        "type": "object",
        "properties": {"city": {"type": "string"}},
        "required": ["city"],
    },
}


def reset(chat: ChatServer) -> None:
    for recorded in (chat.replies, chat.requests, chat.headers, chat.finished, chat.abandoned):
        recorded.clear()
    chat.status = 200


def test_llm_tool_call_round_trip(chat: ChatServer) -> None:
    reset(chat)
    chat.replies.append(["Let me look that up.", Call("get_weather", '{"city": "Oslo"}', "call_1")])
    chat.replies.append(["It is ", "sunny in Oslo, ", "21 degrees."])
    got: list[dict[str, Any]] = []

    async def script(client: Client) -> None:
        await client.update(
            instructions="You are a weather bot.", tools=[WEATHER_TOOL], tool_choice="auto"
        )
        await client.say("What is the weather in Oslo?")
        first = await client.until("response.done")
        got.extend(first)
        call = next(
            item for item in done_response(first)["output"] if item["type"] == "function_call"
        )
        output = {"type": "function_call_output", "call_id": call["call_id"], "output": "21 C sun"}
        await client.send({"type": "conversation.item.create", "item": output})
        await client.send({"type": "response.create"})
        got.extend(await client.until("response.done"))

    run(script, lambda: OfflineAgent(llm_base_url=chat.url, llm_model="m", llm_api_key="sk-llm"))
    first, second = of(got, "response.done")
    outputs = first["response"]["output"]
    assert [item["type"] for item in outputs] == ["message", "function_call"], outputs
    assert outputs[0]["content"][0]["transcript"] == "Let me look that up."
    call = outputs[1]
    assert (call["name"], call["arguments"], call["call_id"]) == (
        "get_weather",
        '{"city": "Oslo"}',
        "call_1",
    )
    args_done = of(got, "response.function_call_arguments.done")[0]
    assert args_done["arguments"] == '{"city": "Oslo"}' and args_done["call_id"] == "call_1"
    said = second["response"]["output"][0]["content"][0]["transcript"]
    assert said == "It is sunny in Oslo, 21 degrees."
    assert len(audio_of(got)) > RATE  # both replies were spoken

    asked, answered = chat.requests
    assert chat.headers[0]["authorization"] == "Bearer sk-llm"
    assert asked["model"] == "m" and asked["stream"] is True
    assert asked["messages"] == [
        {"role": "system", "content": "You are a weather bot."},
        {"role": "user", "content": "What is the weather in Oslo?"},
    ]
    assert asked["tools"] == [
        {
            "type": "function",
            "function": {
                "name": "get_weather",
                "description": WEATHER_TOOL["description"],
                "parameters": WEATHER_TOOL["parameters"],
            },
        }
    ]
    assert asked["tool_choice"] == "auto"
    assert answered["messages"][2:] == [
        {
            "role": "assistant",
            "content": "Let me look that up.",
            "tool_calls": [
                {
                    "id": "call_1",
                    "type": "function",
                    "function": {"name": "get_weather", "arguments": '{"city": "Oslo"}'},
                }
            ],
        },
        {"role": "tool", "tool_call_id": "call_1", "content": "21 C sun"},
    ]


def test_llm_text_streams_as_it_comes_in_a_text_response(chat: ChatServer) -> None:
    reset(chat)
    chat.replies.append(["One", " two", " three."])
    got: list[dict[str, Any]] = []

    async def script(client: Client) -> None:
        await client.update(output_modalities=["text"])
        await client.say("count")
        got.extend(await client.until("response.done"))

    run(script, lambda: OfflineAgent(llm_base_url=chat.url))
    assert [e["delta"] for e in of(got, "response.output_text.delta")] == ["One", " two", " three."]
    assert chat.requests[0]["model"] == chat.model  # the listed one, none being given


def test_barge_in_stops_the_reply_and_the_llm(chat: ChatServer) -> None:
    """The user talks over a reply still streaming: the response ends cancelled
    (turn_detected), no more of its audio comes, and the LLM's request is abandoned."""
    reset(chat)
    chat.replies.append(["First phrase, ", *[0.1, "and more, "] * 200])
    chat.replies.append(["Yes?"])
    got: list[dict[str, Any]] = []

    async def script(client: Client) -> None:
        await client.say("talk for a long time")
        got.extend(await client.until("response.output_audio.delta"))
        await client.stream(speech("hello_world_16k.wav"))
        got.extend(await client.until("response.done"))
        got.extend(await client.until("response.done"))  # the answer to the interruption

    run(script, lambda: OfflineAgent(llm_base_url=chat.url, llm_model="m"))
    cut, answer = of(got, "response.done")
    assert cut["response"]["status"] == "cancelled"
    assert cut["response"]["status_details"]["reason"] == "turn_detected"
    cut_id = cut["response"]["id"]
    after = got[got.index(cut) :]
    assert not [e for e in after if e.get("response_id") == cut_id and "delta" in e]
    assert answer["response"]["status"] == "completed"
    assert wait_for(lambda: chat.abandoned[:1] == [True], 10), chat.abandoned
    # the next request has the interrupted reply as far as it got, then what was heard
    said, heard = chat.requests[1]["messages"][-2:]
    assert said["role"] == "assistant" and said["content"].startswith("First phrase,"), said
    assert heard["role"] == "user" and "hello" in heard["content"], heard


def test_llm_failure_fails_the_response_and_the_session_goes_on(chat: ChatServer) -> None:
    reset(chat)
    chat.status = 500
    got: list[dict[str, Any]] = []

    async def script(client: Client) -> None:
        await client.update(output_modalities=["text"])
        await client.say("hello")
        got.extend(await client.until("response.done"))
        chat.status = 200
        chat.replies.append(["Back again."])
        await client.say("hello again")
        got.extend(await client.until("response.done"))

    run(script, lambda: OfflineAgent(llm_base_url=chat.url, llm_model="m"))
    failed, ok = of(got, "response.done")
    assert failed["response"]["status"] == "failed"
    assert "500" in json.dumps(failed["response"]["status_details"])
    assert ok["response"]["status"] == "completed"
    assert of(got, "response.output_text.done")[-1]["text"] == "Back again."
