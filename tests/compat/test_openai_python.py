"""An unmodified openai-python client against `realtime-sdk serve` (echo), over websocket."""

from __future__ import annotations

import asyncio
import base64
from pathlib import Path
from typing import Any

import numpy as np
from openai import AsyncOpenAI

from realtime_sdk.audio import read_wav, resample

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "audio"


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
