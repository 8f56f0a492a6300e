"""What changed in the protocol between two versions of our spec, one line a change."""

from __future__ import annotations

from typing import Any

REF_PREFIX = "#/components/schemas/"


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
    for name, prop in node.get("properties", {}).items():
        path = f"{prefix}.{name}" if prefix else name
        fields[path] = _signature(prop)
        _flatten(prop, path, fields, enums)
    if "items" in node:
        _flatten(node["items"], prefix + "[]", fields, enums)
    for key in ("oneOf", "anyOf"):
        for index, variant in enumerate(node.get(key, [])):
            if isinstance(variant, dict) and "properties" in variant:
                _flatten(variant, f"{prefix}<{_variant_label(variant, index)}>", fields, enums)
            else:
                _flatten(variant, prefix, fields, enums)


def _events(spec: dict[str, Any]) -> dict[tuple[str, str, str], str]:
    messages = spec.get("components", {}).get("messages", {})
    return {
        (m["x-dialect"], m["x-direction"], m["name"]): m["payload"]["$ref"][len(REF_PREFIX) :]
        for m in messages.values()
    }


def changes(old: dict[str, Any] | None, new: dict[str, Any]) -> list[str]:
    old = old or {}
    lines: list[str] = []
    old_events, new_events = _events(old), _events(new)
    for key in sorted(new_events.keys() - old_events.keys()):
        lines.append("+ event {}/{}: {}".format(*key))
    for key in sorted(old_events.keys() - new_events.keys()):
        lines.append("- event {}/{}: {}".format(*key))
    payloads = set(old_events.values()) | set(new_events.values())

    old_schemas = old.get("components", {}).get("schemas", {})
    new_schemas = new.get("components", {}).get("schemas", {})
    for name in sorted(new_schemas.keys() - old_schemas.keys() - payloads):
        lines.append(f"+ schema {name}")
    for name in sorted(old_schemas.keys() - new_schemas.keys() - payloads):
        lines.append(f"- schema {name}")
    for name in sorted(old_schemas.keys() & new_schemas.keys()):
        old_fields: dict[str, str] = {}
        new_fields: dict[str, str] = {}
        old_enums: dict[str, set[str]] = {}
        new_enums: dict[str, set[str]] = {}
        _flatten(old_schemas[name], "", old_fields, old_enums)
        _flatten(new_schemas[name], "", new_fields, new_enums)
        for path in sorted(new_fields.keys() - old_fields.keys()):
            lines.append(f"+ field {name}.{path}: {new_fields[path]}")
        for path in sorted(old_fields.keys() - new_fields.keys()):
            lines.append(f"- field {name}.{path}")
        for path in sorted(old_fields.keys() & new_fields.keys()):
            if old_fields[path] != new_fields[path]:
                lines.append(f"~ field {name}.{path}: {old_fields[path]} -> {new_fields[path]}")
        for path in sorted(old_enums.keys() & new_enums.keys()):
            added = sorted(new_enums[path] - old_enums[path])
            removed = sorted(old_enums[path] - new_enums[path])
            where = f"{name}.{path}" if path else name
            for value in added:
                lines.append(f"+ enum {where}: {value}")
            for value in removed:
                lines.append(f"- enum {where}: {value}")
    return lines
