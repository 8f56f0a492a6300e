"""Transcription sessions: openai-python connects with `intent=transcription` (as its
docs say to), streams recorded speech, and gets the turn committed and transcribed by
the offline agent's recognizer, with no response; a realtime session cannot become
one, and a transcription session refuses `response.create`."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
from helpers.need import need
from helpers.paths import AUDIO_FIXTURES
from helpers.servers import Running, serve
from openai import AsyncOpenAI

from realtime_sdk.app import ServerConfig
from realtime_sdk.audio import read_wav, resample

SPEECH = AUDIO_FIXTURES / "hello_world_16k.wav"


@pytest.fixture(scope="module")
def server() -> Iterator[Running]:
    try:
        from realtime_sdk.backends.agent import OfflineAgent, recognizer

        recognizer().warm_up()
    except ImportError:
        need(False, "the agent extra (pocketsphinx, espeakng-loader) is not installed")
        raise
    with serve(ServerConfig(backend_factory=OfflineAgent)) as running:
        yield running


def speech_24k() -> bytes:
    rate, samples = read_wav(SPEECH)
    pause = np.zeros(24000, dtype=np.int16)
    return np.concatenate([pause, resample(samples, rate, 24000), pause, pause]).tobytes()


async def transcribe(base_url: str) -> tuple[list[Any], list[Any]]:
    """The events of one spoken turn, and what a `response.create` then got."""
    client = AsyncOpenAI(base_url=base_url, api_key="anything")
    events: list[Any] = []
    async with client.realtime.connect(extra_query={"intent": "transcription"}) as conn:
        created = await conn.recv()
        assert created.type == "session.created"
        events.append(created)
        audio = speech_24k()
        for start in range(0, len(audio), 9600):
            chunk = base64.b64encode(audio[start : start + 9600]).decode()
            await conn.input_audio_buffer.append(audio=chunk)
        async for event in conn:
            events.append(event)
            if event.type == "conversation.item.input_audio_transcription.completed":
                break
        await conn.response.create()
        after = [await conn.recv()]
    return events, after


def test_intent_transcription_transcribes_turns_and_makes_no_response(server: Running) -> None:
    events, after = asyncio.run(asyncio.wait_for(transcribe(server.base_url), 60))
    session = events[0].session
    assert session.type == "transcription"
    assert session.audio.input.transcription.model
    types = [e.type for e in events]
    for kind in (
        "input_audio_buffer.speech_started",
        "input_audio_buffer.speech_stopped",
        "input_audio_buffer.committed",
        "conversation.item.input_audio_transcription.completed",
    ):
        assert kind in types, types
    assert not [t for t in types if t.startswith("response.")], types
    assert events[-1].transcript.strip().lower() == "hello world"
    [refused] = after
    assert refused.type == "error" and "transcription" in refused.error.message


def test_a_realtime_session_cannot_turn_into_a_transcription_one(server: Running) -> None:
    async def main() -> Any:
        client = AsyncOpenAI(base_url=server.base_url, api_key="anything")
        async with client.realtime.connect(model="gpt-realtime") as conn:
            await conn.recv()
            await conn.session.update(session={"type": "transcription"})
            return await conn.recv()

    error = asyncio.run(asyncio.wait_for(main(), 30))
    assert (error.type, error.error.param) == ("error", "session.type")
