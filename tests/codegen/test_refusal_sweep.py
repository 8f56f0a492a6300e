"""Every field of every client event, given a wrong value in turn, is named back as `param`.

Driven by the spec, not by a hand list: for each client message (GA and beta) the sweep builds a
structurally valid event that reaches each field (through every union branch, list item and map
value), then replaces that one field with a value the spec does not allow: another JSON type,
`null` where the spec does not allow null, a string outside an enum, a number outside the
spec's bounds, a string over its maximum length. The strict parser must refuse it with
`invalid_type` or `invalid_value` and `param` = the path of that field.

Every mutated event is first checked against the spec (with objects closed, as the strict parser
reads them), so a case is only run when the spec itself refuses it.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterator
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import pytest
from hypothesis import find
from hypothesis.strategies import from_regex
from jsonschema import Draft202012Validator
from referencing import Registry
from referencing.jsonschema import DRAFT202012

from codegen import nulls, yamlio
from codegen.paths import EVENTS_SPEC
from realtime_sdk._generated import beta, ga
from realtime_sdk._generated._runtime import EventValidationError

SPEC_URI = "urn:realtime-sdk:closed-events"
DIALECTS: dict[str, ModuleType] = {"ga": ga, "beta": beta}
# One value of each JSON type; a field gets every one its schema refuses.
PROBES: tuple[Any, ...] = (None, True, 7, 2.5, "zz_wrong", [7], {"zz_wrong": 7})
Path = tuple[str | int, ...]
# Fields a union's object members are told apart by: `sample` writes them even when optional.
TAGS = frozenset({"type"})


@functools.cache
def spec() -> dict[str, Any]:
    return dict(yamlio.load_path(EVENTS_SPEC))


def schemas() -> dict[str, Any]:
    found: dict[str, Any] = spec()["components"]["schemas"]
    return found


def _closed(node: Any) -> Any:
    """The spec's schemas as the strict parser reads them: an object that lists its
    properties has no others, a typeless schema with `items` is an array (beta's
    `modalities`); refs point into this document."""
    if isinstance(node, list):
        return [_closed(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {key: _closed(value) for key, value in node.items() if not key.startswith("x-")}
    if isinstance(out.get("$ref"), str):
        out["$ref"] = out["$ref"].replace("#/components/schemas/", f"{SPEC_URI}#/$defs/")
    if "properties" in out and "additionalProperties" not in out:
        out["additionalProperties"] = False
    if "items" in out and "type" not in out:
        out["type"] = "array"
    return out


@functools.cache
def registry() -> Registry[Any]:
    resource = DRAFT202012.create_resource({"$defs": _closed(schemas())})
    found: Registry[Any] = Registry().with_resource(SPEC_URI, resource)
    return found


def valid(node: Any, value: Any) -> bool:
    return bool(Draft202012Validator(_closed(node), registry=registry()).is_valid(value))


def deref(node: Any) -> tuple[dict[str, Any], str | None]:
    """A schema node with its `$ref` followed (siblings such as `default` kept), and the
    name of the schema it came from, if any."""
    name = None
    while isinstance(node, dict) and "$ref" in node:
        name = node["$ref"].rsplit("/", 1)[1]
        node = {**schemas()[name], **{k: v for k, v in node.items() if k != "$ref"}}
    return node, name


def branches(node: dict[str, Any]) -> list[Any]:
    return [
        branch
        for key in ("oneOf", "anyOf")
        for branch in node.get(key, [])
        if branch != {"type": "null"}
    ]


def kinds(node: dict[str, Any]) -> list[str]:
    declared = node.get("type")
    if declared is None:
        if "properties" in node or "required" in node or "additionalProperties" in node:
            return ["object"]
        return ["array"] if "items" in node else []
    return [declared] if isinstance(declared, str) else list(declared)


def sample(node: Any) -> Any:
    """The smallest valid instance of a schema; objects carry their `type` tag when they
    declare one, so that a union picks the branch the instance was made from."""
    node, _ = deref(node)
    if "const" in node:
        return node["const"]
    if "enum" in node:
        return next(value for value in node["enum"] if value is not None)
    options = branches(node)
    if options:
        return sample(options[0])
    kind = next((k for k in kinds(node) if k != "null"), None)
    if kind == "object":
        properties = node.get("properties", {})
        keep = set(node.get("required", []))
        keep |= {p for p in properties if p in TAGS and _fixed(properties[p])}
        return {p: sample(properties[p]) for p in properties if p in keep}
    if kind == "array":
        return [sample(node.get("items", {}))] * node.get("minItems", 0)
    if kind == "string":
        if "pattern" in node:
            return smallest_match(node["pattern"])
        return "x" * max(1, node.get("minLength", 0))
    if kind in ("integer", "number"):
        return node.get("minimum", 1)
    if kind == "boolean":
        return True
    return {} if kind is None else None


@functools.cache
def smallest_match(pattern: str) -> str:
    """The simplest string matching a `pattern` (hypothesis shrinks to it, the same each time)."""
    found: str = find(from_regex(pattern, fullmatch=True), lambda _: True)
    return found


def _fixed(node: Any) -> bool:
    node, _ = deref(node)
    return "const" in node or ("enum" in node and len(node["enum"]) == 1)


@dataclass(frozen=True)
class Case:
    event: dict[str, Any]
    path: Path
    leaf: dict[str, Any]
    where: tuple[str, str]  # (schema name, path inside it): what codegen's tables are keyed by


def walk(
    node: Any, where: tuple[str, str], seen: frozenset[str]
) -> Iterator[tuple[Any, Path, Any, tuple[str, str]]]:
    """(instance, path, leaf schema, leaf location) for every field under `node`; each
    instance is valid and holds the path."""
    node, name = deref(node)
    if name is not None:
        if name in seen:
            return
        seen = seen | {name}
        where = (name, "")
    for branch in branches(node):
        yield from walk(branch, where, seen)
    if "object" in kinds(node):
        base = sample(node) if not branches(node) else {}
        for prop, sub in node.get("properties", {}).items():
            inner = (where[0], f"{where[1]}.{prop}".lstrip("."))
            yield {**base, prop: sample(sub)}, (prop,), sub, inner
            for value, path, leaf, at in walk(sub, inner, seen):
                yield {**base, prop: value}, (prop, *path), leaf, at
        others = node.get("additionalProperties")
        if isinstance(others, dict):
            inner = (where[0], f"{where[1]}.*".lstrip("."))
            yield {**base, "k": sample(others)}, ("k",), others, inner
            for value, path, leaf, at in walk(others, inner, seen):
                yield {**base, "k": value}, ("k", *path), leaf, at
    if "array" in kinds(node) and "items" in node:
        inner = (where[0], f"{where[1]}[]")
        yield [sample(node["items"])], (0,), node["items"], inner
        for value, path, leaf, at in walk(node["items"], inner, seen):
            yield [value], (0, *path), leaf, at


def admitted(node: Any) -> set[str]:
    """JSON types a schema lets through (an integer is also a number)."""
    node, _ = deref(node)
    found: set[str] = set()
    values = [node["const"]] if "const" in node else node.get("enum", [])
    found |= {json_type(value) for value in values}
    for key in ("oneOf", "anyOf", "allOf"):
        for branch in node.get(key, []):
            found |= admitted(branch)
    if not found and not any(k in node for k in ("const", "enum", "oneOf", "anyOf", "allOf")):
        found |= set(kinds(node)) or {"any"}
    if "number" in found:
        found.add("integer")
    return found


def json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"


def wrong_values(leaf: Any) -> list[tuple[str, Any]]:
    """(expected code, value) for each value the leaf schema refuses."""
    node, _ = deref(leaf)
    allowed = admitted(node)
    out: list[tuple[str, Any]] = []
    for probe in PROBES:
        kind = json_type(probe)
        if kind in allowed and kind in ("array", "object"):
            continue  # the right type with wrong contents: a field further down is wrong
        if not valid(node, probe):
            out.append(("invalid_value" if kind in allowed else "invalid_type", probe))
    for limit, step in (("minimum", -1), ("maximum", 1)):
        for sub in [node, *(deref(b)[0] for b in branches(node))]:
            if limit in sub:
                out.append(("invalid_value", sub[limit] + step))
    if "maxLength" in node:
        out.append(("invalid_value", "x" * (node["maxLength"] + 1)))
    return out


def put(event: Any, path: Path, value: Any) -> Any:
    if not path:
        return value
    copy = list(event) if isinstance(event, list) else dict(event)
    copy[path[0]] = put(event[path[0]], path[1:], value)  # type: ignore[index]
    return copy


def render(path: Path) -> str:
    out = ""
    for step in path:
        out += f"[{step}]" if isinstance(step, int) else (f".{step}" if out else step)
    return out


@functools.cache
def messages() -> list[tuple[str, str, str]]:
    """(dialect, wire name, payload schema) of every client message."""
    return sorted(
        (m["x-dialect"], m["name"], m["payload"]["$ref"].rsplit("/", 1)[1])
        for m in spec()["components"]["messages"].values()
        if m["x-direction"] == "client"
    )


@dataclass(frozen=True)
class Run:
    event: dict[str, Any]
    param: str
    code: str


@functools.cache
def runs(dialect: str, wire: str, key: str) -> tuple[Run, ...]:
    """Every mutated event of one message, checked against the (closed) spec first."""
    found: list[Run] = []
    seen: set[str] = set()
    payload = {"$ref": f"#/components/schemas/{key}"}
    for instance, path, leaf, where in walk(payload, (key, ""), frozenset()):
        assert valid(payload, instance), f"sweep built an invalid {key}: {instance}"
        for code, value in wrong_values(leaf):
            if value is None and nulls.tolerated(*where):
                continue  # a null some real client sends: accepted, see codegen/nulls.py
            event = put(instance, path, value)
            text = json.dumps(event, sort_keys=True)
            if text in seen or valid(payload, event):
                continue
            seen.add(text)
            found.append(Run(event, render(path), code))
    return tuple(found)


def outcome(dialect: str, run: Run) -> tuple[str, str | None] | None:
    """(code, param) of the refusal, or None when the event was accepted."""
    try:
        DIALECTS[dialect].parse_client_event(run.event)
    except EventValidationError as refused:
        return refused.code, refused.param
    return None


MESSAGES = [pytest.param(*m, id=f"{m[0]}/{m[1]}") for m in messages()]


@pytest.mark.parametrize(("dialect", "wire", "key"), MESSAGES)
def test_a_wrong_field_is_named(dialect: str, wire: str, key: str) -> None:
    cases = runs(dialect, wire, key)
    assert cases, f"no field of {wire} was swept"
    wrong = [
        f"{json.dumps(run.event)}: got {outcome(dialect, run)}, want {(run.code, run.param)}"
        for run in cases
        if outcome(dialect, run) != (run.code, run.param)
    ]
    assert not wrong, f"{len(wrong)} of {len(cases)} named wrongly:\n" + "\n".join(wrong)


def test_the_sweep_covers_every_client_event_in_depth() -> None:
    """Guards the sweep itself: a walker that silently stopped descending would pass."""
    total = sum(len(runs(*m)) for m in messages())
    params = {run.param for m in messages() for run in runs(*m)}
    assert total > 1500, total
    for deep in (
        "session.tools[0].parameters",
        "session.tools[0].require_approval.always.tool_names[0]",
        "session.audio.input.format.rate",
        "session.audio.input.turn_detection.idle_timeout_ms",
        "session.audio.output.voice.id",
        "session.prompt.variables.k.image_url",
        "item.content[0].text",
        "response.input[0].tools[0].input_schema",
        "session.input_audio_transcription.model",
    ):
        assert deep in params, deep


@functools.cache
def null_runs(dialect: str, wire: str, key: str) -> tuple[tuple[dict[str, Any], bool], ...]:
    """(event, kept) for every field that takes null: where the spec allows it (kept as
    null) and where codegen/nulls.py accepts a real client's null (kept or read as left out)."""
    found: dict[str, tuple[dict[str, Any], bool]] = {}
    payload = {"$ref": f"#/components/schemas/{key}"}
    for instance, path, leaf, where in walk(payload, (key, ""), frozenset()):
        tolerated = nulls.CLIENT_NULLS.get(where)
        if tolerated is None and not valid(leaf, None):
            continue
        event = put(instance, path, None)
        if tolerated is None and not valid(payload, event):
            continue  # null is fine for the field but not here (a union's other branch)
        found[json.dumps(event, sort_keys=True)] = (event, tolerated != nulls.OMITTED)
    return tuple(found.values())


def _without_nulls(node: Any) -> Any:
    if isinstance(node, dict):
        return {k: _without_nulls(v) for k, v in node.items() if v is not None}
    return [_without_nulls(v) for v in node] if isinstance(node, list) else node


@pytest.mark.parametrize(("dialect", "wire", "key"), MESSAGES)
def test_null_is_taken_where_the_spec_or_a_real_client_needs_it(
    dialect: str, wire: str, key: str
) -> None:
    """Nullable fields (turn_detection, noise_reduction, tracing, prompt...) keep taking null;
    a real client's null for a non-nullable field is kept or dropped as codegen/nulls.py says."""
    for event, kept in null_runs(dialect, wire, key):
        parsed = DIALECTS[dialect].parse_client_event(event)
        dumped = parsed.model_dump(mode="json", by_alias=True, exclude_unset=True)
        assert dumped == (event if kept else _without_nulls(event)), event


def test_the_null_sweep_reaches_the_nullable_fields() -> None:
    events = [json.dumps(e) for m in messages() for e, _ in null_runs(*m)]
    for field in (
        '"turn_detection": null',
        '"noise_reduction": null',
        '"tracing": null',
        '"prompt": null',
        '"idle_timeout_ms": null',
        '"metadata": null',
        '"input_audio_noise_reduction": null',
        '"transcription": null',
        '"group_id": null',
        '"transcript": null',
    ):
        assert any(field in event for event in events), field
