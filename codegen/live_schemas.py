"""The `openai` package's Live types as JSON Schema, under our names and nullability rules.

pydantic writes the schemas (`TypeAdapter(...).json_schema()`); this module names the
definitions, drops upstream prose and pydantic's bookkeeping, and reads required and null
per direction:

- what a client sends comes from the `*_param` TypedDicts, which say it exactly: a key is
  required when marked `Required`, and may be `null` only when its type includes `None`;
- what a server sends comes from the response models, where a field the server may leave
  out is `Optional[X] = None`: optional and *not* nullable here (a server leaves it out);
  a field `Optional[X]` with no default stays required and nullable.

Names: a class keeps its own name when it is its module's main class, else takes its
module's name before it (`session_config.Audio` -> `SessionConfigAudio`); `Param` is
dropped from both, so a TypedDict and the model it mirrors share one name; a Responses type
whose name a Live type already has takes `Responses` before it. Where the client's and the
server's schema of one name differ, the server's takes `Server` before it.
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import re
from typing import Any

import typing_extensions
from pydantic import TypeAdapter
from pydantic.json_schema import CoreModeRef, DefsRef, GenerateJsonSchema

REF = "#/components/schemas/"
NULL = {"type": "null"}


def _is_typeddict_module(module: str) -> bool:
    loaded = importlib.import_module(module)
    return any(
        typing_extensions.is_typeddict(value)
        for value in vars(loaded).values()
        if getattr(value, "__module__", None) == module
    )


def schema_name(module: str, cls: str) -> str:
    """Our name for class `cls` of `module` (see the module docstring)."""
    stem = module.rsplit(".", 1)[-1]
    if stem.endswith("_param") and _is_typeddict_module(module):
        stem = stem.removesuffix("_param")
    cls = re.sub(r"Param(?=[A-Z]|$)", "", cls) or cls
    prefix = "".join(part[:1].upper() + part[1:] for part in stem.split("_"))
    loaded = vars(importlib.import_module(module))
    if module.startswith("openai.types.live.") and not isinstance(
        loaded.get(prefix + "Param", loaded.get(prefix)), type
    ):
        # a Live event union's module: its classes are events, named by their wire names
        prefix = ""
    prefix = re.sub(r"Param(?=[A-Z]|$)", "", prefix)
    name = cls if cls.lower() == prefix.lower() or cls.startswith(prefix) else prefix + cls
    if module.startswith("openai.types.responses.") and importlib.util.find_spec(
        f"openai.types.live.{stem}"
    ):
        name = "Responses" + name
    return name


class _Namer(GenerateJsonSchema):
    """pydantic's generator with our names first among its choices for each definition."""

    def get_defs_ref(self, core_mode_ref: CoreModeRef) -> DefsRef:
        ref = super().get_defs_ref(core_mode_ref)
        path = core_mode_ref[0].rsplit(":", 1)[0]
        if "[" not in path and "." in path:
            module, cls = path.rsplit(".", 1)
            self._prioritized_defsref_choices[ref].insert(0, DefsRef(schema_name(module, cls)))
        return ref


def raw(python_type: Any) -> dict[str, Any]:
    """pydantic's JSON Schema of a type, its definitions under our names."""
    schema: dict[str, Any] = TypeAdapter(python_type).json_schema(
        schema_generator=_Namer, ref_template=REF + "{model}"
    )
    for name in schema.get("$defs", {}):
        if not re.fullmatch(r"[A-Z][A-Za-z0-9]*", name):
            raise ValueError(f"two classes of the package would share a name: {name}")
    return schema


def _without_null(node: dict[str, Any]) -> dict[str, Any]:
    branches = node.get("anyOf")
    if not isinstance(branches, list) or NULL not in branches:
        return node
    kept = [b for b in branches if b != NULL]
    rest = {k: v for k, v in node.items() if k != "anyOf"}
    return {**kept[0], **rest} if len(kept) == 1 else {**rest, "anyOf": kept}


def clean(node: Any, server: bool, optional: list[str], where: str = "") -> Any:
    """Prose and bookkeeping out, `const` as a one-value enum, and for server schemas the
    `Optional[X] = None` fields made optional and not nullable (listed in `optional`)."""
    if isinstance(node, list):
        return [clean(v, server, optional, where) for v in node]
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key in ("title", "description", "examples"):
            continue
        if key == "additionalProperties" and value is True and "properties" in node:
            continue
        if key == "const":
            out["enum"] = [value]
        elif key == "properties":
            props: dict[str, Any] = {}
            for prop, sub in value.items():
                if server and isinstance(sub, dict) and "default" in sub and sub["default"] is None:
                    sub = _without_null({k: v for k, v in sub.items() if k != "default"})
                    optional.append(f"{where}.{prop}")
                props[prop] = clean(sub, server, optional, f"{where}.{prop}")
            out[key] = props
        else:
            out[key] = clean(value, server, optional, where)
    return out


def rename_refs(node: Any, names: dict[str, str]) -> Any:
    if not names:
        return node
    text = json.dumps(node)
    for old, new in names.items():
        text = text.replace(f'"{REF}{old}"', f'"{REF}{new}"')
    return json.loads(text)


def _tag(schemas: dict[str, Any], member: Any) -> str | None:
    """The one `type` value an object schema (by $ref) both fixes and requires."""
    if not (isinstance(member, dict) and set(member) == {"$ref"}):
        return None
    target = schemas.get(member["$ref"].removeprefix(REF), {})
    prop = (target.get("properties") or {}).get("type")
    if "type" not in (target.get("required") or []) or not isinstance(prop, dict):
        return None
    values = prop.get("enum")
    return values[0] if isinstance(values, list) and len(values) == 1 else None


def discriminate(node: Any, schemas: dict[str, Any], found: list[int]) -> Any:
    """Unions whose members each fix and require a distinct `type` as discriminated
    unions: the package marks them so in Python, which its JSON Schema does not carry."""
    if isinstance(node, list):
        return [discriminate(v, schemas, found) for v in node]
    if not isinstance(node, dict):
        return node
    node = {k: discriminate(v, schemas, found) for k, v in node.items()}
    branches = node.get("anyOf")
    if not isinstance(branches, list):
        return node
    members = [b for b in branches if b != NULL]
    tags = [_tag(schemas, m) for m in members]
    if len(members) < 2 or None in tags or len(set(tags)) != len(tags):
        return node
    found[0] += 1
    union = {
        "discriminator": "type",
        "oneOf": members,
        "type": "object",
        "x-discriminator-mapping": {t: m["$ref"] for t, m in zip(tags, members, strict=True)},
    }
    rest = {k: v for k, v in node.items() if k != "anyOf"}
    return {**rest, "anyOf": [union, NULL]} if NULL in branches else {**rest, **union}


def merge_direction(
    client: dict[str, Any], server: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, str]]:
    """One set of schemas from the client's and the server's: the server's that differ
    from the client's of the same name (after the same renaming) take `Server` before it.
    Returns the schemas and the server renames."""
    renames: dict[str, str] = {}
    while True:
        differ = {
            name: "Server" + name
            for name, schema in server.items()
            if name in client and rename_refs(schema, renames) != client[name]
        }
        if differ == renames:
            break
        renames = differ
    merged = dict(client)
    for name, schema in server.items():
        merged.setdefault(renames.get(name, name), rename_refs(schema, renames))
    return merged, renames
