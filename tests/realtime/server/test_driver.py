"""The asyncio driver with the echo back-end over an in-process channel."""

from __future__ import annotations

import asyncio
import base64
import gc
import json
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import numpy as np
import pytest
from helpers import memory_session
from helpers.memory_session import EventClient

from realtime_sdk.backends.base import BackendError, ResponsePiece, ResponseRequest, TextDelta
from realtime_sdk.backends.echo import EchoBackend
from realtime_sdk.realtime.protocol.session import Capabilities, Session
from realtime_sdk.realtime.server.driver import SessionDriver
from realtime_sdk.transports.memory import MemoryTransport


class Client(EventClient):
    timeout = 5.0


async def drive(
    backend: Any,
    script: Callable[[Client], Awaitable[None]],
    channel_size: int = 64,
    **session: Any,
) -> None:
    """One session over a MemoryTransport holding `channel_size` frames each way."""
    await memory_session.drive(
        backend, script, Client, channel_size=channel_size, stop_timeout=5, **session
    )


def run(backend: Any, script: Callable[[Client], Awaitable[None]], **session: Any) -> None:
    async def main() -> None:
        await drive(backend, script, **session)
        leftovers = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        assert leftovers == [], leftovers

    asyncio.run(main())


def user_text(text: str) -> dict[str, Any]:
    return {
        "type": "conversation.item.create",
        "item": {
            "type": "message",
            "role": "user",
            "content": [{"type": "input_text", "text": text}],
        },
    }


def test_text_turn_echoes_text() -> None:
    async def script(client: Client) -> None:
        text_only = {"type": "realtime", "output_modalities": ["text"]}
        await client.send({"type": "session.update", "session": text_only})
        await client.until("session.updated")
        await client.send(user_text("hello there"))
        await client.until("conversation.item.done")
        await client.send({"type": "response.create"})
        events = await client.until("response.done")
        text = "".join(e["delta"] for e in events if e["type"] == "response.output_text.delta")
        assert text == "hello there"
        assert events[-1]["response"]["status"] == "completed"

    run(EchoBackend(), script)


def test_text_turn_in_audio_mode_gives_audio_and_transcript() -> None:
    async def script(client: Client) -> None:
        await client.send(user_text("one two three"))
        await client.send({"type": "response.create"})
        events = await client.until("response.done")
        transcript = [e for e in events if e["type"] == "response.output_audio_transcript.done"]
        assert transcript[0]["transcript"] == "one two three"
        audio = b"".join(
            base64.b64decode(e["delta"])
            for e in events
            if e["type"] == "response.output_audio.delta"
        )
        ms = len(audio) // 2 * 1000 // 24000
        assert abs(ms - 3 * 200) <= 30  # a 200 ms tone slot per word

    run(EchoBackend(), script)


def test_audio_turn_is_answered_with_the_same_audio() -> None:
    async def script(client: Client) -> None:
        t = np.arange(24000 * 400 // 1000) / 24000
        voice = (8000 * np.sin(2 * np.pi * 440 * t)).astype(np.int16)
        for start in range(0, len(voice), 480):
            chunk = voice[start : start + 480].tobytes()
            await client.send({"type": "input_audio_buffer.append",
                               "audio": base64.b64encode(chunk).decode()})  # fmt: skip
        await client.send({"type": "input_audio_buffer.commit"})
        await client.until("conversation.item.done")
        await client.send({"type": "response.create"})
        events = await client.until("response.done")
        deltas = [e["delta"] for e in events if e["type"] == "response.output_audio.delta"]
        back = np.frombuffer(b"".join(base64.b64decode(d) for d in deltas), dtype=np.int16)
        assert len(back) == len(voice)
        assert np.array_equal(back, voice)

    run(EchoBackend(), script, config={"audio": {"input": {"turn_detection": None}}})


def test_function_call_round_trip_through_the_echo_backend() -> None:
    async def script(client: Client) -> None:
        tool = {"type": "function", "name": "get_weather", "parameters": {"type": "object"}}
        await client.send({"type": "session.update", "session": {"type": "realtime",
                           "output_modalities": ["text"], "tools": [tool]}})  # fmt: skip
        await client.send(user_text('call get_weather {"city": "Oslo"}'))
        await client.send({"type": "response.create"})
        events = await client.until("response.done")
        [done] = [e for e in events if e["type"] == "response.function_call_arguments.done"]
        assert done["name"] == "get_weather" and json.loads(done["arguments"]) == {"city": "Oslo"}
        output = {"type": "function_call_output", "call_id": done["call_id"], "output": "sunny"}
        await client.send({"type": "conversation.item.create", "item": output})
        await client.send({"type": "response.create"})
        events = await client.until("response.done")
        text = "".join(e["delta"] for e in events if e["type"] == "response.output_text.delta")
        assert text == "sunny"

    run(EchoBackend(), script)


class Slow:
    """Streams a word every 20 ms until cancelled; records that it was."""

    capabilities = Capabilities()

    def __init__(self) -> None:
        self.cancelled = asyncio.Event()

    async def respond(self, request: ResponseRequest) -> AsyncIterator[ResponsePiece]:
        try:
            for index in range(10_000):
                yield TextDelta(f"w{index} ")
                await asyncio.sleep(0.02)
        finally:
            self.cancelled.set()


def test_cancel_mid_stream_stops_the_backend() -> None:
    backend = Slow()

    async def script(client: Client) -> None:
        await client.send({"type": "response.create"})
        await client.until("response.output_audio_transcript.delta")
        await client.send({"type": "response.cancel"})
        events = await client.until("response.done")
        assert events[-1]["response"]["status"] == "cancelled"
        await asyncio.wait_for(backend.cancelled.wait(), 2)

    run(backend, script)


class Broken:
    capabilities = Capabilities()

    def __init__(self, error: Exception) -> None:
        self.error = error

    async def respond(self, request: ResponseRequest) -> AsyncIterator[ResponsePiece]:
        yield TextDelta("about to ")
        raise self.error


def test_backend_that_raises_fails_the_response_and_the_session_goes_on() -> None:
    """A BackendError's words reach the client; any other exception's do not (they are
    a Python traceback's, for the log), only that the back-end failed."""

    async def script(client: Client, wanted: str, unwanted: str) -> None:
        await client.send({"type": "response.create"})
        events = await client.until("response.done")
        details = events[-1]["response"]["status_details"]
        assert events[-1]["response"]["status"] == "failed"
        assert details["error"]["type"] == "server_error"
        assert wanted in details["error"]["message"]
        assert unwanted not in details["error"]["message"]
        await client.send({"type": "input_audio_buffer.clear"})
        await client.until("input_audio_buffer.cleared")

    bug = Broken(KeyError("secret_internal_name"))
    run(bug, lambda c: script(c, "The back-end failed", "secret_internal_name"))
    told = Broken(BackendError("the model server answered 503"))
    run(told, lambda c: script(c, "the model server answered 503", "Traceback"))


def test_client_leaving_mid_response_leaves_no_task_behind() -> None:
    backend = Slow()

    async def script(client: Client) -> None:
        await client.send({"type": "response.create"})
        await client.until("response.output_audio_transcript.delta")

    run(backend, script)  # `run` asserts no task is left
    assert backend.cancelled.is_set()


def test_a_session_that_ended_mid_response_is_freed_without_the_collector() -> None:
    """Nothing of an ended session waits for a full collection (which a server that froze
    its heap runs rarely): a response under way refers back to its session, so the
    driver drops it when the connection ends."""
    sessions: list[weakref.ref[Session]] = []

    async def main() -> None:
        client_end, server_end = MemoryTransport.pair()
        session = Session()
        sessions.append(weakref.ref(session))
        driver = SessionDriver(server_end, session, Slow())
        task = asyncio.create_task(driver.run())
        client = Client(client_end)
        await client.until("session.created")
        await client.send({"type": "response.create"})
        await client.until("response.output_audio_transcript.delta")
        await client_end.close()
        await asyncio.wait_for(task, 5)
        del session, driver, task

    gc.collect()
    gc.disable()
    try:
        asyncio.run(main())
        assert sessions[0]() is None
    finally:
        gc.enable()


def test_g711_in_and_out() -> None:
    """A telephony session: mu-law in, A-law out; the echo comes back in the output format."""
    from realtime_sdk.audio import PCMA, PCMU, decode, encode

    t = np.arange(8000 * 300 // 1000) / 8000
    voice = (8000 * np.sin(2 * np.pi * 300 * t)).astype(np.int16)
    wire = encode(voice, PCMU)

    async def script(client: Client) -> None:
        await client.send({"type": "session.update", "session": {"type": "realtime", "audio": {
            "input": {"format": {"type": "audio/pcmu"}, "turn_detection": None},
            "output": {"format": {"type": "audio/pcma"}}}}})  # fmt: skip
        await client.until("session.updated")
        for start in range(0, len(wire), 160):
            chunk = base64.b64encode(wire[start : start + 160]).decode()
            await client.send({"type": "input_audio_buffer.append", "audio": chunk})
        await client.send({"type": "input_audio_buffer.commit"})
        await client.send({"type": "response.create"})
        events = await client.until("response.done")
        deltas = [e["delta"] for e in events if e["type"] == "response.output_audio.delta"]
        back = decode(b"".join(base64.b64decode(d) for d in deltas), PCMA)
        assert len(back) == len(voice)
        # mu-law then A-law quantisation: close, not equal
        assert np.corrcoef(back.astype(float), voice.astype(float))[0, 1] > 0.999

    run(EchoBackend(), script)


class Transcribing(EchoBackend):
    """The echo back-end plus a transcriber that names the audio's length."""

    capabilities = Capabilities(transcription=True)

    async def transcribe(self, request: Any) -> AsyncIterator[str]:
        ms = request.audio_format.duration_ms(len(request.audio))
        yield "about "
        yield f"{ms} ms"


def test_input_transcription_events_follow_the_commit() -> None:
    async def script(client: Client) -> None:
        audio_input = {"transcription": {"model": "whisper-1"}, "turn_detection": None}
        session = {"type": "realtime", "audio": {"input": audio_input}}
        await client.send({"type": "session.update", "session": session})
        await client.until("session.updated")
        chunk = base64.b64encode(b"\x00\x00" * 4800).decode()
        await client.send({"type": "input_audio_buffer.append", "audio": chunk})
        await client.send({"type": "input_audio_buffer.commit"})
        events = await client.until("conversation.item.input_audio_transcription.completed")
        deltas = [e for e in events if e["type"].endswith("transcription.delta")]
        assert "".join(e["delta"] for e in deltas) == "about 200 ms"
        assert events[-1]["transcript"] == "about 200 ms"
        assert events[-1]["item_id"] == events[0]["item_id"]

    run(Transcribing(), script)


class Hasty:
    """A responder that makes its whole reply without ever waiting."""

    capabilities = Capabilities(function_calls=False)

    async def respond(self, request: ResponseRequest) -> AsyncIterator[ResponsePiece]:
        for i in range(3000):
            yield TextDelta(f"w{i} ")


def test_a_reply_made_without_waiting_does_not_hold_the_loop() -> None:
    """Sends that do not block do not suspend; the driver still turns the loop now and then,
    so the client's cancel is read while such a reply is being made."""

    async def script(client: Client) -> None:
        text_only = {"type": "realtime", "output_modalities": ["text"]}
        await client.send({"type": "session.update", "session": text_only})
        await client.until("session.updated")
        await client.send(user_text("go"))
        await client.send({"type": "response.create"})
        await client.until("response.output_text.delta")
        await client.send({"type": "response.cancel"})
        events = await client.until("response.done")
        assert events[-1]["response"]["status"] == "cancelled"
        deltas = [e for e in client.seen if e["type"] == "response.output_text.delta"]
        assert len(deltas) < 3000

    asyncio.run(drive(Hasty(), script, channel_size=100_000))  # a socket that never blocks


def test_a_session_built_for_other_capabilities_is_refused() -> None:
    """The session accepts what its back-end can do, fixed when it is made: the driver
    does not change it behind the session's back."""
    _, server_end = MemoryTransport.pair()
    session = Session(capabilities=Capabilities(function_calls=False))
    with pytest.raises(ValueError, match="capabilities"):
        SessionDriver(server_end, session, EchoBackend())
