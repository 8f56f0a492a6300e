"""Transcription sessions: openai-python connects with `intent=transcription` (as its
docs say to), streams recorded speech, and gets the turn committed and transcribed by
the offline agent's recognizer, with no response; a realtime session cannot become
one, and a transcription session refuses `response.create`. Keys for transcription
sessions, from `client.realtime.client_secrets.create` and the legacy
`client.beta.realtime.transcription_sessions.create`, open one over the websocket and
over WebRTC (`client.realtime.calls.create` with an aiortc peer)."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
from helpers.need import need
from helpers.paths import AUDIO_FIXTURES
from helpers.rtc_peer import RtcClient, run, speech_48k
from helpers.servers import Running, serve
from openai import AsyncOpenAI, BadRequestError

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


async def transcribe(
    base_url: str, api_key: str = "anything", query: dict[str, str] | None = None
) -> tuple[list[Any], list[Any]]:
    """The events of one spoken turn, and what a `response.create` then got."""
    client = AsyncOpenAI(base_url=base_url, api_key=api_key)
    events: list[Any] = []
    extra = {"intent": "transcription"} if query is None else query
    async with client.realtime.connect(extra_query=extra) as conn:
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
    assert events[-1].logprobs is None  # not included
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


TRANSCRIBED = {"type": "transcription", "audio": {"input": {"transcription": {
    "model": "gpt-4o-transcribe", "language": "en"}}},
    "include": ["item.input_audio_transcription.logprobs"]}  # fmt: skip


def transcription_key(base_url: str) -> str:
    async def main() -> str:
        client = AsyncOpenAI(base_url=base_url, api_key="anything")
        secret = await client.realtime.client_secrets.create(session=TRANSCRIBED)  # type: ignore[arg-type]
        assert secret.session.type == "transcription"
        assert secret.session.audio is not None and secret.session.audio.input is not None
        assert secret.session.audio.input.transcription is not None
        assert secret.session.audio.input.transcription.language == "en"
        return secret.value

    return asyncio.run(asyncio.wait_for(main(), 30))


def test_a_client_secret_for_a_transcription_session_opens_one(server: Running) -> None:
    key = transcription_key(server.base_url)
    assert key.startswith("ek_")
    events, _ = asyncio.run(asyncio.wait_for(transcribe(server.base_url, key, {}), 60))
    session = events[0].session
    assert session.type == "transcription"  # from the key: no intent in the URL
    assert session.audio.input.transcription.language == "en"
    done = events[-1]
    assert done.transcript.strip().lower() == "hello world"
    # each word's log probability, as the key's session includes them
    assert "".join(p.token for p in done.logprobs) == done.transcript
    assert all(p.logprob <= 0 and bytes(p.bytes) == p.token.encode() for p in done.logprobs)
    deltas = [e for e in events if e.type.endswith("transcription.delta")]
    assert [p.token for e in deltas for p in e.logprobs] == [p.token for p in done.logprobs]


def test_the_legacy_transcription_sessions_route_with_openai_python(server: Running) -> None:
    async def main() -> str:
        client = AsyncOpenAI(base_url=server.base_url, api_key="anything")
        legacy = await client.beta.realtime.transcription_sessions.create(
            input_audio_format="pcm16",
            input_audio_transcription={"model": "whisper-1", "language": "en"},
            turn_detection={"type": "server_vad", "silence_duration_ms": 500},
            client_secret={"expires_at": {"anchor": "created_at", "seconds": 120}},
        )
        assert legacy.input_audio_transcription is not None
        assert legacy.input_audio_transcription.model == "whisper-1"
        assert legacy.turn_detection is not None
        assert legacy.turn_detection.silence_duration_ms == 500
        return legacy.client_secret.value

    key = asyncio.run(asyncio.wait_for(main(), 30))
    events, _ = asyncio.run(asyncio.wait_for(transcribe(server.base_url, key), 60))
    assert events[0].session.audio.input.turn_detection.silence_duration_ms == 500
    assert events[-1].transcript.strip().lower() == "hello world"


def test_a_transcription_key_opens_a_transcription_call_over_webrtc(server: Running) -> None:
    key = transcription_key(server.base_url)
    voice = speech_48k(SPEECH, tail_s=1.5)

    async def main() -> None:
        client = AsyncOpenAI(base_url=server.base_url, api_key=key)  # the browser's key
        rtc = RtcClient()
        try:
            answer = await client.realtime.calls.create(sdp=await rtc.offer())
            await rtc.accept(answer.text)
            created = await rtc.wait_for("session.created")
            assert created["session"]["type"] == "transcription"
            await rtc.opened.wait()
            rtc.mic.say(voice)
            done = await rtc.wait_for("conversation.item.input_audio_transcription.completed", 30)
            assert done["transcript"].strip().lower() == "hello world"
            assert not [t for t in rtc.types() if t.startswith("response.")], rtc.types()
        finally:
            await rtc.close()

    run(main)


def test_a_transcription_key_refuses_a_realtime_offer(server: Running) -> None:
    key = transcription_key(server.base_url)

    async def main() -> None:
        client = AsyncOpenAI(base_url=server.base_url, api_key=key)
        rtc = RtcClient()
        try:
            with pytest.raises(BadRequestError) as refused:
                await client.realtime.calls.create(
                    sdp=await rtc.offer(),
                    session={"type": "realtime"},
                )
            assert refused.value.param == "session.type"
        finally:
            await rtc.close()

    run(main)
