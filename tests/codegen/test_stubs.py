"""The generated server base, event constructors and client resources."""

from __future__ import annotations

import asyncio
import inspect
from typing import Any

import openai.resources.realtime.realtime as openai_realtime
import pytest
from pydantic import BaseModel

from realtime_sdk._generated import beta, ga
from realtime_sdk._generated._runtime import to_json
from realtime_sdk._generated.ga import server_events as s
from realtime_sdk._generated.ga import server_stub


class Recorder(ga.ServerBase):
    def __init__(self) -> None:
        self.sent: list[BaseModel] = []

    def emit(self, event: Any) -> None:
        self.sent.append(event)


def test_unimplemented_client_event_gets_a_loud_error_naming_it() -> None:
    server = Recorder()
    server.handle(ga.parse_client_event({"type": "input_audio_buffer.clear", "event_id": "c9"}))
    [event] = server.sent
    assert isinstance(event, s.ErrorEvent)
    assert event.event_id.startswith("event_")
    assert event.error.code == "unsupported_event"
    assert "input_audio_buffer.clear" in event.error.message
    assert event.error.event_id == "c9"


def test_overridden_handler_is_dispatched() -> None:
    class Clears(Recorder):
        def on_input_audio_buffer_clear(self, event: Any) -> None:
            self.emit(server_stub.input_audio_buffer_cleared())

    server = Clears()
    server.handle(ga.parse_client_event({"type": "input_audio_buffer.clear"}))
    assert [e.type for e in server.sent] == ["input_audio_buffer.cleared"]


@pytest.mark.parametrize("dialect", [ga, beta])
def test_every_client_event_has_a_handler_and_every_server_event_a_constructor(
    dialect: Any,
) -> None:
    stub = dialect.server_stub
    assert set(stub.HANDLERS) == set(dialect.CLIENT_EVENT_TYPES)
    for handler in stub.HANDLERS.values():
        assert callable(getattr(dialect.ServerBase, handler))
    for wire in dialect.SERVER_EVENT_TYPES:
        constructor = getattr(stub, wire.replace(".", "_"))
        assert inspect.signature(constructor).parameters["event_id"].default is None


def test_constructors_fill_event_id_and_type() -> None:
    event = server_stub.response_output_audio_delta(
        response_id="resp_1", item_id="item_1", output_index=0, content_index=0, delta="AAAA"
    )
    assert isinstance(event, s.ResponseOutputAudioDeltaEvent)
    assert event.type == "response.output_audio.delta"
    assert event.event_id.startswith("event_") and len(event.event_id) == len("event_") + 22
    other = server_stub.input_audio_buffer_cleared()
    assert other.event_id != event.event_id
    error = server_stub.error(
        error={"type": "invalid_request_error", "code": "x", "message": "m", "param": None,
               "event_id": None},
        event_id="event_fixed",
    )  # fmt: skip
    assert error.event_id == "event_fixed"
    assert error.error.message == "m"


def test_replies_and_transports_come_from_the_spec() -> None:
    assert server_stub.REPLIES["response.cancel"] == ("response.done",)
    assert server_stub.TRANSPORTS["input_audio_buffer.append"] == ("websocket",)
    assert "websocket" not in server_stub.TRANSPORTS["output_audio_buffer.started"]


class SyncConn(ga.ClientResources):
    def __init__(self) -> None:
        self.sent: list[BaseModel] = []

    def send(self, event: Any) -> None:
        self.sent.append(event)


def test_client_resources_send_exactly_one_typed_event_each() -> None:
    conn = SyncConn()
    conn.session.update(session={"type": "realtime", "instructions": "be brief"})
    conn.conversation.item.create(
        item={"type": "message", "role": "user", "content": [{"type": "input_text", "text": "hi"}]}
    )
    conn.input_audio_buffer.append(audio="AAAA")
    conn.input_audio_buffer.commit()
    conn.response.create()
    conn.response.cancel(response_id="resp_1", event_id="mine")
    conn.output_audio_buffer.clear()
    conn.conversation.item.truncate(item_id="item_1", content_index=0, audio_end_ms=0)
    wire = [to_json(e) for e in conn.sent]
    assert wire == [
        '{"type":"session.update","session":{"type":"realtime","instructions":"be brief"}}',
        '{"type":"conversation.item.create","item":{"type":"message","role":"user",'
        '"content":[{"type":"input_text","text":"hi"}]}}',
        '{"type":"input_audio_buffer.append","audio":"AAAA"}',
        '{"type":"input_audio_buffer.commit"}',
        '{"type":"response.create"}',
        '{"event_id":"mine","type":"response.cancel","response_id":"resp_1"}',
        '{"type":"output_audio_buffer.clear"}',
        '{"type":"conversation.item.truncate","item_id":"item_1","content_index":0,'
        '"audio_end_ms":0}',
    ]
    for text in wire:  # what the client sends, a strict server accepts
        ga.parse_client_event(text)


def test_async_client_resources() -> None:
    sent: list[BaseModel] = []

    class Conn(ga.AsyncClientResources):
        async def send(self, event: Any) -> None:
            sent.append(event)

    async def main() -> None:
        conn = Conn()
        await conn.session.update(session={"type": "realtime"})
        await conn.conversation.item.delete(item_id="item_1")

    asyncio.run(main())
    assert [e.type for e in sent] == ["session.update", "conversation.item.delete"]


def test_client_resources_mirror_openai_python() -> None:
    """Every resource method openai-python's realtime connection offers, ours offers too,
    with the same keyword parameters."""
    conn = SyncConn()
    checked = 0
    for name, cls in inspect.getmembers(openai_realtime, inspect.isclass):
        if not (name.startswith("Realtime") and name.endswith("Resource")):
            continue
        path = name[len("Realtime") : -len("Resource")]
        for method, function in cls.__dict__.items():
            if method.startswith("_") or not callable(function):
                continue
            ours: Any = conn
            for part in _snake_parts(path):
                ours = getattr(ours, part)
            params = set(inspect.signature(function).parameters) - {"self"}
            ours_params = set(inspect.signature(getattr(ours, method)).parameters)
            assert params <= ours_params, (name, method)
            checked += 1
    assert checked >= 11


def _snake_parts(pascal: str) -> list[str]:
    """`ConversationItem` -> ["conversation", "item"]; `InputAudioBuffer` -> one part."""
    known = {
        "InputAudioBuffer": ["input_audio_buffer"],
        "OutputAudioBuffer": ["output_audio_buffer"],
    }
    if pascal in known:
        return known[pascal]
    out: list[str] = []
    for ch in pascal:
        if ch.isupper():
            out.append(ch.lower())
        else:
            out[-1] += ch
    return out
