"""A hostile or sloppy client over a real websocket: each input that used to end a session
now gets the protocol's answer, and the same session completes a turn afterwards.

Server: uvicorn on 127.0.0.1 with the echo back-end and server VAD on (a real Silero model
per session), as `realtime-sdk serve --handler echo` runs it.
"""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import AsyncIterator, Iterator, Mapping
from typing import Any

import pytest
from helpers.servers import Running, serve
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from realtime_sdk.app import ServerConfig
from realtime_sdk.backends.base import ResponseEnded, TurnTakingEvent
from realtime_sdk.backends.echo import EchoBackend
from realtime_sdk.realtime.protocol.capabilities import Capabilities

KEY = "sk-hostile-client"
BETA = {"OpenAI-Beta": "realtime=v1"}
BAD_AUDIO = ["AQID", "AQ==", "QUJD=", "%%%"]  # 3 and 1 bytes of PCM16, bad padding, not base64


@pytest.fixture(scope="module")
def server() -> Iterator[Running]:
    config = ServerConfig(backend_factory=EchoBackend, api_keys=frozenset({KEY}))
    with serve(config) as running:
        yield running


def run(coro: Any) -> Any:
    return asyncio.run(asyncio.wait_for(coro, 30))


async def open_session(
    server: Running, key: str = KEY, headers: Mapping[str, str] | None = None
) -> ClientConnection:
    ws = await connect(
        server.ws_url + "?model=gpt-realtime",
        additional_headers={"Authorization": f"Bearer {key}", **(headers or {})},
        max_size=None,
    )
    assert json.loads(await ws.recv())["type"] == "session.created"
    return ws


async def next_event(ws: ClientConnection, timeout: float = 5) -> dict[str, Any]:
    event: dict[str, Any] = json.loads(await asyncio.wait_for(ws.recv(), timeout))
    return event


async def refused(ws: ClientConnection, event: dict[str, Any] | str) -> dict[str, Any]:
    """Send `event`; the next event is its `error` (returned)."""
    await ws.send(event if isinstance(event, str) else json.dumps(event))
    answer = await next_event(ws)
    assert answer["type"] == "error", answer
    error: dict[str, Any] = answer["error"]
    return error


async def text_turn(ws: ClientConnection, beta: bool = False) -> str:
    """A whole text turn; the reply's text (the echo says it back)."""
    if beta:
        session: dict[str, Any] = {"modalities": ["text"]}
        delta, updated = "response.text.delta", "session.updated"
    else:
        session = {"type": "realtime", "output_modalities": ["text"]}
        delta, updated = "response.output_text.delta", "session.updated"
    content = [{"type": "input_text", "text": "still here"}]
    await ws.send(json.dumps({"type": "session.update", "session": session}))
    while (await next_event(ws))["type"] != updated:
        pass
    item = {"type": "message", "role": "user", "content": content}
    await ws.send(json.dumps({"type": "conversation.item.create", "item": item}))
    await ws.send(json.dumps({"type": "response.create"}))
    text = []
    while True:
        event = await next_event(ws)
        assert event["type"] != "error", event
        if event["type"] == delta:
            text.append(event["delta"])
        if event["type"] == "response.done":
            assert event["response"]["status"] == "completed"
            return "".join(text)


@pytest.mark.parametrize("vad", [True, False], ids=["server-vad", "no-turn-detection"])
def test_appends_that_are_not_whole_samples_are_refused(server: Running, vad: bool) -> None:
    async def main() -> None:
        async with await open_session(server) as ws:
            if not vad:
                off = {"type": "realtime", "audio": {"input": {"turn_detection": None}}}
                await ws.send(json.dumps({"type": "session.update", "session": off}))
                assert (await next_event(ws))["type"] == "session.updated"
            for n, audio in enumerate(BAD_AUDIO):
                error = await refused(
                    ws, {"type": "input_audio_buffer.append", "audio": audio, "event_id": f"a{n}"}
                )
                assert (error["code"], error["param"]) == ("invalid_value", "audio")
                assert error["event_id"] == f"a{n}"
            assert await text_turn(ws) == "still here"

    run(main())


def test_item_audio_that_cannot_be_used_is_refused_when_it_arrives(server: Running) -> None:
    async def main() -> None:
        async with await open_session(server) as ws:
            for audio in BAD_AUDIO:
                content = [{"type": "input_audio", "audio": audio}]
                item = {"type": "message", "role": "user", "content": content}
                error = await refused(ws, {"type": "conversation.item.create", "item": item})
                assert (error["code"], error["param"]) == ("invalid_value", "item.content[0].audio")
                response = {"conversation": "none", "input": [item]}
                error = await refused(ws, {"type": "response.create", "response": response})
                assert error["param"] == "response.input[0].content[0].audio"
            assert await text_turn(ws) == "still here"

    run(main())


@pytest.mark.parametrize(
    ("audio", "param"),
    [
        (None, "session.audio"),
        ({"input": None}, "session.audio.input"),
        ({"output": None}, "session.audio.output"),
    ],
)
def test_null_where_an_object_belongs_is_refused_naming_it(
    server: Running, audio: Any, param: str
) -> None:
    async def main() -> None:
        async with await open_session(server) as ws:
            update = {"type": "session.update", "session": {"type": "realtime", "audio": audio}}
            error = await refused(ws, update)
            assert (error["code"], error["param"]) == ("invalid_type", param)
            assert await text_turn(ws) == "still here"

    run(main())


@pytest.mark.parametrize("headers", [BETA, {}], ids=["beta", "ga"])
def test_deep_json_is_invalid_json_on_both_dialects(server: Running, headers: Any) -> None:
    deep = ["[" * 100_000 + "]" * 100_000, '{"a":' * 10_000 + "1" + "}" * 10_000]

    async def main() -> None:
        async with await open_session(server, headers=headers) as ws:
            for text in deep:
                error = await refused(ws, text)
                assert error["code"] == "invalid_json"
            assert await text_turn(ws, beta=bool(headers)) == "still here"

    run(main())


class StopsTakingTurns:
    """A back-end that takes its own turns and fails once it hears anything."""

    capabilities = Capabilities(raw_input_audio=True, client_responses=False)

    def __init__(self) -> None:
        self.heard = asyncio.Event()

    async def start(self, session: Mapping[str, Any]) -> None:
        pass

    async def receive_audio(self, audio: bytes, audio_format: Any) -> None:
        self.heard.set()

    async def events(self) -> AsyncIterator[TurnTakingEvent]:
        await self.heard.wait()
        raise RuntimeError("the handler crashed")
        yield ResponseEnded()  # unreachable: makes this an async generator

    async def stop(self) -> None:
        pass


def test_a_session_that_cannot_go_on_closes_with_1011_after_saying_why() -> None:
    config = ServerConfig(backend_factory=StopsTakingTurns, turn_detection=False)

    async def main(running: Running) -> None:
        async with connect(running.ws_url) as ws:
            assert (await next_event(ws))["type"] == "session.created"
            silence = base64.b64encode(bytes(960)).decode()
            await ws.send(json.dumps({"type": "input_audio_buffer.append", "audio": silence}))
            error = (await next_event(ws))["error"]
            assert (error["type"], error["code"]) == ("server_error", "server_error")
            assert "closing" in error["message"] and "crashed" not in error["message"]
            with pytest.raises(ConnectionClosed) as closed:
                await next_event(ws)
            assert closed.value.rcvd is not None
            assert closed.value.rcvd.code == 1011

    with serve(config) as running:
        run(main(running))


def test_transcription_without_a_transcriber_fails_each_item_once(server: Running) -> None:
    """The echo back-end cannot transcribe: each committed item gets one `.failed` saying so
    (clients such as the Realtime Console wait for `.completed` or `.failed`)."""

    async def main() -> None:
        async with await open_session(server) as ws:
            audio_input = {"turn_detection": None, "transcription": {"model": "whisper-1"}}
            session = {"type": "realtime", "audio": {"input": audio_input}}
            await ws.send(json.dumps({"type": "session.update", "session": session}))
            assert (await next_event(ws))["type"] == "session.updated"
            pcm = base64.b64encode(bytes(24000 * 2 // 5)).decode()  # 200 ms
            items = []
            for _ in range(2):
                await ws.send(json.dumps({"type": "input_audio_buffer.append", "audio": pcm}))
                await ws.send(json.dumps({"type": "input_audio_buffer.commit"}))
                items.append((await next_event(ws))["item_id"])
                assert (await next_event(ws))["type"] == "conversation.item.added"
                assert (await next_event(ws))["type"] == "conversation.item.done"
                failed = await next_event(ws)
                assert failed["type"] == "conversation.item.input_audio_transcription.failed"
                assert failed["item_id"] == items[-1]
                assert "cannot transcribe" in failed["error"]["message"]
            assert await text_turn(ws) == "still here"  # and nothing else came in between

    run(main())


@pytest.mark.parametrize("key", ["sk-wrong-key-123456", None], ids=["wrong-key", "no-key"])
def test_beta_bad_key_is_an_error_event_then_close_3000(server: Running, key: str | None) -> None:
    """As the beta service did it (and beta clients expect): not an HTTP refusal."""

    async def main() -> None:
        headers = {**BETA, **({"Authorization": f"Bearer {key}"} if key else {})}
        async with connect(server.ws_url + "?model=gpt-4o-realtime-preview",
                           additional_headers=headers) as ws:  # fmt: skip
            event = await next_event(ws)
            assert event["type"] == "error" and event["event_id"].startswith("event_")
            error = event["error"]
            assert error["type"] == "invalid_request_error"
            if key:
                assert error["code"] == "invalid_api_key"
                assert error["message"].startswith("Incorrect API key provided: ")
                assert key not in error["message"]
            with pytest.raises(ConnectionClosed) as closed:
                await next_event(ws)
            assert closed.value.rcvd is not None and closed.value.rcvd.code == 3000

    run(main())
