"""The spec's client events as JSON Schemas a generator and a validator can use.

The spec leaves most objects open (no `additionalProperties`), but the server parses
client events strictly: an unknown field is refused (`unknown_parameter`). So every
object schema that lists its `properties` and says nothing of others is closed here,
and OpenAPI's `nullable: true` becomes a `null` alternative. What stays open is what
the spec means as a map (`metadata`, tool `parameters`, prompt variables). Where the
spec and the server disagree on what a client may send, SPEC_REPAIRS says so and why.
"""

from __future__ import annotations

import copy
import functools
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from jsonschema import Draft202012Validator

ROOT = Path(__file__).resolve().parents[2]
EVENTS_SPEC = ROOT / "spec" / "realtime.asyncapi.yaml"
REF_PREFIX = "#/components/schemas/"
DIALECTS = ("ga", "beta")


@dataclass(frozen=True)
class ClientEvent:
    """One client event of the spec: its wire name, dialect, transports and schema name."""

    name: str  # the wire `type`
    dialect: str
    transports: tuple[str, ...]
    schema_name: str


def _close(node: Any) -> Any:
    if isinstance(node, list):
        return [_close(x) for x in node]
    if not isinstance(node, dict):
        return node
    out = {k: _close(v) for k, v in node.items() if not k.startswith("x-")}
    out.pop("discriminator", None)
    if "properties" in out and "additionalProperties" not in out:
        out["additionalProperties"] = False
    if out.pop("nullable", False):
        out = {"anyOf": [out, {"type": "null"}]}
    return out


@functools.cache
def spec() -> dict[str, Any]:
    with EVENTS_SPEC.open() as f:
        loaded: dict[str, Any] = yaml.safe_load(f)
    return loaded


def _beta_item_by_type(schema: dict[str, Any]) -> dict[str, Any]:
    """The beta item's one flat object as a union over `type`, each with its own
    fields and required fields (GA's; a message needs its `role`)."""
    fields = {
        "message": (["id", "object", "type", "status", "role", "content"], ["role", "content"]),
        "function_call": (
            ["id", "object", "type", "status", "call_id", "name", "arguments"],
            ["name", "arguments"],
        ),
        "function_call_output": (
            ["id", "object", "type", "status", "call_id", "output"],
            ["call_id", "output"],
        ),
    }
    variants = []
    for kind, (names, required) in fields.items():
        properties = {n: schema["properties"][n] for n in names}
        properties["type"] = {"type": "string", "const": kind}
        variants.append(
            {"type": "object", "properties": properties, "required": sorted({"type", *required})}
        )
    return {"oneOf": variants}


# Where the spec (as synced from upstream) and the server disagree on what a client may
# send, the fuzz draws what the server takes, so that a mutation's answer says something
# about the mutation and not about the disagreement (which alone would refuse most cases
# of the event). Each is a finding of its own, for the spec's keepers.
SPEC_REPAIRS: tuple[tuple[str, str, Callable[[dict[str, Any]], dict[str, Any]]], ...] = (
    (
        "BetaConversationItem",
        "the spec's beta item is one flat object whose fields all apply to every type, with"
        " no field required; the server requires type and each type's own (a message's role"
        " and content, a function_call's name...) and refuses the fields of other types"
        " (unknown_parameter 'item.role' on a function_call_output)",
        _beta_item_by_type,
    ),
)


def _repaired(schemas: dict[str, Any]) -> dict[str, Any]:
    for name, _reason, change in SPEC_REPAIRS:
        schemas[name] = change(schemas[name])
    return schemas


@functools.cache
def closed_schemas() -> dict[str, Any]:
    """Every schema of the spec, repaired and closed (see the module's docstring)."""
    schemas = _repaired(copy.deepcopy(spec()["components"]["schemas"]))
    closed: dict[str, Any] = _close(schemas)
    return closed


@functools.cache
def client_events() -> tuple[ClientEvent, ...]:
    found = []
    for message in spec()["components"]["messages"].values():
        if message.get("x-direction") != "client":
            continue
        found.append(
            ClientEvent(
                name=message["name"],
                dialect=message["x-dialect"],
                transports=tuple(message.get("x-transports", ())),
                schema_name=message["payload"]["$ref"].removeprefix(REF_PREFIX),
            )
        )
    return tuple(sorted(found, key=lambda e: (e.dialect, e.name)))


@functools.cache
def inlined(schema_name: str) -> dict[str, Any]:
    """One closed schema with every `$ref` replaced by its target (the client events'
    schemas are not recursive), as hypothesis-jsonschema works fastest on it."""

    def inline(node: Any, seen: tuple[str, ...]) -> Any:
        if isinstance(node, list):
            return [inline(x, seen) for x in node]
        if not isinstance(node, dict):
            return node
        if "$ref" in node:
            name = node["$ref"].removeprefix(REF_PREFIX)
            if name in seen:
                raise ValueError(f"recursive schema: {' -> '.join((*seen, name))}")
            rest = {k: inline(v, seen) for k, v in node.items() if k != "$ref"}
            return {**inline(closed_schemas()[name], (*seen, name)), **rest}
        return {k: inline(v, seen) for k, v in node.items()}

    schema: dict[str, Any] = inline(closed_schemas()[schema_name], (schema_name,))
    return schema


@functools.cache
def validator(schema_name: str) -> Draft202012Validator:
    return Draft202012Validator(inlined(schema_name))


def is_valid(schema: dict[str, Any], value: Any) -> bool:
    """`value` against a part of an `inlined` schema."""
    return bool(Draft202012Validator(schema).is_valid(value))
