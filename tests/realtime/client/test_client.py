"""Our typed client against our own server (echo), over websocket."""

from __future__ import annotations

import asyncio
import json
import threading
from typing import Any

import numpy as np
import pytest
from helpers.paths import AUDIO_FIXTURES
from openai import AsyncOpenAI
from websockets.asyncio.server import ServerConnection, serve

import realtime_sdk
from realtime_sdk._generated._runtime import UnknownServerEvent
from realtime_sdk.audio import read_wav, resample
from realtime_sdk.client import ConnectionClosedError

FIXTURES = AUDIO_FIXTURES
USER = {"type": "message", "role": "user"}


def said(text: str) -> dict[str, Any]:
    return {**USER, "content": [{"type": "input_text", "text": text}]}


def run(coro: Any) -> Any:
    return asyncio.run(asyncio.wait_for(coro, 30))


def test_text_turn_and_state(base_url: str) -> None:
    async def main() -> None:
        async with realtime_sdk.connect(base_url=base_url, api_key="sk-test") as conn:
            created = await conn.wait_for("session.created")
            assert created.session.id.startswith("sess_")
            await conn.session.update(session={"type": "realtime", "output_modalities": ["text"]})
            await conn.conversation.item.create(item=said("good morning"))
            await conn.response.create()
            reply = await conn.reply(timeout=10)
            assert reply.text == "good morning"
            assert reply.done.response.status == "completed"
            assert conn.state.transcript() == [
                ("user", "good morning"),
                ("assistant", "good morning"),
            ]

    run(main())


def test_audio_turn_with_numpy_at_another_rate(base_url: str) -> None:
    rate, speech = read_wav(FIXTURES / "hello_world_16k.wav")
    speech = np.concatenate([speech, np.zeros(rate // 2, dtype=np.int16)])

    async def main() -> None:
        async with realtime_sdk.connect(base_url=base_url) as conn:
            await conn.wait_for("session.created")
            for start in range(0, len(speech), rate // 50):  # 20 ms at 16 kHz, sent as 24 kHz
                await conn.append_audio(speech[start : start + rate // 50], rate=rate)
            reply = await conn.reply(timeout=15)
            assert reply.audio_rate == 24000
            back = reply.audio
            expected = resample(speech, rate, 24000)[: len(back)]
            assert len(back) > 24000
            assert np.corrcoef(back.astype(float), expected.astype(float))[0, 1] > 0.95

    run(main())


def test_tool_helper_answers_function_calls(base_url: str) -> None:
    async def main() -> None:
        async with realtime_sdk.connect(base_url=base_url) as conn:
            await conn.wait_for("session.created")

            @conn.tool
            def add(a: int, b: int) -> dict[str, int]:
                """Add two numbers."""
                return {"sum": a + b}

            await conn.update_tools(output_modalities=["text"])
            updated = await conn.wait_for("session.updated")
            assert updated.session.tools[0].name == "add"
            assert updated.session.tools[0].parameters["required"] == ["a", "b"]
            await conn.conversation.item.create(item=said('call add {"a": 2, "b": 3}'))
            await conn.response.create()
            first = await conn.reply(timeout=10)  # the call; the helper answers it
            assert first.done.response.output[0].type == "function_call"
            second = await conn.reply(timeout=10)
            assert json.loads(second.text) == {"sum": 5}

    run(main())


def test_cancel_and_truncate(base_url: str) -> None:
    async def main() -> None:
        async with realtime_sdk.connect(base_url=base_url) as conn:
            await conn.wait_for("session.created")
            await conn.conversation.item.create(item=said("one two three four"))
            await conn.response.create()
            reply = await conn.reply(timeout=10)
            item_id = reply.done.response.output[0].id
            await conn.conversation.item.truncate(
                item_id=item_id, content_index=0, audio_end_ms=300
            )
            truncated = await conn.wait_for("conversation.item.truncated", timeout=5)
            assert truncated.audio_end_ms == 300
            assert len(conn.state.items[item_id].audio) == 24000 * 2 * 300 // 1000
            assert conn.state.items[item_id].transcript == ""
            await conn.response.cancel()
            error = await conn.wait_for("error", timeout=5)
            assert error.error.code == "response_cancel_not_active"

    run(main())


def test_same_event_sequence_as_openai_python(base_url: str) -> None:
    """One scenario, two clients: the event types arrive in the same order."""

    async def ours() -> list[str]:
        async with realtime_sdk.connect(base_url=base_url) as conn:
            await conn.session.update(session={"type": "realtime", "output_modalities": ["text"]})
            await conn.conversation.item.create(item=said("same for both"))
            await conn.response.create()
            types = []
            async for event in conn:
                types.append(event.type)
                if event.type == "response.done":
                    return types
        raise AssertionError("closed early")

    async def theirs() -> list[str]:
        client = AsyncOpenAI(base_url=base_url, api_key="sk-test")
        async with client.realtime.connect(model="gpt-realtime") as conn:
            await conn.session.update(session={"type": "realtime", "output_modalities": ["text"]})
            await conn.conversation.item.create(item=said("same for both"))  # type: ignore[arg-type]
            await conn.response.create()
            types = []
            async for event in conn:
                types.append(event.type)
                if event.type == "response.done":
                    return types
        raise AssertionError("closed early")

    assert run(ours()) == run(theirs())


async def _odd_server(connection: ServerConnection) -> None:
    """A server from the future: unknown events, extra fields; then it drops the socket."""
    await connection.recv()  # the client's session.update
    session = {"type": "realtime", "id": "sess_x"}
    created = {"type": "session.created", "event_id": "e1", "shiny": 1, "session": session}
    await connection.send(json.dumps(created))
    await connection.send(json.dumps({"type": "brand.new.event", "event_id": "e2", "x": [1]}))
    await connection.send(json.dumps({"type": "input_audio_buffer.cleared", "event_id": "e3",
                                      "extra": {"a": True}}))  # fmt: skip
    await connection.close(1011, "restarting")


def test_lenient_parsing_and_reconnect() -> None:
    async def main() -> None:
        opened = 0

        async def handler(connection: ServerConnection) -> None:
            nonlocal opened
            opened += 1
            if opened == 1:
                await _odd_server(connection)
                return
            session = {"type": "realtime", "id": "sess_y"}
            created = {"type": "session.created", "event_id": "e4", "session": session}
            await connection.send(json.dumps(created))
            resent = json.loads(await connection.recv())  # the last session.update, re-sent
            assert resent["type"] == "session.update"
            await connection.close(1000)

        async with serve(handler, "127.0.0.1", 0) as server:
            port = server.sockets[0].getsockname()[1]
            async with realtime_sdk.connect(url=f"ws://127.0.0.1:{port}/v1/realtime") as conn:
                await conn.session.update(session={"type": "realtime", "instructions": "hi"})
                events = [event async for event in conn]
            kinds = [e.type for e in events]
            assert kinds == ["session.created", "brand.new.event", "input_audio_buffer.cleared",
                             "session.created"]  # fmt: skip
            assert isinstance(events[1], UnknownServerEvent)
            assert events[1].model_dump()["x"] == [1]
            assert events[2].model_dump()["extra"] == {"a": True}
            assert conn.transport.reconnects == 1  # type: ignore[attr-defined]
            assert conn.state.session["id"] == "sess_y"
            with pytest.raises(ConnectionClosedError):
                await conn.recv()
        assert opened == 2

    run(main())


def test_sync_client(base_url: str) -> None:
    """The blocking variant: the async client on a loop thread, the same behaviour."""
    from realtime_sdk import sync

    with sync.connect(base_url=base_url, api_key="sk-test") as conn:
        assert conn.wait_for("session.created", timeout=5).session.id.startswith("sess_")
        conn.session.update(session={"type": "realtime", "output_modalities": ["text"]})
        conn.conversation.item.create(item=said("in a thread"))
        conn.response.create()
        kinds = []
        for event in conn:
            kinds.append(event.type)
            if event.type == "response.done":
                break
        assert kinds[0] == "session.updated" and "response.output_text.delta" in kinds
        assert conn.state.transcript()[-1] == ("assistant", "in a thread")
        with pytest.raises(TimeoutError):
            conn.recv(timeout=0.2)  # nothing more is coming
        conn.conversation.item.create(item=said("and again"))
        conn.response.create()
        assert conn.reply(timeout=5).text == "and again"
        threads = {t.name for t in threading.enumerate()}
        assert "realtime-sdk-loop" in threads
    assert "realtime-sdk-loop" not in {t.name for t in threading.enumerate()}


def test_audio_chunks_session_and_no_task_left(base_url: str) -> None:
    """Response audio as it comes, with its item; `session=` is the first update; and
    nothing of the client runs on after close."""

    async def main() -> None:
        session = {"instructions": "be brief"}
        async with (
            asyncio.timeout(30),
            realtime_sdk.connect(base_url=base_url, session=session) as conn,
        ):
            updated = await conn.wait_for("session.updated", timeout=5)
            assert updated.session.instructions == "be brief"
            await conn.conversation.item.create(item=said("alpha beta"))
            await conn.response.create()
            chunks = [chunk async for chunk in conn.audio_chunks()]
            done = await conn.wait_for("response.done", timeout=5)
            item_id = done.response.output[0].id
            assert {(c.response_id, c.item_id, c.rate) for c in chunks} == {
                (done.response.id, item_id, 24000)
            }
            audio = np.concatenate([c.samples for c in chunks])
            assert np.array_equal(audio, conn.response_audio(done.response.id))
            assert len(audio) == 2 * 24000 * 200 // 1000  # two words: 150 ms tone + 50 ms
        await asyncio.sleep(0)
        left = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        assert left == [], left

    asyncio.run(main())


def test_where_a_webrtc_offer_goes(monkeypatch: pytest.MonkeyPatch) -> None:
    from realtime_sdk.client.urls import calls_url

    monkeypatch.setenv("OPENAI_BASE_URL", "https://example.test/v1/")
    assert calls_url(model="gpt-realtime") == (
        "https://example.test/v1/realtime/calls?model=gpt-realtime"
    )
    assert calls_url(base_url="http://127.0.0.1:9/v1") == "http://127.0.0.1:9/v1/realtime/calls"
    assert calls_url(url="wss://h/v1/realtime/calls?a=1", model="m", query={"b": "2"}) == (
        "https://h/v1/realtime/calls?a=1&model=m&b=2"
    )
