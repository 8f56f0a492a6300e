"""openai-python 3.63's Live client (`client.live.connect()`), unmodified, against a real
server (uvicorn on 127.0.0.1): echo taking its turns behind the server's VAD, and the
offline agent for transcripts both ways. Started, speech in -> audio and transcripts
out, mute, close -> closed, and no `error` anywhere."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
import pytest
from helpers.chat_server import Call, ChatServer, start_chat_server, stop_chat_server
from helpers.paths import AUDIO_FIXTURES
from helpers.servers import Running, serve
from openai import AsyncOpenAI

from realtime_sdk.app import ServerConfig
from realtime_sdk.audio import read_wav, resample
from realtime_sdk.backends.agent import OfflineAgent
from realtime_sdk.backends.echo import EchoBackend

API_KEY = "sk-live"
SESSION = {"model": "gpt-live-1", "instructions": "Be brief."}


@pytest.fixture(scope="module")
def server() -> Iterator[Running]:
    config = ServerConfig(backend_factory=EchoBackend, api_keys=frozenset([API_KEY]))
    with serve(config) as running:
        yield running


def speech(rate: int = 24000) -> np.ndarray:
    file_rate, samples = read_wav(AUDIO_FIXTURES / "hello_world_16k.wav")
    silence = np.zeros(rate, dtype=np.int16)
    return np.concatenate([resample(samples, file_rate, rate), silence])


@contextmanager
def agent_with_llm(chat: ChatServer) -> Iterator[Running]:
    """A server whose offline agent streams from the chat-completions stand-in `chat`."""
    chat_running = start_chat_server(chat)
    config = ServerConfig(
        backend_factory=lambda: OfflineAgent(llm_base_url=chat.url), api_keys=frozenset([API_KEY])
    )
    try:
        with serve(config) as running:
            yield running
    finally:
        stop_chat_server(chat_running)


def run(coro: Any) -> Any:
    return asyncio.run(asyncio.wait_for(coro, 40))


async def send_audio(conn: Any, samples: np.ndarray, rate: int = 24000) -> None:
    """In real time, 40 ms at a time, as a microphone gives it."""
    step = rate // 25
    loop = asyncio.get_running_loop()
    start = loop.time()
    for n, at in enumerate(range(0, len(samples), step)):
        chunk = samples[at : at + step].astype("<i2").tobytes()
        await conn.session.input_audio.append(audio=base64.b64encode(chunk).decode())
        await asyncio.sleep(max(0.0, start + (n + 1) * 0.04 - loop.time()))


async def collect(conn: Any, events: list[Any]) -> None:
    """Every event up to `session.closed`."""
    async for event in conn:
        events.append(event)
        if event.type == "session.closed":
            return


async def close_once_said(conn: Any, events: list[Any], reader: Any) -> None:
    """Wait (10 s at most) for the server to say something, then close and read to the end."""
    for _ in range(100):
        if any(e.type == "session.output_transcript.delta" for e in events):
            break
        await asyncio.sleep(0.1)
    await conn.session.close()
    await asyncio.wait_for(reader, 20)


async def delegation_for(conn: Any, events: list[Any], ask: str) -> Any:
    """Send `ask` as commentary; the delegation it brings, within 10 s."""
    await conn.session.commentary.append(content=ask, delegation_id=None)
    for _ in range(100):
        created = [e for e in events if e.type == "session.delegation.created"]
        if created:
            return created[0].delegation
        await asyncio.sleep(0.1)
    raise AssertionError(f"no delegation: {[e.type for e in events]}")


def test_started_speech_echoed_mute_and_close(server: Running) -> None:
    async def main() -> None:
        client = AsyncOpenAI(base_url=server.base_url, api_key=API_KEY)
        async with client.live.connect() as conn:
            await conn.session.start(session=SESSION)
            started = await conn.recv()
            assert started.type == "session.started", started
            assert started.session.status == "active"
            assert started.session.id.startswith("sess_")
            assert started.session.expires_at > 0
            events: list[Any] = []
            reader = asyncio.create_task(collect(conn, events))
            await send_audio(conn, speech())
            await conn.session.input_audio.mute()
            await asyncio.sleep(1.5)  # the echo's reply plays out
            await conn.session.input_audio.unmute()
            await conn.session.close()
            await asyncio.wait_for(reader, 15)

        kinds = [e.type for e in events]
        assert "error" not in kinds, [e for e in events if e.type == "error"]
        assert "session.input_audio.muted" in kinds and "session.input_audio.unmuted" in kinds
        closed = events[-1]
        assert closed.type == "session.closed" and closed.reason == "close_requested"
        assert closed.usage.seconds > 2
        audio = b"".join(
            base64.b64decode(e.delta) for e in events if e.type == "session.output_audio.delta"
        )
        seconds = len(audio) / 2 / 24000
        assert seconds > 2, seconds  # output never stops: silence between the replies
        pcm = np.frombuffer(audio, dtype="<i2")
        assert np.abs(pcm).max() > 1000  # the echo of the speech is in it

    run(main())


def test_the_offline_agent_hears_and_answers_with_transcripts() -> None:
    config = ServerConfig(backend_factory=OfflineAgent, api_keys=frozenset([API_KEY]))

    async def main(running: Running) -> list[Any]:
        client = AsyncOpenAI(base_url=running.base_url, api_key=API_KEY)
        events: list[Any] = []
        async with client.live.connect() as conn:
            await conn.session.start(session=SESSION)
            assert (await conn.recv()).type == "session.started"
            reader = asyncio.create_task(collect(conn, events))
            await send_audio(conn, speech())
            await close_once_said(conn, events, reader)
        return events

    with serve(config) as running:
        events = run(main(running))
    kinds = [e.type for e in events]
    assert "error" not in kinds, [e for e in events if e.type == "error"]
    heard = "".join(e.delta for e in events if e.type == "session.input_transcript.delta")
    said = "".join(e.delta for e in events if e.type == "session.output_transcript.delta")
    assert "hello" in heard.lower() or "world" in heard.lower(), heard
    assert said.startswith("You said"), said
    words = [e for e in events if e.type == "session.output_transcript.delta"]
    assert all(0 <= e.start_ms <= e.end_ms for e in words)
    inputs = [e for e in events if e.type == "session.input_transcript.delta"]
    assert all(0 <= e.start_ms < e.end_ms for e in inputs)
    assert kinds[-1] == "session.closed"


def test_a_client_delegation_round_trip(server: Running) -> None:
    """Echo delegates on `call delegate {}`; the app's commentary answer is spoken, with
    its transcript, and a thinking answer is taken in silence."""

    async def main() -> list[Any]:
        client = AsyncOpenAI(base_url=server.base_url, api_key=API_KEY)
        events: list[Any] = []
        async with client.live.connect() as conn:
            await conn.session.start(session={**SESSION, "delegation": {"type": "client"}})
            assert (await conn.recv()).type == "session.started"
            reader = asyncio.create_task(collect(conn, events))
            delegation = await delegation_for(conn, events, "call delegate {}")
            assert (delegation.target, delegation.type) == ("client", "delegation")
            await conn.session.thinking.append(content="looked it up", delegation_id=delegation.id)
            await conn.session.commentary.append(content="it is sunny", delegation_id=delegation.id)
            for _ in range(50):
                said = "".join(
                    e.delta for e in events if e.type == "session.output_transcript.delta"
                )
                if said == "it is sunny":
                    break
                await asyncio.sleep(0.1)
            await conn.session.close()
            await asyncio.wait_for(reader, 15)
        return events

    events = run(main())
    kinds = [e.type for e in events]
    assert "error" not in kinds, [e for e in events if e.type == "error"]
    assert kinds.count("session.commentary.appended") == 2
    assert "session.thinking.appended" in kinds
    said = "".join(e.delta for e in events if e.type == "session.output_transcript.delta")
    assert said == "it is sunny"
    audio = b"".join(
        base64.b64decode(e.delta) for e in events if e.type == "session.output_audio.delta"
    )
    assert np.abs(np.frombuffer(audio, dtype="<i2")).max() > 1000  # echo's word tones


def test_a_responses_delegation_round_trip() -> None:
    """The offline agent's LLM (the chat-completions stand-in) delegates; the Responses
    model calls the client's function, the client answers with its output and
    `response.create`, and the answer is streamed as Responses events, then spoken."""
    from openai.types.responses import ResponseStreamEvent
    from pydantic import TypeAdapter

    chat = ChatServer()
    chat.replies = [
        [Call("delegate", '{"task": "the weather in Paris"}', "call_d")],
        [Call("get_weather", '{"city": "Paris"}', "call_w")],
        ["It is sunny ", "in Paris."],
        ["It is sunny in Paris."],
    ]
    weather = {
        "type": "function",
        "name": "get_weather",
        "description": "The weather.",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
    }
    delegation = {
        "type": "responses",
        "responses": {"model": "tiny-test-model", "tools": [weather]},
    }

    async def main(running: Running) -> list[Any]:
        client = AsyncOpenAI(base_url=running.base_url, api_key=API_KEY)
        events: list[Any] = []
        async with client.live.connect() as conn:
            await conn.session.start(session={**SESSION, "delegation": delegation})
            assert (await conn.recv()).type == "session.started"
            reader = asyncio.create_task(collect(conn, events))
            await conn.session.commentary.append(
                content="What is the weather in Paris?", delegation_id=None
            )

            async def nested(kind: str, after: int = 0) -> Any:
                for _ in range(100):
                    for e in events[after:]:
                        if e.type == "response.event" and e.event["type"] == kind:
                            return e
                    await asyncio.sleep(0.1)
                raise AssertionError(f"no {kind}: {[e.type for e in events]}")

            done = await nested("response.output_item.done")
            item = done.event["item"]
            assert (item["type"], item["name"], item["call_id"]) == (
                "function_call",
                "get_weather",
                "call_w",
            )
            mark = len(events)
            await conn.response.item.create(
                item={"type": "function_call_output", "call_id": "call_w", "output": "sunny"}
            )
            await conn.response.create()
            await nested("response.completed", after=mark)
            for _ in range(100):
                said = "".join(
                    e.delta for e in events if e.type == "session.output_transcript.delta"
                )
                if "sunny" in said:
                    break
                await asyncio.sleep(0.1)
            await conn.session.close()
            await asyncio.wait_for(reader, 20)
        return events

    with agent_with_llm(chat) as running:
        events = run(main(running))
    kinds = [e.type for e in events]
    assert "error" not in kinds, [e for e in events if e.type == "error"]
    created = [e for e in events if e.type == "session.delegation.created"]
    assert [e.delegation.target for e in created] == ["responses"]
    stream = [e for e in events if e.type == "response.event"]
    assert {e.delegation_id for e in stream} == {created[0].delegation.id}
    check = TypeAdapter(ResponseStreamEvent)
    for e in stream:
        assert check.validate_python(e.event).type == e.event["type"]
    text = "".join(
        e.event["delta"] for e in stream if e.event["type"] == "response.output_text.delta"
    )
    assert text == "It is sunny in Paris."
    tool_turn = chat.requests[2]["messages"]
    assert tool_turn[-1] == {"role": "tool", "tool_call_id": "call_w", "content": "sunny"}
    assert [t["function"]["name"] for t in chat.requests[1]["tools"]] == ["get_weather"]
    said = "".join(e.delta for e in events if e.type == "session.output_transcript.delta")
    assert "sunny" in said


def test_a_fixture_plays_out(server: Running) -> None:
    tone = (np.sin(np.arange(12000) / 4) * 8000).astype("<i2").tobytes()  # 0.5 s

    async def main() -> list[Any]:
        client = AsyncOpenAI(base_url=server.base_url, api_key=API_KEY)
        events: list[Any] = []
        async with client.live.connect() as conn:
            await conn.session.start(session=SESSION)
            assert (await conn.recv()).type == "session.started"
            await conn.session.output_audio.fixture.play(audio=base64.b64encode(tone).decode())
            async for event in conn:
                events.append(event)
                if event.type == "session.output_audio.fixture.played":
                    break
        return events

    events = run(main())
    kinds = [e.type for e in events]
    assert "error" not in kinds
    assert kinds.index("session.output_audio.fixture.playing") < len(kinds) - 1
    audio = b"".join(
        base64.b64decode(e.delta) for e in events if e.type == "session.output_audio.delta"
    )
    assert tone in audio  # played as it was given


def test_the_agents_llm_delegates_to_the_client() -> None:
    """With an LLM, the offline agent delegates when its model calls the `delegate` tool;
    the app's commentary answer is then said (through the model, as any turn)."""
    chat = ChatServer()
    chat.replies = [[Call("delegate", '{"task": "look up the time"}', "call_t")], ["It is noon."]]

    async def main(running: Running) -> list[Any]:
        client = AsyncOpenAI(base_url=running.base_url, api_key=API_KEY)
        events: list[Any] = []
        async with client.live.connect() as conn:
            await conn.session.start(session={**SESSION, "delegation": {"type": "client"}})
            assert (await conn.recv()).type == "session.started"
            reader = asyncio.create_task(collect(conn, events))
            delegation = await delegation_for(conn, events, "What time is it?")
            await conn.session.commentary.append(
                content="The clock says noon.", delegation_id=delegation.id
            )
            await close_once_said(conn, events, reader)
        return events

    with agent_with_llm(chat) as running:
        events = run(main(running))
    kinds = [e.type for e in events]
    assert "error" not in kinds, [e for e in events if e.type == "error"]
    (created,) = [e for e in events if e.type == "session.delegation.created"]
    assert created.delegation.target == "client"
    said = "".join(e.delta for e in events if e.type == "session.output_transcript.delta")
    assert said == "It is noon."
    assert chat.requests[0]["tools"][0]["function"]["name"] == "delegate"
    assert chat.requests[1]["messages"][-1]["content"] == "The clock says noon."
