"""Our GPT-Live models and openai-python's agree, both ways.

- Every server event our lenient models hold, dumped to JSON, is read by openai-python's own
  `ServerEvent` (or the sideband's `ConnectServerEvent`) as the same event with the same data.
  The events are built from the spec, complete (every property), once per branch of the
  widest union they reach, so each union member appears at least once where it is reachable.
- What openai-python's `client.live.connect()` (and `client.live.sideband.connect()`) sends,
  built by its own resource methods, parses with our strict models.
"""

from __future__ import annotations

import functools
import json
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from openai.resources.live.live import LiveConnection
from openai.resources.live.sideband import SidebandConnection
from openai.types.live.client_event_param import ClientEventParam
from openai.types.live.connect_client_event_param import ConnectClientEventParam
from openai.types.live.connect_server_event import ConnectServerEvent
from openai.types.live.server_event import ServerEvent
from pydantic import TypeAdapter
from referencing import Registry
from referencing.jsonschema import DRAFT202012

from codegen import live, yamlio
from codegen.paths import SPEC_DIR
from realtime_sdk._generated import live as ours
from realtime_sdk._generated._runtime import EventValidationError, UnknownServerEvent, to_json

REF = "#/components/schemas/"
SPEC_URI = "urn:realtime-sdk:live"
DEPTH = 8  # past this, objects take their required properties only (the schemas recurse)


@functools.cache
def spec() -> dict[str, Any]:
    document: dict[str, Any] = yamlio.load_path(SPEC_DIR / live.EVENTS_FILE)
    return document


def schemas() -> dict[str, Any]:
    found: dict[str, Any] = spec()["components"]["schemas"]
    return found


@functools.cache
def registry() -> Registry[Any]:
    text = json.dumps(schemas()).replace(f'"{REF}', f'"{SPEC_URI}#/$defs/')
    resource = DRAFT202012.create_resource({"$defs": json.loads(text)})
    return Registry().with_resource(SPEC_URI, resource)


def errors_against_spec(name: str, payload: Any) -> list[str]:
    validator = Draft202012Validator({"$ref": f"{SPEC_URI}#/$defs/{name}"}, registry=registry())
    return [e.message for e in validator.iter_errors(payload)]


def example(node: Any, pick: int, depth: int = 0) -> Any:
    """A complete instance of a schema: every property, the `pick`-th branch of a union
    (modulo its size), the `pick`-th enum value, arrays of one."""
    if "$ref" in node:
        return example(schemas()[node["$ref"].removeprefix(REF)], pick, depth)
    if "enum" in node:
        return node["enum"][pick % len(node["enum"])]
    for key in ("oneOf", "anyOf"):
        if key in node:
            branches = [b for b in node[key] if b != {"type": "null"}] or node[key]
            return example(branches[pick % len(branches)], pick, depth)
    kind = node.get("type")
    if kind == "object" or "properties" in node:
        props = node.get("properties", {})
        keep = props if depth < DEPTH else {k: props[k] for k in node.get("required", [])}
        out = {name: example(sub, pick, depth + 1) for name, sub in keep.items()}
        if not props and isinstance(node.get("additionalProperties"), dict):
            out["key"] = example(node["additionalProperties"], pick, depth + 1)
        elif not props:
            out["key"] = "value"
        return out
    if kind == "array":
        items = node.get("items", {})
        return [example(items, pick, depth + 1)] if depth < DEPTH or node.get("minItems") else []
    return _scalar(node, pick)


def _scalar(node: dict[str, Any], pick: int) -> Any:
    kind = node.get("type")
    if kind == "string":
        return "s" * max(1, node.get("minLength", 1))
    if kind == "integer":
        return max(node.get("minimum", 1), 1)
    if kind == "number":
        return max(node.get("minimum", 0.5), 0.5)
    if kind == "boolean":
        return pick % 2 == 0
    if kind == "null":
        return None
    return "any"  # a schema with no type takes any value


def _local_widest(node: Any, refs: set[str]) -> int:
    """The widest union or enum inside one schema; the names it refers to go in `refs`."""
    if isinstance(node, list):
        return max([_local_widest(v, refs) for v in node], default=1)
    if not isinstance(node, dict):
        return 1
    if isinstance(node.get("$ref"), str):
        refs.add(node["$ref"].removeprefix(REF))
    here = max(len(node.get(k, [])) for k in ("oneOf", "anyOf", "enum"))
    return max([here, *(_local_widest(v, refs) for v in node.values())])


@functools.cache
def widest(name: str) -> int:
    """The most branches of any union (or values of an enum) schema `name` reaches."""
    seen: set[str] = set()
    todo, most = [name], 1
    while todo:
        current = todo.pop()
        if current in seen:
            continue
        seen.add(current)
        refs: set[str] = set()
        most = max(most, _local_widest(schemas()[current], refs))
        todo.extend(refs)
    return most


def messages(direction: str) -> list[Any]:
    """(schema name, message) of each event of one direction, as pytest params."""
    found = spec()["components"]["messages"].items()
    return [pytest.param(k, m, id=k) for k, m in found if m["x-direction"] == direction]


def complete_events(name: str) -> list[dict[str, Any]]:
    """Complete instances of an event, one per branch of the widest union it reaches, each
    checked against the spec (a failure is then never the builder's)."""
    payloads = [example(schemas()[name], pick) for pick in range(widest(name))]
    for payload in payloads:
        assert errors_against_spec(name, payload) == [], f"made an invalid {name}"
    return payloads


@pytest.mark.parametrize(("name", "message"), messages("server"))
def test_openai_reads_every_server_event_our_models_hold(
    name: str, message: dict[str, Any]
) -> None:
    # openai's primary-socket union has no session.resumed/paused; its sideband's has all
    openai_union = TypeAdapter(
        ServerEvent if "websocket" in message["x-transports"] else ConnectServerEvent
    )
    for payload in complete_events(name):
        event = ours.parse_server_event(payload)
        assert not isinstance(event, UnknownServerEvent), event.problem
        assert type(event).__name__ == name
        text = to_json(event)
        theirs = openai_union.validate_json(text)
        assert theirs.type == message["name"]
        assert theirs.model_dump(mode="json", exclude_unset=True) == json.loads(text)


class _Socket:
    """Stands in for the websocket under openai-python's connection: keeps what it sends."""

    def __init__(self) -> None:
        self.sent: list[str] = []

    def send(self, data: str, *args: Any, **kwargs: Any) -> None:
        self.sent.append(data)

    def close(self, *args: Any, **kwargs: Any) -> None:
        pass


FUNCTION = {
    "type": "function",
    "name": "lookup_order",
    "description": "Find an order by its number.",
    "parameters": {"type": "object", "properties": {"order": {"type": "string"}}},
    "strict": True,
}
FULL_SESSION: dict[str, Any] = {
    "model": "gpt-live-1",
    "instructions": "You are a helpful shop assistant.",
    "audio": {
        "format": {"type": "audio/pcm", "rate": 24000},
        "output": {"voice": "marin"},
    },
    "delegation": {
        "type": "responses",
        "acknowledgement_delay_ms": 300,
        "responses": {
            "model": "gpt-5.2",
            "instructions": "Run the tools the voice model hands you.",
            "tools": [FUNCTION],
            "tool_choice": "auto",
            "parallel_tool_calls": False,
            "max_output_tokens": 800,
        },
    },
    "input": [
        {"role": "developer", "content": [{"type": "input_text", "text": "Be brief."}]},
        {"role": "user", "content": [{"type": "input_text", "text": "Hi"}]},
        {"role": "assistant", "content": [{"type": "output_text", "text": "Hello!"}]},
    ],
    "store": False,
    "safety_identifier": "user-42",
    "client": {"data_channel": {"allowed_client_events": "all", "allowed_server_events": "all"}},
}


def _sent_by_openai() -> list[dict[str, Any]]:
    socket = _Socket()
    conn = LiveConnection(socket)  # type: ignore[arg-type]
    conn.session.start(session=FULL_SESSION, event_id="evt_start")  # type: ignore[arg-type]
    conn.session.start(session={"model": "gpt-live-1", "delegation": {"type": "client"}})
    conn.session.start(
        session={"model": "gpt-live-1.1", "audio": {"format": {"type": "audio/pcmu", "rate": 8000}}}
    )
    conn.session.input_audio.append(audio="AAAA", event_id="evt_audio")
    conn.session.input_audio.mute()
    conn.session.input_audio.unmute(event_id="evt_unmute")
    conn.session.update(session={"delegation": {"type": "client", "acknowledgement_delay_ms": 0}})
    conn.session.update(session={"delegation": None, "triggers": []})
    conn.session.instructions.append(content="Speak slowly.", delegation_id=None)
    conn.session.thinking.append(content="Order 7 is on its way.", delegation_id="del_1")
    conn.session.commentary.append(content="One moment.", delegation_id=None, event_id="evt_c")
    conn.session.output_audio.fixture.play(audio="AAAA")
    conn.response.item.create(
        item={"type": "function_call_output", "call_id": "call_1", "output": '{"status": "sent"}'}
    )
    conn.response.item.create(item={"role": "user", "content": "And order 8?"})
    conn.response.create()
    conn.response.create(event_id="evt_resp")
    conn.decision.create(event_id="evt_decide")
    conn.decision.item.create(
        item={"role": "user", "content": [{"type": "input_text", "text": "ok"}]}
    )
    conn.decision.item.delete(item_id="item_1")
    conn.session.close()
    side = SidebandConnection(socket)  # type: ignore[arg-type]
    side.transport.dtmf.send(event="5", event_id="evt_dtmf")
    return [json.loads(text) for text in socket.sent]


SENT = _sent_by_openai()


def test_openai_sends_every_client_event() -> None:
    assert {event["type"] for event in SENT} == set(ours.CLIENT_EVENT_TYPES)


@pytest.mark.parametrize("event", SENT, ids=[f"{i}-{e['type']}" for i, e in enumerate(SENT)])
def test_what_openai_sends_parses_strictly(event: dict[str, Any]) -> None:
    try:
        parsed = ours.parse_client_event(event)
    except EventValidationError as refused:
        pytest.fail(f"refused: {refused.to_error()}")
    assert parsed.type == event["type"]
    assert json.loads(to_json(parsed)) == event


@pytest.mark.parametrize(("name", "message"), messages("client"))
def test_every_client_event_the_spec_allows_parses_strictly_and_openai_types_it(
    name: str, message: dict[str, Any]
) -> None:
    """Complete client events built from the spec: our strict models take them unchanged,
    and openai-python's request types (`ClientEventParam`, the sideband's) take them too."""
    openai_union = TypeAdapter(
        ClientEventParam if "websocket" in message["x-transports"] else ConnectClientEventParam
    )
    for payload in complete_events(name):
        try:
            event = ours.parse_client_event(payload)
        except EventValidationError as refused:
            pytest.fail(f"refused: {refused.to_error()}")
        assert json.loads(to_json(event)) == payload
        assert openai_union.validate_python(payload)["type"] == message["name"]
