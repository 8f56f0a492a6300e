"""OpenAI's OpenAPI document -> spec/translation.*: the realtime translation protocol.

The document holds translation as `RealtimeTranslation*` schemas (two event unions, the
session, the client-secret bodies) and the `POST /realtime/translations/client_secrets`
route. This module keeps their facts, cleans and repairs them with the same passes as the
Realtime sync (codegen/sync.py), and adds what the document lacks from
translation_overlay.yaml: the websocket address and its `model` query, the transports,
which events answer which, fields the service takes that the document leaves out, and our
own words. `build` gives the AsyncAPI document, `build_http` the OpenAPI one.

    python -m codegen.translation ../shared/upstream/openai-openapi.yaml [--out spec]
"""

from __future__ import annotations

import argparse
import copy
import re
import sys
from pathlib import Path
from typing import Any

from . import naming, yamlio
from .paths import SPEC_DIR
from .sync import (
    REF_PREFIX,
    Event,
    _asyncapi_discriminators,
    _Builder,
    _closure,
    _message,
    _refs,
    _wire_name,
)

OVERLAY = Path(__file__).with_name("translation_overlay.yaml")
EVENTS_NAME = "translation.asyncapi.yaml"
HTTP_NAME = "translation.openapi.yaml"
DIALECT = "translation"  # the `x-dialect` of every message, as codegen/targets.py names it
UNIONS = {
    "client": ("RealtimeTranslationClientEvent", "TranslationClientEvent"),
    "server": ("RealtimeTranslationServerEvent", "TranslationServerEvent"),
}
ROUTE_PREFIX = "/realtime/translations"


def _events(schemas: dict[str, Any], repairs: list[str]) -> list[Event]:
    """The members of upstream's two unions, and any event schema a union leaves out."""
    found: list[Event] = []
    for direction, (union, _) in UNIONS.items():
        if union not in schemas:
            raise SystemExit(f"upstream has no {union}: the translation protocol moved")
        members = list(dict.fromkeys(_refs(schemas[union])))
        pattern = re.compile(rf"{union}[A-Z]\w*")
        left_out = sorted(n for n in schemas if pattern.fullmatch(n) and n not in members)
        for name in [*members, *left_out]:
            wire = _wire_name(schemas[name])
            if wire is None:
                raise SystemExit(f"{name} has no single `type` value")
            found.append(Event(DIALECT, direction, wire, name))
        if left_out:
            missing = ", ".join(e.wire for e in found if e.upstream in left_out)
            repairs.append(f"{union} leaves out {missing}; our union has them")
    found.sort(key=lambda e: (e.direction, e.wire))
    keys = [(e.direction, e.wire) for e in found]
    if len(set(keys)) != len(keys):
        raise SystemExit(f"two upstream translation schemas define one event: {keys}")
    return found


def _add_fields(schemas: dict[str, Any], overlay: dict[str, Any], repairs: list[str]) -> None:
    """Fields the service takes that the document leaves out (overlay `added_fields`), put
    on each object the path reaches (every object branch of a union there)."""
    for entry in overlay.get("added_fields", []):
        added: dict[str, set[str]] = {}
        for name in entry["schemas"]:
            node = schemas.get(name, {})
            for part in entry["path"].split("."):
                node = node.get("properties", {}).get(part, {})
            for branch in node.get("anyOf", node.get("oneOf", [node])):
                for field, schema in entry["fields"].items():
                    if "properties" in branch and field not in branch["properties"]:
                        branch["properties"][field] = copy.deepcopy(schema)
                        added.setdefault(name, set()).add(field)
        if added:
            fields = ", ".join(sorted(set().union(*added.values())))
            repairs.append(
                f"{', '.join(sorted(added))}: {entry['path']}.{{{fields}}} added; {entry['reason']}"
            )


def _names(events: list[Event], schemas: dict[str, Any], http_roots: list[str]) -> dict[str, str]:
    names = {e.upstream: e.name for e in events}
    for name in _closure(schemas, [e.upstream for e in events] + http_roots):
        names.setdefault(name, naming.default_schema_name(name, beta_only=False))
    ours = list(names.values())
    if len(set(ours)) != len(ours):
        raise SystemExit(f"two upstream schemas would share one name: {sorted(ours)}")
    return names


def _documents(
    upstream: dict[str, Any], overlay: dict[str, Any], sha256: str | None
) -> tuple[dict[str, Any], dict[str, Any]]:
    upstream = copy.deepcopy(upstream)
    builder = _Builder(upstream, {}, None)
    repairs = builder.repairs
    events = _events(builder.schemas, repairs)
    _add_fields(builder.schemas, overlay, repairs)
    paths = {
        path: item
        for path, item in sorted(upstream.get("paths", {}).items())
        if path.startswith(ROUTE_PREFIX)
    }
    names = _names(events, builder.schemas, sorted(set(_refs(paths))))

    schemas: dict[str, Any] = {}
    for upstream_name, ours in names.items():
        schemas[ours] = builder.clean(builder.schemas[upstream_name], names)
        schemas[ours]["x-upstream"] = upstream_name
    builder.fix_null_defaults(schemas)
    builder.hoist_variants(schemas)
    builder.infer_discriminators(schemas)
    builder.fix_unions(schemas)
    builder.hoist_nested_unions(schemas)
    for direction, (_, union) in UNIONS.items():
        members = [e for e in events if e.direction == direction]
        schemas[union] = {
            "oneOf": [{"$ref": REF_PREFIX + e.name} for e in members],
            "discriminator": {
                "propertyName": "type",
                "mapping": {e.wire: REF_PREFIX + e.name for e in members},
            },
        }
    openapi_schemas = copy.deepcopy(schemas)
    _asyncapi_discriminators(schemas)

    info = upstream.get("info", {})
    version = str(info.get("version", "unknown"))
    note = " Written by `python -m codegen.translation`; edit codegen/translation_overlay.yaml."
    events_info: dict[str, Any] = {
        "title": overlay["title"],
        "version": version,
        "description": overlay["description"] + note,
    }
    if sha256 is not None:
        events_info["x-upstream-sha256"] = sha256
    events_info["x-repairs"] = sorted(repairs)
    events_spec = {
        "asyncapi": "3.0.0",
        "info": events_info,
        "defaultContentType": "application/json",
        "channels": {"websocket": _channel(overlay, events)},
        "operations": _operations(overlay, events),
        "components": {
            "messages": _messages(overlay, events),
            "schemas": _used(schemas, [union for _, union in UNIONS.values()]),
        },
    }
    http_spec = _http(paths, names, builder, overlay, version, note, openapi_schemas)
    return events_spec, http_spec


def _used(schemas: dict[str, Any], roots: list[str]) -> dict[str, Any]:
    return {k: schemas[k] for k in sorted(_closure(schemas, roots))}


def _messages(overlay: dict[str, Any], events: list[Event]) -> dict[str, Any]:
    carried = {"summaries": overlay["summaries"], "transports": {}}
    for event in events:
        carried["transports"][event.wire] = list(overlay["transports"])
    return {e.name: _message(e, carried) for e in events}


def _channel(overlay: dict[str, Any], events: list[Event]) -> dict[str, Any]:
    """The websocket, with its query (AsyncAPI's ws binding) from the overlay."""
    channel = overlay["channel"]
    query = {
        "type": "object",
        "properties": {
            name: {"type": "string", "description": text} for name, text in channel["query"].items()
        },
        "required": list(channel["required"]),
    }
    return {
        "address": channel["address"],
        "messages": {e.name: {"$ref": f"#/components/messages/{e.name}"} for e in events},
        "bindings": {"ws": {"method": "GET", "query": query}},
    }


def _operations(overlay: dict[str, Any], events: list[Event]) -> dict[str, Any]:
    server = {e.wire: e.name for e in events if e.direction == "server"}
    operations: dict[str, Any] = {}
    for event in events:
        if event.direction != "client":
            continue
        operation: dict[str, Any] = {
            "action": "receive",
            "channel": {"$ref": "#/channels/websocket"},
            "messages": [{"$ref": f"#/channels/websocket/messages/{event.name}"}],
        }
        replies = [server[w] for w in overlay["replies"].get(event.wire, []) if w in server]
        if replies:
            operation["reply"] = {
                "channel": {"$ref": "#/channels/websocket"},
                "messages": [{"$ref": f"#/channels/websocket/messages/{r}"} for r in replies],
            }
        operations["on" + event.name] = operation
    return operations


def _http(
    paths: dict[str, Any],
    names: dict[str, str],
    builder: _Builder,
    overlay: dict[str, Any],
    version: str,
    note: str,
    schemas: dict[str, Any],
) -> dict[str, Any]:
    """The translation routes, self-contained: their schemas in OpenAPI form."""
    out: dict[str, Any] = {}
    for path, item in paths.items():
        cleaned = builder.clean(item, names)
        summary = overlay["routes"].get(path)
        for method, operation in cleaned.items():
            if isinstance(operation, dict):
                for response in operation.get("responses", {}).values():
                    response.setdefault("description", "")
                if summary:
                    cleaned[method] = {"summary": summary, **operation}
        out[path] = cleaned
    return {
        "openapi": "3.1.0",
        "info": {
            "title": overlay["title"] + ": HTTP routes",
            "version": version,
            "description": "Client secrets for translation sessions." + note,
        },
        "servers": [{"url": "/v1"}],
        "paths": out,
        "components": {"schemas": _used(schemas, sorted(set(_refs(out))))},
    }


def build(
    upstream_doc: dict[str, Any],
    overlay: dict[str, Any] | None = None,
    *,
    sha256: str | None = None,
) -> dict[str, Any]:
    """The AsyncAPI document of spec/translation.asyncapi.yaml."""
    overlay = overlay if overlay is not None else yamlio.load_path(OVERLAY)
    return _documents(upstream_doc, overlay, sha256)[0]


def build_http(
    upstream_doc: dict[str, Any], overlay: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The OpenAPI document of spec/translation.openapi.yaml (the client-secrets route)."""
    overlay = overlay if overlay is not None else yamlio.load_path(OVERLAY)
    return _documents(upstream_doc, overlay, None)[1]


def write(upstream_bytes: bytes, out: Path) -> list[str]:
    """Both spec files into `out`; returns the repairs made."""
    upstream = yamlio.load_bytes(upstream_bytes)
    overlay = yamlio.load_path(OVERLAY)
    events_spec, http_spec = _documents(upstream, overlay, yamlio.sha256(upstream_bytes))
    out.mkdir(parents=True, exist_ok=True)
    (out / EVENTS_NAME).write_text(yamlio.dump(events_spec))
    (out / HTTP_NAME).write_text(yamlio.dump(http_spec))
    repairs: list[str] = events_spec["info"]["x-repairs"]
    return repairs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m codegen.translation")
    parser.add_argument("upstream", help="path or URL of OpenAI's OpenAPI document")
    parser.add_argument("--out", default=str(SPEC_DIR), help="spec directory")
    args = parser.parse_args(argv)
    repairs = write(yamlio.read_source(args.upstream), Path(args.out))
    print(f"wrote {EVENTS_NAME} and {HTTP_NAME}; repaired {len(repairs)} upstream faults:")
    for repair in repairs:
        print(f"  {repair}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
