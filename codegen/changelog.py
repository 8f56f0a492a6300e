"""What changed in the protocols between two versions of spec/, one line a change.

Read by a person deciding whether to upgrade: grouped by surface (the part of a spec
file's name before the first dot), then added / removed / changed. It covers events
(AsyncAPI messages), webhooks, HTTP routes (paths, methods, parameters, request and
response bodies), schemas, their fields (type and whether required) and enum values.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from .surfaces import SURFACES, surface_of

REF_PREFIX = "#/components/schemas/"
METHODS = ("get", "put", "post", "delete", "patch")
SECTIONS = (("+", "added"), ("-", "removed"), ("~", "changed"))
KINDS = ("event", "webhook", "route", "schema", "field", "enum")


def _signature(node: Any) -> str:
    if not isinstance(node, dict):
        return "any"
    if "$ref" in node:
        return str(node["$ref"]).rsplit("/", 1)[-1]
    if "const" in node:
        return f"const {node['const']!r}"
    for key in ("oneOf", "anyOf"):
        if key in node:
            return " | ".join(_signature(v) for v in node[key])
    kind = node.get("type", "any")
    if isinstance(kind, list):
        kind = " | ".join(str(k) for k in kind)
    if kind == "array":
        return f"array[{_signature(node.get('items', {}))}]"
    if "format" in node:
        kind = f"{kind}({node['format']})"
    if "pattern" in node:
        kind = f"{kind} matching {node['pattern']}"
    return str(kind)


def _variant_label(node: Any, index: int) -> str:
    if isinstance(node, dict):
        tag = node.get("properties", {}).get("type", {})
        if "const" in tag:
            return str(tag["const"])
        if len(tag.get("enum") or []) == 1:
            return str(tag["enum"][0])
    return str(index)


def _flatten(node: Any, prefix: str, fields: dict[str, str], enums: dict[str, set[str]]) -> None:
    if not isinstance(node, dict) or "$ref" in node:
        return
    if "enum" in node:
        enums.setdefault(prefix, set()).update(repr(v) for v in node["enum"])
    required = set(node.get("required", []))
    for name, prop in node.get("properties", {}).items():
        path = f"{prefix}.{name}" if prefix else name
        fields[path] = _signature(prop) + (", required" if name in required else "")
        _flatten(prop, path, fields, enums)
    if "items" in node:
        _flatten(node["items"], prefix + "[]", fields, enums)
    for key in ("oneOf", "anyOf"):
        for index, variant in enumerate(node.get(key, [])):
            if isinstance(variant, dict) and "properties" in variant:
                _flatten(variant, f"{prefix}<{_variant_label(variant, index)}>", fields, enums)
            else:
                _flatten(variant, prefix, fields, enums)


def _shape_changes(where: str, old: Any, new: Any, sep: str = ".") -> list[str]:
    """Field and enum lines between two versions of one schema (or inline body)."""
    old_fields: dict[str, str] = {}
    new_fields: dict[str, str] = {}
    old_enums: dict[str, set[str]] = {}
    new_enums: dict[str, set[str]] = {}
    _flatten(old, "", old_fields, old_enums)
    _flatten(new, "", new_fields, new_enums)
    lines: list[str] = []
    for path in sorted(new_fields.keys() - old_fields.keys()):
        lines.append(f"+ field {where}{sep}{path}: {new_fields[path]}")
    for path in sorted(old_fields.keys() - new_fields.keys()):
        lines.append(f"- field {where}{sep}{path}")
    for path in sorted(old_fields.keys() & new_fields.keys()):
        if old_fields[path] != new_fields[path]:
            lines.append(f"~ field {where}{sep}{path}: {old_fields[path]} -> {new_fields[path]}")
    for path in sorted(old_enums.keys() & new_enums.keys()):
        at = f"{where}{sep}{path}" if path else where
        lines.extend(f"+ enum {at}: {v}" for v in sorted(new_enums[path] - old_enums[path]))
        lines.extend(f"- enum {at}: {v}" for v in sorted(old_enums[path] - new_enums[path]))
    return lines


def _events(spec: dict[str, Any]) -> dict[str, str]:
    """`ga/server: response.done` -> payload schema, for every AsyncAPI message."""
    out: dict[str, str] = {}
    for key, message in spec.get("components", {}).get("messages", {}).items():
        side = "/".join(str(message[k]) for k in ("x-dialect", "x-direction") if k in message)
        name = message.get("name", key)
        ref = str(message.get("payload", {}).get("$ref", ""))
        out[f"{side}: {name}" if side else str(name)] = ref.rsplit("/", 1)[-1]
    return out


def _webhooks(spec: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        name if method == "post" else f"{method.upper()} {name}": op
        for name, item in spec.get("webhooks", {}).items()
        for method, op in item.items()
        if method in METHODS
    }


def _routes(spec: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        f"{method.upper()} {path}": op
        for path, item in spec.get("paths", {}).items()
        for method, op in item.items()
        if method in METHODS
    }


def _bodies(op: dict[str, Any]) -> dict[str, tuple[str, Any]]:
    """An operation's parameters and bodies: where each is -> (its type, its schema)."""
    out: dict[str, tuple[str, Any]] = {}
    for param in op.get("parameters", []):
        schema = param.get("schema", {})
        required = ", required" if param.get("required") else ""
        out[f"{param.get('in')} parameter {param.get('name')}"] = (
            _signature(schema) + required,
            schema,
        )
    for ctype, media in op.get("requestBody", {}).get("content", {}).items():
        out[f"request {ctype}"] = (_signature(media.get("schema")), media.get("schema"))
    for status, response in op.get("responses", {}).items():
        for ctype, media in (response.get("content") or {}).items():
            body = media.get("schema")
            out[f"response {status} {ctype}"] = (_signature(body), body)
    return out


def _payload(op: dict[str, Any]) -> str:
    """`: <schema>` of an operation's one JSON request body, else nothing."""
    body = op.get("requestBody", {}).get("content", {}).get("application/json", {})
    return f": {_signature(body['schema'])}" if "schema" in body else ""


def _closure(schemas: dict[str, Any], roots: Iterable[str]) -> set[str]:
    seen: set[str] = set()
    stack = [r for r in roots if r in schemas]
    while stack:
        name = stack.pop()
        if name not in seen:
            seen.add(name)
            stack += [r for r in _refs(schemas[name]) if r in schemas]
    return seen


def _refs(node: Any) -> Iterable[str]:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith(REF_PREFIX):
            yield ref[len(REF_PREFIX) :]
        for value in node.values():
            yield from _refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _refs(value)


def _operation_changes(kind: str, old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """Routes or webhooks: added and removed, and what changed in each one kept."""
    lines = [f"+ {kind} {key}{_payload(new[key])}" for key in sorted(new.keys() - old.keys())]
    lines += [f"- {kind} {key}" for key in sorted(old.keys() - new.keys())]
    for key in sorted(old.keys() & new.keys()):
        old_bodies, new_bodies = _bodies(old[key]), _bodies(new[key])
        for part in sorted(new_bodies.keys() - old_bodies.keys()):
            lines.append(f"+ {kind} {key}: {part}: {new_bodies[part][0]}")
        for part in sorted(old_bodies.keys() - new_bodies.keys()):
            lines.append(f"- {kind} {key}: {part}")
        for part in sorted(old_bodies.keys() & new_bodies.keys()):
            (before, old_schema), (after, new_schema) = old_bodies[part], new_bodies[part]
            if before != after:
                lines.append(f"~ {kind} {key}: {part}: {before} -> {after}")
            lines += _shape_changes(f"{key} {part}", old_schema, new_schema, " ")
    return lines


def changes(old: dict[str, Any] | None, new: dict[str, Any]) -> list[str]:
    """Lines for one spec file (AsyncAPI or OpenAPI), old version against new."""
    old = old or {}
    lines: list[str] = []
    old_events, new_events = _events(old), _events(new)
    lines += [f"+ event {key}" for key in sorted(new_events.keys() - old_events.keys())]
    lines += [f"- event {key}" for key in sorted(old_events.keys() - new_events.keys())]
    lines += _operation_changes("webhook", _webhooks(old), _webhooks(new))
    lines += _operation_changes("route", _routes(old), _routes(new))
    # an event's or webhook's payload, and the schemas only an added (or removed) one
    # uses, are named by its line, not again as schemas
    old_schemas = old.get("components", {}).get("schemas", {})
    new_schemas = new.get("components", {}).get("schemas", {})
    payloads = set(old_events.values()) | set(new_events.values())
    for op in [*_webhooks(old).values(), *_webhooks(new).values()]:
        payloads.update(signature for signature, _ in _bodies(op).values())
    payloads |= _closure(new_schemas, payloads - old_schemas.keys())
    payloads |= _closure(old_schemas, payloads - new_schemas.keys())
    lines += [f"+ schema {n}" for n in sorted(new_schemas.keys() - old_schemas.keys() - payloads)]
    lines += [f"- schema {n}" for n in sorted(old_schemas.keys() - new_schemas.keys() - payloads)]
    for name in sorted(old_schemas.keys() & new_schemas.keys()):
        lines += _shape_changes(name, old_schemas[name], new_schemas[name])
    return lines


def _surface_order(name: str) -> tuple[int, str]:
    known = [s.name for s in SURFACES]
    return (known.index(name) if name in known else len(known), name)


def by_surface(
    old: dict[str, dict[str, Any] | None], new: dict[str, dict[str, Any]]
) -> dict[str, list[str]]:
    """Every spec file's lines, old against new, merged per surface (a field of a schema
    both of a surface's files hold is one change, said once)."""
    out: dict[str, dict[str, None]] = {}
    for file in sorted(set(old) | set(new), key=lambda f: (_surface_order(surface_of(f)), f)):
        lines = changes(old.get(file), new.get(file) or {})
        out.setdefault(surface_of(file), {}).update(dict.fromkeys(lines))
    return {surface: list(lines) for surface, lines in out.items()}


def _order(line: str) -> tuple[int, str]:
    """Events first, then webhooks, routes, schemas, fields, enum values; by name within."""
    word = line[2:].split(" ", 1)[0]
    return (KINDS.index(word) if word in KINDS else len(KINDS), line)


def render(grouped: dict[str, list[str]], left_out: list[str]) -> list[str]:
    """The changelog as printed and kept in spec/HISTORY.md."""
    total = sum(len(lines) for lines in grouped.values())
    out = [f"{total} protocol change{'' if total == 1 else 's'}" + (":" if total else ".")]
    for surface, lines in grouped.items():
        if not lines:
            continue
        out.append(f"{surface}: {len(lines)}")
        for sign, title in SECTIONS:
            mine = sorted((ln for ln in lines if ln.startswith(sign)), key=_order)
            if mine:
                out.append(f"  {title}:")
                out.extend(f"    {line}" for line in mine)
    if left_out:
        out.append("left out (upstream voice parts no surface takes):")
        out.extend(f"  {entry}" for entry in left_out)
    else:
        out.append("left out: none of upstream's voice parts")
    return out


VOICE_SCHEMA = re.compile(r"(Realtime|Live)[A-Z]|Webhook(Realtime|Live)[A-Z]")
# the voice protocols' routes, and the custom voices a session may name
VOICE_PATH = ("/realtime", "/live", "/audio/voice")


def _union_of(schema: Any, taken: set[str]) -> bool:
    """A union of schemas all taken (upstream's event unions, which surfaces remake)."""
    members = [v for k in ("oneOf", "anyOf") for v in schema.get(k, [])]
    refs = [str(v.get("$ref", "")).rsplit("/", 1)[-1] for v in members if isinstance(v, dict)]
    return bool(refs) and all(ref in taken for ref in refs)


def left_out(document: dict[str, Any], claimed: Iterable[str]) -> list[str]:
    """Upstream's voice routes, realtime and live schemas, and webhooks that no surface
    took: a route with the schemas only it brings, the other schemas grouped by their
    first two words (`RealtimeTranslation*`)."""
    taken = set(claimed)
    every = document.get("components", {}).get("schemas", {})
    out: list[str] = []
    listed: set[str] = set()
    for path, item in sorted(document.get("paths", {}).items()):
        if not path.startswith(VOICE_PATH) or f"path {path}" in taken:
            continue
        brought = sorted(_closure(every, _refs(item)) - taken - listed)
        listed.update(brought)
        out.append(f"path {path}" + (f" ({', '.join(brought)})" if brought else ""))
    schemas = [
        name
        for name, schema in every.items()
        if VOICE_SCHEMA.match(name) and name not in taken | listed and not _union_of(schema, taken)
    ]
    groups: dict[str, list[str]] = {}
    for name in sorted(schemas):
        words = re.findall(r"[A-Z][a-z0-9]*", name)
        groups.setdefault("".join(words[:2]), []).append(name)
    out += [
        f"schemas {prefix}* ({len(names)})" if len(names) > 1 else f"schema {names[0]}"
        for prefix, names in groups.items()
    ]
    for item in document.get("webhooks", {}).values():
        for op in item.values():
            ref = _bodies(op).get("request application/json", ("", None))[0]
            if VOICE_SCHEMA.match(ref) and ref not in taken:
                out.append(f"webhook {ref}")
    return out
