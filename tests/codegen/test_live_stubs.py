"""GPT-Live's generated server base, event constructors and client resources."""

from __future__ import annotations

import functools
import inspect
import json
from typing import Any

import pytest
from openai.resources.live.live import LiveConnection
from openai.resources.live.sideband import SidebandConnection
from openai.types.live.connect_server_event import ConnectServerEvent
from pydantic import BaseModel, TypeAdapter

from realtime_sdk._generated import live
from realtime_sdk._generated._runtime import to_json
from realtime_sdk._generated.live import server_events as s
from realtime_sdk._generated.live import server_stub


class Recorder(live.ServerBase):
    def __init__(self) -> None:
        self.sent: list[BaseModel] = []

    def emit(self, event: Any) -> None:
        self.sent.append(event)


def test_unimplemented_client_event_gets_an_error_naming_it_in_lives_words() -> None:
    server = Recorder()
    server.handle(live.parse_client_event({"type": "decision.create", "event_id": "c9"}))
    server.handle(live.parse_client_event({"type": "session.input_audio.mute"}))
    first, second = server.sent
    assert isinstance(first, s.ErrorEvent)
    assert first.error.code == "unsupported_event"
    assert "decision.create" in first.error.message
    assert first.error.client_event_id == "c9"  # Live's key; Realtime's is event_id
    assert "client_event_id" not in json.loads(to_json(second))["error"]  # absent, not null
    theirs = TypeAdapter(ConnectServerEvent).validate_json(to_json(first))
    assert theirs.type == "error" and theirs.error.client_event_id == "c9"


def test_every_client_event_has_a_handler_and_every_server_event_a_constructor() -> None:
    assert set(server_stub.HANDLERS) == set(live.CLIENT_EVENT_TYPES)
    for wire in live.SERVER_EVENT_TYPES:
        assert callable(getattr(server_stub, wire.replace(".", "_")))


SESSION = {"id": "sess_1", "expires_at": 1, "model": "gpt-live-1", "status": "active"}


def test_constructors_make_what_openai_reads() -> None:
    events = [
        server_stub.session_started(session=SESSION),
        server_stub.session_output_audio_delta(delta="AAAA", start_ms=0, end_ms=20),
        server_stub.session_output_transcript_delta(delta="Hel", start_ms=0, end_ms=200),
        server_stub.session_delegation_created(
            delegation={"id": "del_1", "target": "client", "type": "delegation"}, offset_ms=1200
        ),
        server_stub.session_closed(
            reason="close_requested", session=SESSION, usage={"seconds": 3.5}
        ),
    ]
    adapter = TypeAdapter(ConnectServerEvent)
    for event in events:
        theirs = adapter.validate_json(to_json(event))
        assert theirs.type == event.type


def test_replies_and_transports_come_from_the_spec() -> None:
    assert server_stub.REPLIES["session.start"] == ("session.started",)
    assert server_stub.REPLIES["session.close"] == ("session.closed",)
    assert server_stub.TRANSPORTS["session.start"] == ("websocket",)
    assert "webrtc" not in server_stub.TRANSPORTS["session.input_audio.append"]
    # the server's session.input_audio.append is the sideband's copy of the input
    assert server_stub.SERVER_TRANSPORTS["session.input_audio.append"] == ("sideband",)


class SyncConn(live.ClientResources):
    def __init__(self) -> None:
        self.sent: list[BaseModel] = []

    def send(self, event: Any) -> None:
        self.sent.append(event)


class _Socket:
    def __init__(self) -> None:
        self.sent: list[str] = []

    def send(self, data: str, *args: Any, **kwargs: Any) -> None:
        self.sent.append(data)


OUTPUT = {"type": "function_call_output", "call_id": "call_1", "output": '{"status": "sent"}'}
CALLS: list[tuple[str, dict[str, Any]]] = [
    ("session.start", {"session": {"model": "gpt-live-1", "delegation": {"type": "client"}}}),
    ("session.input_audio.append", {"audio": "AAAA", "event_id": "a1"}),
    ("session.input_audio.mute", {}),
    ("session.commentary.append", {"content": "One moment.", "delegation_id": "del_1"}),
    ("session.thinking.append", {"content": "Found it.", "delegation_id": None}),
    ("response.item.create", {"item": OUTPUT}),
    ("response.create", {}),
    ("session.close", {}),
]  # fmt: skip


@pytest.mark.parametrize(("path", "kwargs"), CALLS, ids=[c[0] for c in CALLS])
def test_client_resources_send_what_openai_python_sends(path: str, kwargs: dict[str, Any]) -> None:
    ours, socket = SyncConn(), _Socket()
    theirs = LiveConnection(socket)  # type: ignore[arg-type]
    for conn in (ours, theirs):
        target: Any = conn
        for part in path.split("."):
            target = getattr(target, part)
        target(**kwargs)
    [event] = ours.sent
    assert json.loads(to_json(event)) == json.loads(socket.sent[0])


def test_sideband_dtmf_is_sent_as_openai_python_sends_it() -> None:
    ours, socket = SyncConn(), _Socket()
    ours.transport.dtmf.send(event="5")
    SidebandConnection(socket).transport.dtmf.send(event="5")  # type: ignore[arg-type]
    assert json.loads(to_json(ours.sent[0])) == json.loads(socket.sent[0])


def _methods(resource: Any, path: tuple[str, ...]) -> list[tuple[tuple[str, ...], Any]]:
    """(attribute path, bound method) of every send method under one of openai's resources."""
    found: list[tuple[tuple[str, ...], Any]] = []
    for name, attribute in vars(type(resource)).items():
        if name.startswith("_"):
            continue
        value = getattr(resource, name)
        if isinstance(attribute, functools.cached_property):
            found += _methods(value, (*path, name))
        elif callable(value):
            found.append(((*path, name), value))
    return found


def test_client_resources_mirror_openai_python() -> None:
    """Every send method openai-python's Live and sideband connections offer, ours offers at
    the same place, with the same keyword parameters."""
    socket = _Socket()
    openai_connections = (LiveConnection(socket), SidebandConnection(socket))  # type: ignore[arg-type]
    checked = set()
    for connection in openai_connections:
        for root in ("session", "decision", "response", "transport"):
            if not hasattr(connection, root):
                continue
            for path, method in _methods(getattr(connection, root), (root,)):
                ours: Any = SyncConn()
                for part in path:
                    ours = getattr(ours, part)
                theirs = set(inspect.signature(method).parameters)
                assert theirs <= set(inspect.signature(ours).parameters), path
                checked.add(path)
    assert len(checked) == len(live.CLIENT_EVENT_TYPES)
