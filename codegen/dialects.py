"""The beta dialect's translation tables, read from the spec's dialect extensions.

`x-ga-name` / `x-beta-name` on messages give each event's counterpart; schemas
marked `x-dialect-shape` are the objects whose fields the dialects name
differently, and `components.x-dialect-shapes` / `x-dialect-values` say how. This
module finds, for every event of either dialect, the paths at which those objects
sit in its payload, so that translation is a walk over tables, not code per event.
"""

from __future__ import annotations

from typing import Any

REF_PREFIX = "#/components/schemas/"
Path = tuple[str, ...]  # property names, and "[]" for "every element"


def parse_path(text: str) -> Path:
    """`audio.input.format` -> ("audio", "input", "format"); `content[].type` ->
    ("content", "[]", "type")."""
    out: list[str] = []
    for part in text.split("."):
        name = part.removesuffix("[]")
        out.append(name)
        if name != part:
            out.append("[]")
    return tuple(out)


def _shape_paths(
    schemas: dict[str, Any], node: Any, path: Path, stack: tuple[str, ...]
) -> list[tuple[Path, str]]:
    """(path, shape) for every marked schema reachable from `node`, outermost first."""
    if not isinstance(node, dict):
        return []
    found: list[tuple[Path, str]] = []
    ref = node.get("$ref")
    if isinstance(ref, str):
        name = ref[len(REF_PREFIX) :]
        if name in stack:
            return []
        target = schemas[name]
        shape = target.get("x-dialect-shape")
        if shape is not None:
            found.append((path, str(shape)))
        found += _shape_paths(schemas, target, path, (*stack, name))
        return found
    for key in ("oneOf", "anyOf", "allOf"):
        for variant in node.get(key, []):
            found += _shape_paths(schemas, variant, path, stack)
    for prop, sub in node.get("properties", {}).items():
        found += _shape_paths(schemas, sub, (*path, prop), stack)
    if "items" in node:
        found += _shape_paths(schemas, node["items"], (*path, "[]"), stack)
    return found


def _unique(found: list[tuple[Path, str]]) -> tuple[tuple[Path, str], ...]:
    """Each (path, shape) once, innermost first: inner objects are translated before
    the fields that hold them are renamed."""
    seen = dict.fromkeys(found)
    return tuple(sorted(seen, key=lambda entry: (-len(entry[0]), entry)))


def _edge_defaults(schemas: dict[str, Any], shape: str, fields: dict[str, Any]) -> dict[str, Any]:
    """Defaults of the fields kept at the edge, from the beta schemas that declare them."""
    out: dict[str, Any] = {}
    for name in sorted(schemas):
        schema = schemas[name]
        if schema.get("x-dialect-shape") != shape:
            continue
        for field, entry in fields.items():
            prop = schema.get("properties", {}).get(field, {})
            if entry["ga"] is None and "default" in prop and field not in out:
                out[field] = prop["default"]
    return out


# What a schema may add and still take no more than another: limits.
_LIMITS = frozenset(
    {"maxLength", "minLength", "maximum", "minimum", "exclusiveMaximum", "exclusiveMinimum",
     "maxItems", "minItems", "pattern"}
)  # fmt: skip


def _resolved(schemas: dict[str, Any], node: Any, stack: tuple[str, ...] = ()) -> Any:
    """A schema with its `$ref`s replaced (a recursive one by its name), extensions dropped
    and `const: x` read as `enum: [x]`."""
    if isinstance(node, list):
        return [_resolved(schemas, item, stack) for item in node]
    if not isinstance(node, dict):
        return node
    ref = node.get("$ref")
    if isinstance(ref, str):
        name = ref[len(REF_PREFIX) :]
        if name in stack:
            return {"$recursive": name}
        return _resolved(schemas, schemas[name], (*stack, name))
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key.startswith("x-"):
            continue
        if key == "const":
            key, value = "enum", [value]
        out[key] = _resolved(schemas, value, stack)
    return out


def _no_wider(ga: Any, beta: Any) -> bool:
    """Whether `ga` is `beta`, save for limits of its own (it takes no more than `beta`)."""
    if isinstance(ga, dict) and isinstance(beta, dict):
        if set(beta) - set(ga) or set(ga) - set(beta) - _LIMITS:
            return False
        return all(_no_wider(ga[key], beta[key]) for key in beta)
    if isinstance(ga, list) and isinstance(beta, list):
        return len(ga) == len(beta) and all(map(_no_wider, ga, beta))
    return bool(ga == beta)


def _ga_checked(spec: dict[str, Any], paths: dict[tuple[str, str, str], Any]) -> tuple[str, ...]:
    """Beta client events the translation passes on as they came (same name, nothing to
    translate) whose GA schema is the beta one, save for limits of its own: the GA core
    refuses whatever the beta schema would, with the same `param`."""
    schemas = spec["components"]["schemas"]
    messages = spec["components"]["messages"].values()
    ga = {m["name"]: m for m in messages if m["x-dialect"] == "ga" and m["x-direction"] == "client"}
    found = set()
    for message in messages:
        if message["x-dialect"] != "beta" or message["x-direction"] != "client":
            continue
        name = message["name"]
        if message.get("x-ga-name") != name or name not in ga or ("beta", "client", name) in paths:
            continue
        if _no_wider(
            _resolved(schemas, ga[name]["payload"]), _resolved(schemas, message["payload"])
        ):
            found.add(name)
    return tuple(sorted(found))


def tables(spec: dict[str, Any]) -> dict[str, Any]:
    """Everything `_generated/dialects.py` holds, as plain Python data."""
    components = spec["components"]
    schemas = components["schemas"]
    beta_to_ga: dict[tuple[str, str], str | None] = {}
    ga_to_beta: dict[tuple[str, str], str | None] = {}
    paths: dict[tuple[str, str, str], tuple[tuple[Path, str], ...]] = {}
    for message in components["messages"].values():
        key = (message["x-direction"], message["name"])
        if message["x-dialect"] == "beta":
            beta_to_ga[key] = message.get("x-ga-name")
        else:
            ga_to_beta[key] = message.get("x-beta-name")
        payload = message["payload"]
        found = _unique(_shape_paths(schemas, payload, (), ()))
        if found:
            paths[(message["x-dialect"], *key)] = found
    shapes: dict[str, Any] = {}
    for shape, table in sorted(components.get("x-dialect-shapes", {}).items()):
        fields = {
            parse_path(beta): (
                parse_path(entry["ga"]) if entry["ga"] is not None else None,
                entry.get("values"),
            )
            for beta, entry in table["fields"].items()
        }
        shapes[shape] = {
            "fields": fields,
            "open": table["open"],
            "ga_fixed": dict(table.get("ga-fixed", {})),
            "edge_defaults": _edge_defaults(schemas, shape, table["fields"]),
            "fill": {
                parse_path(beta): dict(entry["fill"])
                for beta, entry in table["fields"].items()
                if entry.get("fill")
            },
            "ignored": {
                parse_path(beta): dict(how.get("when", {}))
                for beta, how in table.get("ignored", {}).items()
            },
        }
    values = {
        name: tuple((beta, ga) for beta, ga in pairs)
        for name, pairs in sorted(components.get("x-dialect-values", {}).items())
    }
    return {
        "ga_checked": _ga_checked(spec, paths),
        "beta_to_ga": dict(sorted(beta_to_ga.items())),
        "ga_to_beta": dict(sorted(ga_to_beta.items())),
        "paths": dict(sorted(paths.items())),
        "shapes": shapes,
        "values": values,
    }
