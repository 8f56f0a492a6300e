"""The offline agent's pipeline serving translation sessions, over a real server with
openai-python's translation client: pocketsphinx hears, the chat-completions stand-in
(tests/helpers/chat_server.py) translates, espeak-ng speaks in the target language's voice.
Without an LLM, session.update is refused naming what is missing."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
from helpers.chat_server import ChatServer
from helpers.paths import AUDIO_FIXTURES
from helpers.servers import Running, serve
from openai import AsyncOpenAI

from realtime_sdk.app import ServerConfig
from realtime_sdk.audio import is_quiet, read_wav, resample
from realtime_sdk.backends.agent import ChatCompletions
from realtime_sdk.backends.agent.translator import AgentTranslator, voice_for_language
from realtime_sdk.backends.echo import EchoBackend

pytestmark = pytest.mark.usefixtures("agent_installed")


def hello_world_24k() -> np.ndarray:
    rate, samples = read_wav(AUDIO_FIXTURES / "hello_world_16k.wav")
    quiet = np.zeros(24000, dtype=np.int16)
    return np.concatenate([resample(samples, rate, 24000), quiet])


@pytest.fixture
def with_llm(chat: ChatServer) -> Iterator[Running]:
    chat.requests.clear()
    chat.replies[:] = [["Bonjour", " le", " monde."]]
    translator = AgentTranslator(ChatCompletions(chat.url))
    config = ServerConfig(backend_factory=EchoBackend, translator_factory=lambda: translator)
    with serve(config) as running:
        yield running


async def recv(conn: Any) -> Any:
    return await asyncio.wait_for(conn.recv(), 20)


def test_speech_is_heard_translated_and_spoken(with_llm: Running, chat: ChatServer) -> None:
    samples = hello_world_24k()

    async def main() -> list[Any]:
        client = AsyncOpenAI(base_url=with_llm.base_url, api_key="sk-local")
        async with client.realtime.translations.connect(model="agent") as conn:
            await recv(conn)
            audio = {"output": {"language": "fr"}, "input": {"transcription": {"model": "sphinx"}}}
            await conn.session.update(session={"audio": audio})  # type: ignore[typeddict-item]
            assert (await recv(conn)).type == "session.updated"
            for start in range(0, len(samples), 4800):
                chunk = samples[start : start + 4800].astype("<i2").tobytes()
                await conn.session.input_audio_buffer.append(audio=base64.b64encode(chunk).decode())
            await conn.session.close()
            events = []
            while (event := await recv(conn)).type != "session.closed":
                events.append(event)
        return events

    events = asyncio.run(asyncio.wait_for(main(), 60))
    heard = "".join(e.delta for e in events if e.type == "session.input_transcript.delta")
    said = "".join(e.delta for e in events if e.type == "session.output_transcript.delta")
    audio = [e for e in events if e.type == "session.output_audio.delta"]
    assert "hello" in heard.lower() or "world" in heard.lower(), heard
    assert said.strip() == "Bonjour le monde."
    (request,) = chat.requests
    assert "'fr'" in request["messages"][0]["content"]
    assert request["messages"][1] == {"role": "user", "content": heard.strip()}
    spoken = np.concatenate([np.frombuffer(base64.b64decode(e.delta), "<i2") for e in audio])
    assert len(spoken) > 24000 * 0.5  # espeak's French says it in well over half a second
    assert np.abs(spoken).max() > 3000
    starts = {e.elapsed_ms for e in events if e.type != "session.output_audio.delta"}
    frames = samples[: len(samples) // 4800 * 4800].reshape(-1, 4800)
    first_sound = next(i for i, f in enumerate(frames) if not is_quiet(f)) * 200
    assert starts == {first_sound}  # where the speech began, on the input timeline


def test_without_an_llm_update_is_refused_naming_it() -> None:
    config = ServerConfig(backend_factory=EchoBackend, translator_factory=AgentTranslator)

    async def main(running: Running) -> None:
        client = AsyncOpenAI(base_url=running.base_url, api_key="sk-local")
        async with client.realtime.translations.connect(model="agent") as conn:
            await recv(conn)
            await conn.session.update(session={"audio": {"output": {"language": "de"}}})
            error = await recv(conn)
            assert error.type == "error"
            assert "--llm-base-url" in error.error.message
            assert error.error.param == "session.audio.output.language"
            await conn.session.input_audio_buffer.append(
                audio=base64.b64encode(hello_world_24k().astype("<i2").tobytes()).decode()
            )
            await conn.session.close()
            error = await recv(conn)  # audio anyway: the same words, then the end
            assert error.type == "error" and "--llm-base-url" in error.error.message

    with serve(config) as running:
        asyncio.run(asyncio.wait_for(main(running), 60))


def test_languages_pick_espeak_voices() -> None:
    assert voice_for_language("fr") == "fr"
    assert voice_for_language("zh") == "cmn"
    assert voice_for_language("pt_BR") == "pt-br"
