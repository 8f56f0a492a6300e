"""The typed client against the real app in this process (tests/helpers/client_app.py):
no socket, no uvicorn, the same events as over a real websocket."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import numpy as np
import pytest
from helpers.client_app import ClientAppPair, echo_config
from helpers.paths import AUDIO_FIXTURES
from websockets.exceptions import InvalidStatus

from realtime_sdk.audio import read_wav, resample
from realtime_sdk.client import ConnectionClosedError
from realtime_sdk.transports.asgi import ASGIWebSocketTransport

FIXTURES = AUDIO_FIXTURES
USER = {"type": "message", "role": "user"}
TEXT_ONLY = {"type": "realtime", "output_modalities": ["text"]}


def said(text: str) -> dict[str, Any]:
    return {**USER, "content": [{"type": "input_text", "text": text}]}


def run(coro: Any) -> Any:
    """Run one test on a fresh loop; nothing of the client or the app may outlive it."""

    async def main() -> Any:
        async with asyncio.timeout(30):
            result = await coro
        await asyncio.sleep(0)
        left = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        assert left == [], left
        return result

    return asyncio.run(main())


def test_text_turn_state_and_tools() -> None:
    pair = ClientAppPair()

    async def main() -> None:
        async with pair.connect(api_key="sk-test") as conn:
            created = await conn.wait_for("session.created")
            assert created.session.id.startswith("sess_")
            assert isinstance(conn.transport, ASGIWebSocketTransport)
            await conn.session.update(session=TEXT_ONLY)
            await conn.conversation.item.create(item=said("good morning"))
            await conn.response.create()
            reply = await conn.reply(timeout=10)
            assert reply.text == "good morning" and reply.done.response.status == "completed"
            turns = [("user", "good morning"), ("assistant", "good morning")]
            assert conn.state.transcript() == turns

            @conn.tool
            def add(a: int, b: int) -> dict[str, int]:
                """Add two numbers."""
                return {"sum": a + b}

            await conn.update_tools(output_modalities=["text"])
            await conn.conversation.item.create(item=said('call add {"a": 2, "b": 3}'))
            await conn.response.create()
            first = await conn.reply(timeout=10)  # the call; the helper answers it
            assert first.done.response.output[0].type == "function_call"
            assert json.loads((await conn.reply(timeout=10)).text) == {"sum": 5}

    run(main())


def test_audio_turn_detected_by_the_server() -> None:
    """Speech appended at 16 kHz, its turn ended by the app's own VAD, echoed at 24 kHz."""
    rate, speech = read_wav(FIXTURES / "hello_world_16k.wav")
    speech = np.concatenate([speech, np.zeros(rate // 2, dtype=np.int16)])
    pair = ClientAppPair()

    async def main() -> None:
        async with pair.connect() as conn:
            await conn.wait_for("session.created")
            for start in range(0, len(speech), rate // 50):
                await conn.append_audio(speech[start : start + rate // 50], rate=rate)
            reply = await conn.reply(timeout=15)
            assert reply.audio_rate == 24000 and len(reply.audio) > 24000
            expected = resample(speech, rate, 24000)[: len(reply.audio)]
            assert np.corrcoef(reply.audio.astype(float), expected.astype(float))[0, 1] > 0.95

    run(main())


def test_the_session_argument_and_the_beta_dialect() -> None:
    pair = ClientAppPair(echo_config(turn_detection=False))

    async def main() -> None:
        async with pair.connect(session={"instructions": "be brief"}) as conn:
            await conn.wait_for("session.created")
            updated = await conn.wait_for("session.updated", timeout=5)
            assert updated.session.instructions == "be brief"
        async with pair.connect(dialect="beta") as conn:
            created = await conn.wait_for("session.created")
            assert created.session.modalities is not None  # the flat beta session
            await conn.send({"type": "session.update", "session": {"modalities": ["text"]}})
            await conn.conversation.item.create(item=said("old names"))
            await conn.response.create()
            kinds = []
            async for event in conn:
                kinds.append(event.type)
                if event.type == "response.done":
                    break
            assert "response.text.delta" in kinds and "response.output_text.delta" not in kinds

    run(main())


def test_a_refused_key_fails_the_handshake_as_over_a_socket() -> None:
    pair = ClientAppPair(echo_config(api_keys=frozenset({"sk-right"}), turn_detection=False))

    async def main() -> None:
        with pytest.raises(InvalidStatus) as refused:
            async with pair.connect(api_key="sk-wrong"):
                pass
        assert refused.value.response.status_code == 401
        assert json.loads(refused.value.response.body)["error"]["code"] == "invalid_api_key"
        async with pair.connect(api_key="sk-right") as conn:
            await conn.wait_for("session.created")

    run(main())


def test_the_app_closing_ends_the_connection() -> None:
    """A frame over the app's limit: the app closes (1009) and the client reads the end."""
    pair = ClientAppPair(echo_config(turn_detection=False, max_frame_bytes=4096))

    async def main() -> None:
        async with pair.connect() as conn:
            await conn.wait_for("session.created")
            await conn.conversation.item.create(item=said("x" * 5000))
            with pytest.raises(ConnectionClosedError):
                while True:
                    await conn.recv()
            transport = conn.transport
            assert isinstance(transport, ASGIWebSocketTransport)
            assert transport.close_code == 1009
            with pytest.raises(ConnectionError):
                await conn.conversation.item.create(item=said("too late"))

    run(main())
