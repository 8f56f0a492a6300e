"""Property tests: events generated from the spec's JSON Schemas go through the generated models.

Whatever the spec allows must parse as its own event class and dump back to the same JSON; a
failure here is JSON that a peer may send and our models refuse or alter.

The instances come from our own small schema-to-strategy converter, not hypothesis-jsonschema:
its newest release (0.23.1) drives `hypothesis.internal.conjecture.utils.many` through `.more()`,
which hypothesis 6.170 removed, so it raises AttributeError on every object schema. The converter
covers exactly the keywords the spec uses and refuses any other, and every instance it makes is
checked against the spec with jsonschema before it reaches a model, so a failure is never the
generator's.

Generator bugs this found (schema-valid JSON the models refused or changed) are kept in FIXED_BUGS
with the example that showed them; each is replayed before any random draw, so a regression fails
every run, not only the runs that happen to draw it.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import pytest
from helpers.canonical import canonical
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator
from pydantic import BaseModel
from referencing import Registry
from referencing.jsonschema import DRAFT202012

from codegen import yamlio
from codegen.paths import EVENTS_SPEC
from realtime_sdk._generated import beta, ga
from realtime_sdk._generated._runtime import EventValidationError, UnknownServerEvent

SPEC_URI = "urn:realtime-sdk:events"
# Integers beyond 2**53 do not survive most JSON peers (RFC 8259 section 6); stay inside.
JSON_INT = 2**53
# Keywords that say nothing about which instances are valid (OpenAPI's included).
ANNOTATIONS = frozenset(
    {"default", "description", "title", "examples", "discriminator", "nullable", "format"}
)
ASSERTIONS = frozenset(
    {
        "$ref",
        "type",
        "const",
        "enum",
        "allOf",
        "anyOf",
        "oneOf",
        "properties",
        "required",
        "additionalProperties",
        "items",
        "minItems",
        "maxItems",
        "minLength",
        "maxLength",
        "pattern",
        "minimum",
        "maximum",
        "exclusiveMinimum",
        "exclusiveMaximum",
    }
)
DIALECTS: dict[str, ModuleType] = {"ga": ga, "beta": beta}
PROPERTY_SETTINGS = settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)

JSON_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(-JSON_INT, JSON_INT)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=6)
)
JSON_VALUES = st.recursive(
    JSON_SCALARS,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=6,
)
# Field names as the protocol spells them: snake_case.
FIELD_NAMES = st.from_regex(r"[a-z][a-z0-9_]{0,11}", fullmatch=True)
URIS = st.builds(
    "{}://{}.{}{}".format,
    st.sampled_from(["https", "http", "wss"]),
    st.from_regex(r"[a-z][a-z0-9-]{0,8}", fullmatch=True),
    st.sampled_from(["com", "org", "dev"]),
    st.from_regex(r"(/[a-z0-9._-]{1,6}){0,2}/?(\?[a-z]{1,4}=[a-z0-9]{0,4})?", fullmatch=True),
) | st.builds(
    "data:image/png;base64,{}".format, st.from_regex(r"[A-Za-z0-9+/]{4,12}={0,2}", fullmatch=True)
)


@dataclass(frozen=True)
class Event:
    """One message of the spec: its schema (and class) name, dialect, direction and wire name."""

    key: str
    dialect: str
    direction: str
    name: str

    @property
    def id(self) -> str:
        return f"{self.dialect}/{self.direction}/{self.name}"

    @property
    def client(self) -> bool:
        return self.direction == "client"

    def parse(self, payload: dict[str, Any]) -> BaseModel:
        """Through the entry point a peer uses: strict for client events, lenient for server."""
        module = DIALECTS[self.dialect]
        if self.client:
            result: BaseModel = module.parse_client_event(payload)
        else:
            result = module.parse_server_event(payload)
        return result

    def model(self) -> type[BaseModel]:
        """The class named after the spec's schema, looked up independently of the parse tables."""
        module = DIALECTS[self.dialect]
        events = module.client_events if self.client else module.server_events
        model: type[BaseModel] = getattr(events, self.key)
        return model


@dataclass(frozen=True)
class Bug:
    """A generator bug: why it fails, and a schema-valid payload that shows it."""

    reason: str
    example: dict[str, Any]


URL_CHANGED = (
    "`format: uri` is generated as pydantic AnyUrl, which normalises the URL: "
    "'https://example.com' is dumped back as 'https://example.com/' (host case, default "
    "port, dot segments and IDN hosts change too); the field should stay a str"
)
TOOL_TYPE_REQUIRED = (
    "tools are a union discriminated on `type`, but FunctionTool's `type` is optional in the "
    "spec, so a function tool without `type` (the only branch it can match) is refused"
)
URL = "https://example.com"
IMAGE_ITEM = {
    "type": "message",
    "role": "user",
    "content": [{"type": "input_image", "image_url": URL}],
}
IMAGE_PROMPT = {
    "id": "pmpt_1",
    "variables": {"photo": {"type": "input_image", "detail": "auto", "image_url": URL}},
}
MCP_TOOL = {"type": "mcp", "server_label": "docs", "server_url": URL}
UNTYPED_TOOL = {"name": "lookup"}
SESSION = {"type": "realtime", "object": "realtime.session", "id": "sess_1"}


def _item_bugs(name: str, **required: Any) -> tuple[Bug, ...]:
    return (
        Bug(URL_CHANGED, {"type": name, "event_id": "event_1", **required, "item": IMAGE_ITEM}),
    )


def _response_bugs(name: str) -> tuple[Bug, ...]:
    example = {"type": name, "event_id": "event_1", "response": {"output": [IMAGE_ITEM]}}
    return (Bug(URL_CHANGED, example),)


def _session_bugs(name: str, session: dict[str, Any], *, tools: bool) -> tuple[Bug, ...]:
    def event(**fields: Any) -> dict[str, Any]:
        return {"type": name, "event_id": "event_1", "session": {**session, **fields}}

    prompt = Bug(URL_CHANGED, event(prompt=IMAGE_PROMPT))
    if not tools:
        return (prompt,)
    mcp = Bug(URL_CHANGED, event(tools=[MCP_TOOL]))
    return prompt, mcp, Bug(TOOL_TYPE_REQUIRED, event(tools=[UNTYPED_TOOL]))


OUTPUT_ITEM = {"response_id": "resp_1", "output_index": 0}
# Schema-valid events the generated models once refused or altered, by Event.id, each with the
# payload that showed it (fixed in codegen: URLs kept as text, no discriminator where a variant's
# type is optional). Replayed first in every round-trip test, so a regression fails every run.
FIXED_BUGS: dict[str, tuple[Bug, ...]] = {
    "ga/client/conversation.item.create": (
        Bug(URL_CHANGED, {"type": "conversation.item.create", "item": IMAGE_ITEM}),
    ),
    "ga/client/response.create": (
        Bug(URL_CHANGED, {"type": "response.create", "response": {"input": [IMAGE_ITEM]}}),
        Bug(URL_CHANGED, {"type": "response.create", "response": {"tools": [MCP_TOOL]}}),
        Bug(TOOL_TYPE_REQUIRED, {"type": "response.create", "response": {"tools": [UNTYPED_TOOL]}}),
    ),
    "ga/client/session.update": (
        Bug(
            URL_CHANGED,
            {"type": "session.update", "session": {"type": "realtime", "prompt": IMAGE_PROMPT}},
        ),
        Bug(
            URL_CHANGED,
            {"type": "session.update", "session": {"type": "realtime", "tools": [MCP_TOOL]}},
        ),
        Bug(
            TOOL_TYPE_REQUIRED,
            {"type": "session.update", "session": {"type": "realtime", "tools": [UNTYPED_TOOL]}},
        ),
    ),
    "beta/client/session.update": (
        Bug(
            URL_CHANGED,
            {
                "type": "session.update",
                "session": {
                    "prompt": IMAGE_PROMPT,
                },
            },
        ),
    ),
    "ga/server/conversation.item.added": _item_bugs("conversation.item.added"),
    "ga/server/conversation.item.created": _item_bugs("conversation.item.created"),
    "ga/server/conversation.item.done": _item_bugs("conversation.item.done"),
    "ga/server/conversation.item.retrieved": _item_bugs("conversation.item.retrieved"),
    "ga/server/response.output_item.added": _item_bugs("response.output_item.added", **OUTPUT_ITEM),
    "ga/server/response.output_item.done": _item_bugs("response.output_item.done", **OUTPUT_ITEM),
    "ga/server/response.created": _response_bugs("response.created"),
    "ga/server/response.done": _response_bugs("response.done"),
    "ga/server/session.created": _session_bugs("session.created", SESSION, tools=True),
    "ga/server/session.updated": _session_bugs("session.updated", SESSION, tools=True),
    # Beta sessions have no `type` and their tools are function tools only.
    # (Beta items are the flat beta item, with no image URL: the item bugs are GA only.)
    "beta/server/session.created": _session_bugs("session.created", {"id": "sess_1"}, tools=False),
    "beta/server/session.updated": _session_bugs("session.updated", {"id": "sess_1"}, tools=False),
}
# Unknown server events whose event_id is missing or not a string: once given an "event_id": null,
# now kept as they came.
UNKNOWN_EVENT_CASES: dict[str, tuple[dict[str, Any], str]] = {
    "no-event_id": (
        {"type": "thing.happened", "note": "x"},
        'comes back with an "event_id": null it did not have',
    ),
    "numeric-event_id": (
        {"type": "thing.happened", "event_id": 7},
        "event_id 7 comes back as null",
    ),
}


@functools.cache
def spec() -> dict[str, Any]:
    return dict(yamlio.load_path(EVENTS_SPEC))


def _rewrite_refs(node: Any) -> Any:
    """The spec's schemas with `#/components/schemas/X` pointing at `SPEC_URI#/$defs/X`."""
    if isinstance(node, list):
        return [_rewrite_refs(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {key: _rewrite_refs(value) for key, value in node.items() if not key.startswith("x-")}
    if isinstance(out.get("$ref"), str):
        out["$ref"] = out["$ref"].replace("#/components/schemas/", f"{SPEC_URI}#/$defs/")
    return out


@functools.cache
def defs() -> dict[str, Any]:
    schemas: dict[str, Any] = _rewrite_refs(spec()["components"]["schemas"])
    return schemas


@functools.cache
def registry() -> Registry[Any]:
    spec_resource = DRAFT202012.create_resource({"$defs": defs()})
    found: Registry[Any] = Registry().with_resource(SPEC_URI, spec_resource)
    return found


def validator(node: Any) -> Draft202012Validator:
    """A 2020-12 validator of one schema node, its refs resolved against the whole spec."""
    return Draft202012Validator(node, registry=registry())


@functools.cache
def events() -> list[Event]:
    found = [
        Event(
            key=message["payload"]["$ref"].rsplit("/", 1)[1],
            dialect=message["x-dialect"],
            direction=message["x-direction"],
            name=message["name"],
        )
        for message in spec()["components"]["messages"].values()
    ]
    return sorted(found, key=lambda event: event.id)


def implied_type(node: dict[str, Any]) -> str | None:
    """The type a typeless schema means. Beta's `modalities` has `items` but no `type`: strictly
    it also allows any non-array, but the models, like every peer, take it as an array."""
    if {"properties", "required", "additionalProperties"} & set(node):
        return "object"
    return "array" if "items" in node else None


class Strategies:
    """Hypothesis strategies for the spec's schemas.

    `closed`: objects that list their properties get no others. The strict parser refuses
    unknown fields by design (as the service does) while upstream's schemas leave most objects
    open, so client events are generated closed; server events stay open and get extra fields,
    which the lenient parser must keep.
    """

    def __init__(self, *, closed: bool) -> None:
        self.closed = closed
        self._named: dict[str, st.SearchStrategy[Any]] = {}

    def named(self, name: str) -> st.SearchStrategy[Any]:
        if name not in self._named:
            self._named[name] = st.deferred(lambda: self.of(defs()[name]))
        return self._named[name]

    def of(self, node: Any) -> st.SearchStrategy[Any]:
        if node is True:
            return JSON_VALUES
        if node is False:
            return st.nothing()
        unsupported = {key for key in node if key not in ASSERTIONS | ANNOTATIONS}
        if unsupported:
            raise NotImplementedError(f"schema keywords the generator lacks: {sorted(unsupported)}")
        rest = set(node) & ASSERTIONS
        if "$ref" in node:
            base = self.named(node["$ref"].rsplit("/", 1)[1])
            return base if rest == {"$ref"} else base.filter(validator(node).is_valid)
        if "const" in node:
            return st.just(node["const"])
        if "enum" in node:
            check = validator(node)
            return st.sampled_from([value for value in node["enum"] if check.is_valid(value)])
        for keyword in ("allOf", "anyOf", "oneOf"):
            if keyword in node:
                branches = [self.of(branch) for branch in node[keyword]]
                union = branches[0] if keyword == "allOf" else st.one_of(branches)
                # oneOf needs exactly one match; allOf and siblings need all of them.
                exact = keyword == "anyOf" and rest == {"anyOf"}
                return union if exact else union.filter(validator(node).is_valid)
        kinds = node.get("type", implied_type(node))
        if kinds is None:
            return JSON_VALUES
        if isinstance(kinds, list):
            return st.one_of([self.of({**node, "type": kind}) for kind in kinds])
        return self._typed(kinds, node)

    def _typed(self, kind: str, node: dict[str, Any]) -> st.SearchStrategy[Any]:
        if kind == "object":
            return self._object(node)
        if kind == "array":
            items = self.of(node.get("items", True))
            return st.lists(
                items, min_size=node.get("minItems", 0), max_size=node.get("maxItems", 3)
            )
        if kind == "string":
            low, high = node.get("minLength", 0), node.get("maxLength", math.inf)
            if node.get("format") == "uri":
                return URIS.filter(lambda text: low <= len(text) <= high)
            if "pattern" in node:
                # JSON Schema searches for the pattern; a full match is one such string
                matching = st.from_regex(node["pattern"], fullmatch=True)
                return matching.filter(lambda text: low <= len(text) <= high)
            return st.text(min_size=low, max_size=min(max(low, 8), high))
        if kind in ("integer", "number"):
            return self._number(kind, node)
        if kind == "boolean":
            return st.booleans()
        if kind == "null":
            return st.none()
        raise NotImplementedError(f"type {kind!r}")

    def _number(self, kind: str, node: dict[str, Any]) -> st.SearchStrategy[Any]:
        """Integers wherever numbers are allowed too: JSON does not tell 1 from 1.0."""
        low = node.get("minimum", node.get("exclusiveMinimum", -JSON_INT))
        high = node.get("maximum", node.get("exclusiveMaximum", JSON_INT))
        check = validator(node)
        integers = (
            st.integers(math.ceil(low), math.floor(high)).filter(check.is_valid)
            if math.ceil(low) <= math.floor(high)
            else st.nothing()
        )
        if kind == "integer":
            return integers
        floats = st.floats(
            low,
            high,
            allow_nan=False,
            allow_infinity=False,
            exclude_min="exclusiveMinimum" in node,
            exclude_max="exclusiveMaximum" in node,
        )
        return integers | floats

    def _object(self, node: dict[str, Any]) -> st.SearchStrategy[Any]:
        properties: dict[str, Any] = node.get("properties", {})
        required = set(node.get("required", []))
        fixed = st.fixed_dictionaries(
            {key: self.of(properties.get(key, True)) for key in sorted(required)},
            optional={
                key: self.of(value) for key, value in properties.items() if key not in required
            },
        )
        others = node.get("additionalProperties")
        if others is False or (others is None and properties and self.closed):
            return fixed
        if others is None and not properties:  # a free-form object
            return st.dictionaries(st.text(max_size=8), JSON_VALUES, max_size=3)
        names = FIELD_NAMES.filter(lambda name: name not in properties)
        extra = st.dictionaries(names, self.of(True if others is None else others), max_size=2)
        return st.tuples(fixed, extra).map(lambda parts: {**parts[1], **parts[0]})


@functools.cache
def strategies(closed: bool) -> Strategies:
    return Strategies(closed=closed)


def payloads(event: Event) -> st.SearchStrategy[dict[str, Any]]:
    strategy: st.SearchStrategy[dict[str, Any]] = strategies(event.client).named(event.key)
    return strategy


def dumped(event: BaseModel) -> Any:
    return event.model_dump(mode="json", by_alias=True, exclude_unset=True)


def assert_in_spec(event: Event, payload: dict[str, Any]) -> None:
    """The generator's own check: what it made is valid against the spec."""
    errors = list(validator({"$ref": f"{SPEC_URI}#/$defs/{event.key}"}).iter_errors(payload))
    assert not errors, f"generator made an invalid {event.key}: {[e.message for e in errors]}"


def assert_round_trips(event: Event, payload: dict[str, Any]) -> None:
    """Parsed as its own class and dumped back to the same JSON."""
    parsed = event.parse(payload)
    problem = parsed.problem if isinstance(parsed, UnknownServerEvent) else None
    assert type(parsed) is event.model(), f"parsed as {type(parsed).__name__}: {problem}"
    after = dumped(parsed)
    if canonical(after) != canonical(payload):  # not `assert`: pytest's diff of these is slow
        raise AssertionError(f"dumped back as {after}")


def params(selected: list[Event]) -> list[Any]:
    """One parameter per event."""
    return [pytest.param(event, id=event.id) for event in selected]


ALL_EVENTS = params(events())
CLIENT_EVENTS = params([e for e in events() if e.client])
SERVER_EVENTS = params([e for e in events() if not e.client])
EVENT_TYPES = st.from_regex(r"[a-z_]{3,12}\.[a-z_]{3,12}", fullmatch=True)


def test_every_message_has_its_class_in_the_parse_tables() -> None:
    """The parametrized tests below cover exactly the events the parsers know."""
    for dialect, module in DIALECTS.items():
        mine = [e for e in events() if e.dialect == dialect]
        for client, table in (
            (True, module.CLIENT_EVENT_TYPES),
            (False, module.SERVER_EVENT_TYPES),
        ):
            assert dict(table) == {e.name: e.model() for e in mine if e.client == client}


def fixed_bug_params() -> list[Any]:
    by_id = {event.id: event for event in events()}
    return [
        pytest.param(by_id[event_id], bug, id=f"{event_id}#{index}")
        for event_id, bugs in FIXED_BUGS.items()
        for index, bug in enumerate(bugs)
        if event_id in by_id
    ]


def test_fixed_bugs_name_events() -> None:
    """An entry for an event the spec dropped or renamed would otherwise linger unchecked."""
    assert set(FIXED_BUGS) <= {event.id for event in events()}


@pytest.mark.parametrize(("event", "bug"), fixed_bug_params())
def test_fixed_bug_example_round_trips(event: Event, bug: Bug) -> None:
    """Each recorded example is allowed by the spec and parses and dumps back unchanged."""
    assert_in_spec(event, bug.example)
    assert_round_trips(event, bug.example)


@pytest.mark.parametrize("event", ALL_EVENTS)
@PROPERTY_SETTINGS
@given(data=st.data())
def test_generated_event_round_trips(event: Event, data: st.DataObject) -> None:
    """Any instance of an event's schema parses as its class and dumps back unchanged."""
    for bug in FIXED_BUGS.get(event.id, ()):
        assert_round_trips(event, bug.example)  # first, so that a regression fails every run
    payload = data.draw(payloads(event), label="payload")
    assert_in_spec(event, payload)
    assert_round_trips(event, payload)


@pytest.mark.parametrize("event", CLIENT_EVENTS)
@settings(PROPERTY_SETTINGS, max_examples=8)
@given(data=st.data())
def test_strict_parse_refuses_an_unknown_top_level_field(event: Event, data: st.DataObject) -> None:
    """A field the protocol lacks is named back to the client, even on an otherwise valid event."""
    payload = {**data.draw(payloads(event), label="payload"), "zz_unknown": 1}
    with pytest.raises(EventValidationError) as refused:
        event.parse(payload)
    assert (refused.value.code, refused.value.param) == ("unknown_parameter", "zz_unknown")
    assert refused.value.event_id == payload.get("event_id")


@pytest.mark.parametrize("event", SERVER_EVENTS)
@settings(PROPERTY_SETTINGS, max_examples=5)
@given(data=st.data())
def test_lenient_parse_keeps_an_extra_top_level_field(event: Event, data: st.DataObject) -> None:
    """A field a newer server adds survives parsing and dumping, next to the known ones."""
    value: Any
    payload = data.draw(payloads(event), label="payload")
    name = data.draw(FIELD_NAMES.filter(lambda name: name not in payload), label="name")
    value = data.draw(JSON_VALUES, label="value")
    payload = {**payload, name: value}
    assert_round_trips(event, payload)
    assert canonical(dumped(event.parse(payload))[name]) == canonical(value)


def unknown_events(dialect: str) -> st.SearchStrategy[dict[str, Any]]:
    """Events of a type the dialect does not know, with a string event_id and any other fields."""
    module = DIALECTS[dialect]
    known = set(module.SERVER_EVENT_TYPES) | set(module.CLIENT_EVENT_TYPES)
    fields = st.dictionaries(
        FIELD_NAMES.filter(lambda name: name not in ("type", "event_id")), JSON_VALUES, max_size=4
    )
    return st.builds(
        lambda kind, event_id, rest: {**rest, "type": kind, "event_id": event_id},
        EVENT_TYPES.filter(lambda kind: kind not in known),
        st.text(max_size=12),
        fields,
    )


@pytest.mark.parametrize("dialect", sorted(DIALECTS))
@settings(PROPERTY_SETTINGS, max_examples=50)
@given(data=st.data())
def test_unknown_server_event_type_is_kept_whole(dialect: str, data: st.DataObject) -> None:
    """An event type from a newer server comes back as UnknownServerEvent with every field."""
    payload = data.draw(unknown_events(dialect), label="payload")
    parsed = DIALECTS[dialect].parse_server_event(payload)
    assert isinstance(parsed, UnknownServerEvent)
    assert (parsed.type, parsed.problem) == (payload["type"], None)
    assert canonical(dumped(parsed)) == canonical(payload)


@pytest.mark.parametrize(
    "payload",
    [pytest.param(payload, id=name) for name, (payload, _why) in UNKNOWN_EVENT_CASES.items()],
)
@pytest.mark.parametrize("dialect", sorted(DIALECTS))
def test_unknown_server_event_without_a_string_event_id_is_kept_whole(
    dialect: str, payload: dict[str, Any]
) -> None:
    """The same for the event_id a peer may leave out or mistype: kept as it came."""
    parsed = DIALECTS[dialect].parse_server_event(payload)
    assert isinstance(parsed, UnknownServerEvent)
    assert canonical(dumped(parsed)) == canonical(payload)
