"""An unmodified openai-python client against `realtime-sdk serve` (echo), over websocket."""

from __future__ import annotations

import asyncio
import base64
import time
from typing import Any

import numpy as np
import openai
import pytest
from helpers.paths import AUDIO_FIXTURES
from helpers.servers import serve
from openai import AsyncOpenAI
from websockets.exceptions import InvalidStatus

from realtime_sdk.app import ServerConfig
from realtime_sdk.audio import read_wav, resample
from realtime_sdk.backends.echo import EchoBackend

FIXTURES = AUDIO_FIXTURES


async def collect(conn: Any, until: str) -> list[Any]:
    events = []
    async for event in conn:
        events.append(event)
        if event.type == until:
            return events
    raise AssertionError(f"connection ended before {until}")


def run(coro: Any) -> Any:
    return asyncio.run(asyncio.wait_for(coro, 30))


def test_text_turn(base_url: str) -> None:
    async def main() -> None:
        client = AsyncOpenAI(base_url=base_url, api_key="sk-test")
        async with client.realtime.connect(model="gpt-realtime") as conn:
            await conn.session.update(session={"type": "realtime", "output_modalities": ["text"]})
            await conn.conversation.item.create(
                item={"type": "message", "role": "user",
                      "content": [{"type": "input_text", "text": "hello world"}]}
            )  # fmt: skip
            await conn.response.create()
            events = await collect(conn, "response.done")
        types = [e.type for e in events]
        assert types == [
            "session.created",
            "session.updated",
            "conversation.item.added",
            "conversation.item.done",
            "response.created",
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
        assert events[-1].response.status == "completed"
        assert events[10].text == "hello world"

    run(main())


def test_audio_turn_with_server_vad(base_url: str) -> None:
    rate, samples = read_wav(FIXTURES / "hello_world_16k.wav")
    voice = resample(samples, rate, 24000)
    voice = np.concatenate([voice, np.zeros(24000 // 2, dtype=np.int16)])

    async def main() -> None:
        client = AsyncOpenAI(base_url=base_url, api_key="sk-test")
        async with client.realtime.connect(model="gpt-realtime") as conn:
            for start in range(0, len(voice), 480):
                chunk = voice[start : start + 480].tobytes()
                await conn.input_audio_buffer.append(audio=base64.b64encode(chunk).decode())
            events = await collect(conn, "response.done")
        types = [e.type for e in events]
        for expected in (
            "input_audio_buffer.speech_started",
            "input_audio_buffer.speech_stopped",
            "input_audio_buffer.committed",
            "response.created",
            "response.output_audio.delta",
            "response.done",
        ):
            assert expected in types, expected
        assert types.index("input_audio_buffer.speech_stopped") < types.index("response.created")
        audio = b"".join(
            base64.b64decode(e.delta) for e in events if e.type == "response.output_audio.delta"
        )
        back = np.frombuffer(audio, dtype=np.int16)
        # the reply is the committed turn: the user's speech, in full
        speech = voice[: len(back)]
        assert len(back) > 24000  # more than a second of it
        assert np.corrcoef(back.astype(float), speech.astype(float))[0, 1] > 0.99

    run(main())


def test_function_call_and_cancel(base_url: str) -> None:
    async def main() -> None:
        client = AsyncOpenAI(base_url=base_url, api_key="sk-test")
        async with client.realtime.connect(model="gpt-realtime") as conn:
            tool = {"type": "function", "name": "lookup", "parameters": {"type": "object"}}
            await conn.session.update(
                session={"type": "realtime", "output_modalities": ["text"], "tools": [tool]}
            )
            await conn.conversation.item.create(
                item={"type": "message", "role": "user",
                      "content": [{"type": "input_text", "text": 'call lookup {"q": 1}'}]}
            )  # fmt: skip
            await conn.response.create()
            events = await collect(conn, "response.done")
            [call] = [e for e in events if e.type == "response.function_call_arguments.done"]
            assert (call.name, call.arguments) == ("lookup", '{"q": 1}')
            await conn.conversation.item.create(
                item={"type": "function_call_output", "call_id": call.call_id, "output": "42"}
            )
            await conn.response.create()
            events = await collect(conn, "response.done")
            deltas = [e.delta for e in events if e.type == "response.output_text.delta"]
            assert "".join(deltas) == "42"
            await conn.response.cancel()
            [error] = await collect(conn, "error")
            assert error.error.code == "response_cancel_not_active"

    run(main())


def _speech() -> np.ndarray:
    rate, samples = read_wav(FIXTURES / "hello_world_16k.wav")
    return resample(samples, rate, 24000)


def test_manual_commit_turn(base_url: str) -> None:
    """turn_detection null: append, commit, response.create; the reply is the committed audio."""
    voice = _speech()

    async def main() -> None:
        client = AsyncOpenAI(base_url=base_url, api_key="sk-test")
        async with client.realtime.connect(model="gpt-realtime") as conn:
            await conn.session.update(
                session={"type": "realtime", "audio": {"input": {"turn_detection": None}}}
            )
            updated = await collect(conn, "session.updated")
            assert updated[-1].session.audio.input.turn_detection is None
            for start in range(0, len(voice), 480):
                chunk = voice[start : start + 480].tobytes()
                await conn.input_audio_buffer.append(audio=base64.b64encode(chunk).decode())
            await conn.input_audio_buffer.commit()
            events = await collect(conn, "conversation.item.done")
            types = [e.type for e in events]
            assert "input_audio_buffer.speech_started" not in types  # no VAD ran
            assert types[-3:] == [
                "input_audio_buffer.committed",
                "conversation.item.added",
                "conversation.item.done",
            ]
            committed = events[-3]
            assert events[-1].item.id == committed.item_id
            assert events[-1].item.content[0].type == "input_audio"
            await conn.response.create()
            events = await collect(conn, "response.done")
        assert "error" not in [e.type for e in events]
        audio = b"".join(
            base64.b64decode(e.delta) for e in events if e.type == "response.output_audio.delta"
        )
        back = np.frombuffer(audio, dtype=np.int16)
        assert len(back) == len(voice)  # the whole buffer, nothing more
        assert np.corrcoef(back.astype(float), voice.astype(float))[0, 1] > 0.99

    run(main())


def test_truncate_after_an_audio_response(base_url: str) -> None:
    async def main() -> None:
        client = AsyncOpenAI(base_url=base_url, api_key="sk-test")
        async with client.realtime.connect(model="gpt-realtime") as conn:
            await conn.conversation.item.create(
                item={"type": "message", "role": "user",
                      "content": [{"type": "input_text", "text": "one two three"}]}
            )  # fmt: skip
            await conn.response.create()
            events = await collect(conn, "response.done")
            done = events[-1]
            assert done.response.status == "completed"
            [item] = done.response.output
            assert item.content[0].type == "output_audio"
            await conn.conversation.item.truncate(
                item_id=item.id, content_index=0, audio_end_ms=100
            )
            [truncated] = await collect(conn, "conversation.item.truncated")
            assert (truncated.item_id, truncated.content_index) == (item.id, 0)
            assert truncated.audio_end_ms == 100
            await conn.conversation.item.retrieve(item_id=item.id)
            [retrieved] = await collect(conn, "conversation.item.retrieved")
            audio = base64.b64decode(retrieved.item.content[0].audio or "")
            assert len(audio) == 24000 * 2 // 10  # 100 ms of it is left
            assert not retrieved.item.content[0].transcript  # the unheard words are gone

    run(main())


def test_cancel_a_response_in_flight(base_url: str) -> None:
    """A long audio reply outruns the socket; the cancel sent right after it wins."""
    words = " ".join(f"w{i}" for i in range(400))

    async def main() -> None:
        client = AsyncOpenAI(base_url=base_url, api_key="sk-test")
        async with client.realtime.connect(model="gpt-realtime") as conn:
            await conn.conversation.item.create(
                item={"type": "message", "role": "user",
                      "content": [{"type": "input_text", "text": words}]}
            )  # fmt: skip
            await conn.response.create()
            await conn.response.cancel()
            events = await collect(conn, "response.done")
            done = events[-1]
            assert done.response.status == "cancelled"
            assert done.response.status_details.reason == "client_cancelled"
            assert "error" not in [e.type for e in events]
            # the session goes on: another turn completes
            await conn.session.update(session={"type": "realtime", "output_modalities": ["text"]})
            await conn.conversation.item.create(
                item={"type": "message", "role": "user",
                      "content": [{"type": "input_text", "text": "again"}]}
            )  # fmt: skip
            await conn.response.create()
            events = await collect(conn, "response.done")
            assert events[-1].response.status == "completed"

    run(main())


def test_ephemeral_key_flow() -> None:
    """An API key mints an ek_ key; the ek_ key (alone) opens a session that starts
    from the session it was minted with."""
    config = ServerConfig(backend_factory=EchoBackend, api_keys=frozenset({"sk-real"}))

    async def main(base_url: str) -> None:
        server_side = AsyncOpenAI(base_url=base_url, api_key="sk-real")
        secret = await server_side.realtime.client_secrets.create(
            expires_after={"anchor": "created_at", "seconds": 120},
            session={
                "type": "realtime",
                "instructions": "Repeat after me.",
                "output_modalities": ["text"],
                "audio": {"output": {"voice": "marin"}},
            },
        )
        assert secret.value.startswith("ek_")
        assert 110 <= secret.expires_at - time.time() <= 130
        assert secret.session.type == "realtime"
        assert secret.session.instructions == "Repeat after me."
        assert secret.session.audio is not None and secret.session.audio.output is not None
        assert secret.session.audio.output.voice == "marin"

        browser_side = AsyncOpenAI(base_url=base_url, api_key=secret.value)
        async with browser_side.realtime.connect(model="gpt-realtime") as conn:
            [created] = await collect(conn, "session.created")
            assert created.session.instructions == "Repeat after me."
            assert created.session.output_modalities == ["text"]
            assert created.session.audio.output.voice == "marin"
            await conn.conversation.item.create(
                item={"type": "message", "role": "user",
                      "content": [{"type": "input_text", "text": "let me in"}]}
            )  # fmt: skip
            await conn.response.create()
            events = await collect(conn, "response.done")
            assert events[-1].response.status == "completed"
            deltas = [e.delta for e in events if e.type == "response.output_text.delta"]
            assert "".join(deltas) == "let me in"

        # an ek_ key cannot mint more keys; a wrong key cannot connect
        with pytest.raises(openai.PermissionDeniedError):
            await browser_side.realtime.client_secrets.create()
        stranger = AsyncOpenAI(base_url=base_url, api_key="sk-wrong")
        with pytest.raises(InvalidStatus) as refused:
            async with stranger.realtime.connect(model="gpt-realtime"):
                pass
        assert refused.value.response.status_code == 401
        with pytest.raises(openai.AuthenticationError) as denied:
            await stranger.realtime.client_secrets.create()
        assert denied.value.code == "invalid_api_key"

    with serve(config) as running:
        run(main(running.base_url))


def test_legacy_beta_session_key() -> None:
    """openai-python's beta `sessions.create` gets the flat beta shape and an ek_ key."""
    config = ServerConfig(backend_factory=EchoBackend, api_keys=frozenset({"sk-real"}))

    async def main(base_url: str) -> None:
        client = AsyncOpenAI(base_url=base_url, api_key="sk-real")
        session = await client.beta.realtime.sessions.create(
            model="gpt-4o-realtime-preview",
            modalities=["text"],
            voice="verse",
            input_audio_format="g711_ulaw",
            turn_detection={"type": "server_vad", "silence_duration_ms": 400},
        )
        assert session.client_secret.value.startswith("ek_")
        assert (session.modalities, session.voice) == (["text"], "verse")
        assert (session.input_audio_format, session.output_audio_format) == ("g711_ulaw", "pcm16")
        assert session.turn_detection is not None
        assert session.turn_detection.silence_duration_ms == 400
        # the key opens a GA session that starts from the translated config
        browser = AsyncOpenAI(base_url=base_url, api_key=session.client_secret.value)
        async with browser.realtime.connect(model="gpt-realtime") as conn:
            [created] = await collect(conn, "session.created")
        assert created.session.model == "gpt-4o-realtime-preview"
        assert created.session.output_modalities == ["text"]
        assert created.session.audio.input.format.type == "audio/pcmu"
        assert created.session.audio.input.turn_detection.silence_duration_ms == 400

    with serve(config) as running:
        run(main(running.base_url))
