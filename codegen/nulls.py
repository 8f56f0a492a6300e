"""Where a client event may hold `null`: where the spec allows it, and where real clients send it.

datamodel-code-generator writes every optional field as `X | None = None`, so without help the
strict models take `null` for any optional field, `"audio": null` included, and the session fails
further down. `--strict-nullable` (used) covers only the fields with a default (they become
`X = default`) and those the spec declares nullable; the one option that would cover the others,
`--use-missing-sentinel`, makes an absent field read as pydantic's MISSING sentinel instead of
None (imported from `pydantic.experimental`, deprecated since pydantic 2.14), which every reader
of the models (the server, user handlers, the stubs) would have to learn. So an absent field
keeps reading None, and the spec decides whether a `null` sent for it is refused:

- `mark()` puts `x-null: refused` on each optional property of the client schemas whose schema
  does not allow null (no `null` type or branch, no `nullable: true`); the generator carries it
  to the one field it makes of that property (`--field-extra-keys`), and `generate` turns it into
  `Annotated[X | None, NOT_NULL]` (pydantic then validates a sent value against `X` alone);
- fields in CLIENT_NULLS are the exceptions real clients need (below).

Paths name a property inside a named schema: `audio.input.format` (object properties, whatever
union branch they sit in), `tools[]` (an array's items), `headers.*` (a map's values).
"""

from __future__ import annotations

import ast
import json
from collections.abc import Iterator
from typing import Any

REF_PREFIX = "#/components/schemas/"
REFUSED = "refused"
KEPT = "kept"
OMITTED = "omitted"
NULL_MARK = "x-null"
OMITTED_MARK = "x-nulls-omitted"

# Fields whose spec type excludes null but for which a real client sends null, by
# (schema, path): KEPT takes the null as the value, OMITTED as if the field were left out.
CLIENT_NULLS: dict[tuple[str, str], str] = {
    # openai-agents (Python) 0.22 sends a tracing config with every key it was not given set
    # to None: `_ConversionHelper.convert_tracing_config` builds
    # `TracingConfiguration(group_id=tracing_config.get("group_id"), metadata=...,
    # workflow_name=...)` (agents/realtime/openai_realtime.py) and dumps it with
    # `exclude_unset=True`, which keeps explicit Nones: {"workflow_name": "w", "group_id": null,
    # "metadata": null}. The service's schema has no null there; read as not given.
    ("RealtimeSessionConfig", "tracing.workflow_name"): OMITTED,
    ("RealtimeSessionConfig", "tracing.group_id"): OMITTED,
    ("RealtimeSessionConfig", "tracing.metadata"): OMITTED,
    # @openai/agents-realtime 0.20 types `audio.input.transcription` as `... | null` and sends
    # the null as given to turn transcription off (`_getMergedSessionConfig` in
    # dist/openaiRealtimeBase.mjs); upstream's own description of the field says it "can be set
    # to `null` to turn off once on", though its schema has no null. KEPT, not OMITTED: read as
    # left out, the null would leave transcription on.
    ("RealtimeSessionConfig", "audio.input.transcription"): KEPT,
    # @openai/agents-realtime 0.20 re-creates the items of a history the user changed
    # (`RealtimeSession.updateHistory` -> `resetHistory` in dist/openaiRealtimeBase.mjs) with
    # `content: item.content` as it read it from the server, and its item schema
    # (dist/items.mjs) keeps audio parts' `transcript: string | null`: a user audio part the
    # service (or this server) sent without a transcript comes back as
    # {"type": "input_audio", "transcript": null}. Read as no transcript given.
    ("UserMessageItem", "content[].transcript"): OMITTED,
    ("AssistantMessageItem", "content[].transcript"): OMITTED,
}


def tolerated(schema: str, path: str) -> bool:
    """Whether a null some real client sends for this spec-non-nullable field is accepted."""
    return (schema, path) in CLIENT_NULLS


def admits_null(node: Any, schemas: dict[str, Any], seen: frozenset[str] = frozenset()) -> bool:
    """Whether a schema lets `null` through: a `null` type or branch, `nullable: true`, a null
    enum value, or a referenced schema that does. An empty (any-value) schema does too."""
    if not isinstance(node, dict):
        return node is True
    if node.get("nullable") is True:
        return True
    if "const" in node or "enum" in node:
        return None in ([node["const"]] if "const" in node else node["enum"])
    kind = node.get("type")
    if kind == "null" or (isinstance(kind, list) and "null" in kind):
        return True
    branches = [branch for key in ("anyOf", "oneOf") for branch in node.get(key, [])]
    if any(admits_null(branch, schemas, seen) for branch in branches):
        return True
    if node.get("allOf"):
        return all(admits_null(part, schemas, seen) for part in node["allOf"])
    ref = node.get("$ref")
    if isinstance(ref, str) and ref.startswith(REF_PREFIX):
        name = ref[len(REF_PREFIX) :]
        return name not in seen and admits_null(schemas[name], schemas, seen | {name})
    asserted = {"type", "properties", "items", "$ref", "anyOf", "oneOf", "allOf"}
    return not asserted & set(node)


def _properties(node: Any, path: str) -> Iterator[tuple[dict[str, Any], str, str, bool]]:
    """(object node, property, its path, required) for every property under `node`, down to
    the next `$ref` (a named schema is walked on its own)."""
    if not isinstance(node, dict) or "$ref" in node:
        return
    for key in ("oneOf", "anyOf", "allOf"):
        for branch in node.get(key, []):
            yield from _properties(branch, path)
    required = set(node.get("required", []))
    for prop, sub in node.get("properties", {}).items():
        inner = f"{path}.{prop}" if path else prop
        yield node, prop, inner, prop in required
        yield from _properties(sub, inner)
    if isinstance(node.get("items"), dict):
        yield from _properties(node["items"], f"{path}[]")
    if isinstance(node.get("additionalProperties"), dict):
        yield from _properties(node["additionalProperties"], f"{path}.*" if path else "*")


def mark(
    schemas: dict[str, Any], exceptions: dict[tuple[str, str], str] | None = None
) -> dict[str, Any]:
    """A copy of the schemas with the marks `generate` turns into null handling. `exceptions`
    are the nulls real clients send (CLIENT_NULLS, those of the Realtime spec, by default;
    another surface's spec passes its own, often none)."""
    table = CLIENT_NULLS if exceptions is None else exceptions
    unknown = sorted({name for name, _ in table} - set(schemas))
    if unknown:
        raise ValueError(f"CLIENT_NULLS names schemas the spec lacks: {unknown}")
    # through JSON, not deepcopy: the YAML shares nodes between places (anchors), and a mark
    # is for one place
    marked: dict[str, Any] = json.loads(json.dumps(schemas))
    seen: set[tuple[str, str]] = set()
    for name, schema in marked.items():
        omitted: dict[str, list[str]] = {}
        for owner, prop, path, required in _properties(schema, ""):
            seen.add((name, path))
            node = owner["properties"][prop]
            how = table.get((name, path))
            if how == OMITTED:
                # the mark goes on the field holding the object (or the list of objects)
                parent, _, field = path.rpartition(".")
                omitted.setdefault(parent.removesuffix("[]"), []).append(field)
            if not (required or how == KEPT or admits_null(node, schemas)):
                node[NULL_MARK] = REFUSED
        for owner, prop, path, _ in _properties(schema, ""):
            if path in omitted:
                owner["properties"][prop][OMITTED_MARK] = sorted(omitted.pop(path))
        if omitted:
            raise ValueError(f"CLIENT_NULLS names fields {name} lacks: {sorted(omitted)}")
    missing = sorted(set(table) - seen)
    if missing:
        raise ValueError(f"CLIENT_NULLS names fields the spec lacks: {missing}")
    return marked


def _marks(call: ast.Call) -> tuple[str | None, list[str], ast.Call | None]:
    """The null marks of a `Field(...)` the generator wrote, and the call without them (None
    when nothing else is left in it)."""
    refused: str | None = None
    omitted: list[str] = []
    keywords = []
    for keyword in call.keywords:
        if keyword.arg == "json_schema_extra" and isinstance(keyword.value, ast.Dict):
            extra = ast.literal_eval(keyword.value)
            refused = extra.pop(NULL_MARK, None)
            omitted = extra.pop(OMITTED_MARK, [])
            if extra:
                keywords.append(ast.keyword("json_schema_extra", ast.Constant(extra)))
            continue
        keywords.append(keyword)
    if not keywords and not call.args:
        return refused, omitted, None
    return refused, omitted, ast.Call(call.func, call.args, keywords)


def _takes_none(annotation: ast.expr) -> bool:
    if isinstance(annotation, ast.Constant) and annotation.value is None:
        return True
    if isinstance(annotation, ast.BinOp) and isinstance(annotation.op, ast.BitOr):
        return _takes_none(annotation.left) or _takes_none(annotation.right)
    return False


def _field_call(node: ast.expr) -> bool:
    func = node.func if isinstance(node, ast.Call) else None
    return isinstance(func, ast.Name) and func.id == "Field"


def rewrite(source: str, runtime: str) -> str:
    """The generator's strict models with the marks of `mark()` turned into null handling:
    `Annotated[X | None, Field(json_schema_extra={"x-null": "refused"})]` becomes
    `Annotated[X | None, NOT_NULL]`, and `{"x-nulls-omitted": [...]}` `NullsOmitted(...)`.
    `runtime` is the module NOT_NULL is imported from."""
    tree = ast.parse(source)
    lines = source.encode().splitlines(keepends=True)
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line))
    edits: list[tuple[int, int, str]] = []
    used: set[str] = set()
    for cls in tree.body:
        if not isinstance(cls, ast.ClassDef):
            continue
        for item in cls.body:
            annotation = item.annotation if isinstance(item, ast.AnnAssign) else None
            if not (
                isinstance(annotation, ast.Subscript)
                and isinstance(annotation.value, ast.Name)
                and annotation.value.id == "Annotated"
                and isinstance(annotation.slice, ast.Tuple)
            ):
                continue
            base, *extras = annotation.slice.elts
            refused: str | None = None
            omitted: list[str] = []
            kept: list[ast.expr] = []
            for extra in extras:
                if _field_call(extra):
                    assert isinstance(extra, ast.Call)
                    found, names, rest = _marks(extra)
                    refused, omitted = refused or found, omitted or names
                    if rest is not None:
                        kept.append(rest)
                else:
                    kept.append(extra)
            if refused is None and not omitted:
                continue
            if refused == REFUSED and _takes_none(base):
                kept.insert(0, ast.Name("NOT_NULL"))
                used.add("NOT_NULL")
            if omitted:
                keys: list[ast.expr] = [ast.Constant(name) for name in omitted]
                kept.append(ast.Call(ast.Name("NullsOmitted"), keys, []))
                used.add("NullsOmitted")
            new = ast.Subscript(ast.Name("Annotated"), ast.Tuple([base, *kept])) if kept else base
            assert annotation.end_lineno is not None and annotation.end_col_offset is not None
            start = starts[annotation.lineno - 1] + annotation.col_offset
            end = starts[annotation.end_lineno - 1] + annotation.end_col_offset
            edits.append((start, end, ast.unparse(new)))
    data = source.encode()
    for start, end, text in sorted(edits, reverse=True):
        data = data[:start] + text.encode() + data[end:]
    out = data.decode()
    if NULL_MARK in out or OMITTED_MARK in out:
        raise ValueError("a null mark the generator placed outside a field was left in the models")
    if used:
        future = "from __future__ import annotations\n"
        imports = f"from {runtime} import {', '.join(sorted(used))}\n"
        out = out.replace(future, future + imports, 1)
    return out
