"""Upstream OpenAPI document -> our spec (AsyncAPI for events, OpenAPI for HTTP).

Keeps the protocol's facts (names, types, enums, required fields, defaults,
limits), drops upstream prose, adds our own words and transport facts from
`overlay.yaml`, and repairs the upstream faults listed in DESIGN.md section 3.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import naming, yamlio
from .paths import EVENTS_SPEC, HTTP_SPEC
from .sources import Source
from .surfaces import Built, Inputs

REF_PREFIX = "#/components/schemas/"
DROPPED_KEYS = {"description", "title", "example", "examples", "summary"}
ALL_TRANSPORTS = ["websocket", "webrtc", "sip"]
OVERLAY = Path(__file__).with_name("overlay.yaml")


@dataclass(frozen=True)
class Event:
    dialect: str
    direction: str
    wire: str
    upstream: str

    @property
    def name(self) -> str:
        return naming.event_schema_name(self.dialect, self.wire)


@dataclass
class SyncResult:
    events_spec: dict[str, Any]
    http_spec: dict[str, Any]
    repairs: list[str] = field(default_factory=list)
    # upstream schema names, `path /...` and `webhook <type>` this surface took
    claimed: set[str] = field(default_factory=set)


def _refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith(REF_PREFIX):
            yield ref[len(REF_PREFIX) :]
        for key, value in node.items():
            if key == "properties" and isinstance(value, dict):
                for prop in value.values():
                    yield from _refs(prop)
            elif key not in DROPPED_KEYS and not key.startswith("x-"):
                yield from _refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _refs(value)


def _closure(schemas: dict[str, Any], roots: list[str]) -> list[str]:
    seen: dict[str, None] = {}
    stack = list(reversed(roots))
    while stack:
        name = stack.pop()
        if name in seen:
            continue
        if name not in schemas:
            raise SystemExit(f"upstream refers to a schema it does not define: {name}")
        seen[name] = None
        stack.extend(reversed(list(_refs(schemas[name]))))
    return list(seen)


def _swap_refs(node: Any, old: str, new: str) -> bool:
    """Point every `$ref` to `old` at `new`; True if any was."""
    found = False
    if isinstance(node, dict):
        if node.get("$ref") == old:
            node["$ref"] = new
            found = True
        for value in node.values():
            found = _swap_refs(value, old, new) or found
    elif isinstance(node, list):
        for value in node:
            found = _swap_refs(value, old, new) or found
    return found


def _singular(name: str) -> str:
    return name[:-1] if name.endswith("s") and not name.endswith(("ss", "us")) else name


def _webhooks(upstream: dict[str, Any], wanted: dict[str, str]) -> dict[str, str]:
    """Event type -> upstream payload schema, for the webhooks named in the overlay."""
    schemas = upstream["components"]["schemas"]
    found: dict[str, str] = {}
    for item in upstream.get("webhooks", {}).values():
        for ref in _refs(item):
            wire = _wire_name(schemas.get(ref, {}))
            if wire in wanted:
                found[wire] = ref
    return {wire: found[wire] for wire in sorted(found)}


def webhook_schema_name(wire: str) -> str:
    """`realtime.call.incoming` -> `RealtimeCallIncomingWebhook`, like event classes."""
    return naming.pascal(wire) + "Webhook"


def _wire_name(schema: dict[str, Any]) -> str | None:
    prop = schema.get("properties", {}).get("type", {})
    if "const" in prop:
        return str(prop["const"])
    values = prop.get("enum") or []
    return str(values[0]) if len(values) == 1 else None


class _Builder:
    def __init__(self, upstream: dict[str, Any], overlay: dict[str, Any], beta: Any) -> None:
        self.upstream = upstream
        self.schemas: dict[str, Any] = upstream["components"]["schemas"]
        self.overlay = overlay
        self.beta = beta
        self.repairs: list[str] = []
        self.own: set[str] = set()  # schemas the overlay adds (not upstream's)

    # -- events ---------------------------------------------------------------
    def events(self) -> list[Event]:
        beta_names = self._beta_names()
        found: list[Event] = []
        for (dialect, direction), pattern in naming.EVENT_SCHEMA_PATTERNS.items():
            for name, schema in self.schemas.items():
                match = pattern.fullmatch(name)
                if not match:
                    continue
                wire = _wire_name(schema)
                if wire is None:
                    raise SystemExit(f"{name} has no single `type` value")
                if dialect == "beta":
                    fixed = beta_names.get((direction, match.group(1)), wire)
                    if fixed != wire:
                        self.repairs.append(f"beta event {name}: type {wire!r} -> {fixed!r}")
                        wire = fixed
                found.append(Event(dialect, direction, wire, name))
        found.sort(key=lambda e: (naming.DIALECTS.index(e.dialect), e.direction, e.wire))
        seen: set[tuple[str, str, str]] = set()
        for event in found:
            key = (event.dialect, event.direction, event.wire)
            if key in seen:
                raise SystemExit(f"two upstream schemas define {key}")
            seen.add(key)
        return found

    def _beta_names(self) -> dict[tuple[str, str], str]:
        """(direction, event part of the schema name) -> correct beta wire name."""
        table: dict[tuple[str, str], str] = {}
        if self.beta is None:
            for part, wire in self.overlay["beta_event_names"].items():
                for direction in naming.DIRECTIONS:
                    table[(direction, part)] = wire
            return table
        for name, schema in self.beta["components"]["schemas"].items():
            for direction, pattern in naming.OLD_BETA_EVENT_PATTERNS.items():
                match = pattern.fullmatch(name)
                wire = _wire_name(schema) if match else None
                if match and wire:
                    table[(direction, match.group(1))] = wire
        return table

    # -- beta items -----------------------------------------------------------
    def beta_items(self, events: list[Event]) -> None:
        """Beta-only schemas that hold GA items get the flat beta item instead."""
        table = self.overlay.get("beta_item")
        if not table or table["ga"] not in self.schemas or table["beta"] not in self.schemas:
            return
        ga_used = set(_closure(self.schemas, [e.upstream for e in events if e.dialect == "ga"]))
        beta_used = _closure(self.schemas, [e.upstream for e in events if e.dialect == "beta"])
        ga_ref = REF_PREFIX + table["ga"]
        beta_ref = REF_PREFIX + table["beta"]
        changed = []
        for name in beta_used:
            if name in ga_used:
                continue
            copied = copy.deepcopy(self.schemas[name])
            if _swap_refs(copied, ga_ref, beta_ref):
                self.schemas = {**self.schemas, name: copied}
                changed.append(name)
        if not changed:
            return
        item = copy.deepcopy(self.schemas[table["beta"]])
        content_type = item["properties"]["content"]["items"]["properties"]["type"]
        if content_type.get("enum") != table["content_types"]:
            content_type["enum"] = list(table["content_types"])
            self.repairs.append(
                f"{table['beta']}: content types are {', '.join(table['content_types'])}"
            )
        self.schemas = {**self.schemas, table["beta"]: item}
        self.repairs.append(
            f"{', '.join(sorted(changed))}: beta items are {table['beta']}, not {table['ga']}"
        )

    def beta_fields(self) -> None:
        """Beta request schemas as the beta service took them (overlay `beta_fields`)."""
        own = self.overlay.get("beta_schemas", {})
        clash = sorted(set(own) & set(self.schemas))
        if clash:
            raise SystemExit(f"overlay beta_schemas would replace upstream's {', '.join(clash)}")
        self.schemas = {**self.schemas, **copy.deepcopy(own)}
        self.own = set(own)
        for name, patch in self.overlay.get("beta_fields", {}).items():
            if name not in self.schemas:
                continue
            schema = copy.deepcopy(self.schemas[name])
            properties = schema.setdefault("properties", {})
            dropped = [p for p in patch.get("drop", []) if p in properties]
            for prop in dropped:
                del properties[prop]
            if "required" in schema:
                schema["required"] = [r for r in schema["required"] if r not in dropped]
                if not schema["required"]:
                    del schema["required"]
            changed = []
            for prop, sub in patch.get("properties", {}).items():
                if properties.get(prop) != sub:
                    properties[prop] = copy.deepcopy(sub)
                    changed.append(prop)
            self.schemas = {**self.schemas, name: schema}
            if dropped:
                self.repairs.append(f"{name}: beta clients do not send {', '.join(dropped)}")
            if changed:
                self.repairs.append(f"{name}: {', '.join(changed)} as the beta service took them")

    # -- naming ---------------------------------------------------------------
    def name_map(
        self, events: list[Event], http_roots: list[str], fixed: dict[str, str]
    ) -> dict[str, str]:
        """Our name for every upstream schema used; `fixed` names some outright."""
        users: dict[str, set[str]] = {}
        for event in events:
            for name in _closure(self.schemas, [event.upstream]):
                users.setdefault(name, set()).add(event.dialect)
        for name in _closure(self.schemas, http_roots):
            users.setdefault(name, set())
        explicit: dict[str, str] = self.overlay["schema_names"]
        names: dict[str, str] = dict(fixed)
        for event in events:
            names[event.upstream] = event.name
        for name in sorted(users):
            if name in names:
                continue
            names[name] = explicit.get(name) or naming.default_schema_name(
                name, users[name] == {"beta"}
            )
        clash: dict[str, str] = {}
        for upstream, ours in sorted(names.items()):
            if ours in clash:
                raise SystemExit(
                    f"{clash[ours]} and {upstream} would both be named {ours}: "
                    "name one of them in codegen/overlay.yaml schema_names"
                )
            clash[ours] = upstream
        return names

    # -- schema cleaning ------------------------------------------------------
    def clean(self, node: Any, names: dict[str, str]) -> Any:
        if isinstance(node, dict):
            out: dict[str, Any] = {}
            for key, value in node.items():
                if key in DROPPED_KEYS or key.startswith("x-"):
                    continue
                if key == "$ref":
                    out[key] = REF_PREFIX + names[value[len(REF_PREFIX) :]]
                elif key == "properties":
                    out[key] = {k: self.clean(v, names) for k, v in value.items()}
                else:
                    out[key] = self.clean(value, names)
            return out
        if isinstance(node, list):
            return [self.clean(value, names) for value in node]
        return node

    # -- defaults that their own schema refuses --------------------------------
    def fix_null_defaults(self, schemas: dict[str, Any]) -> None:
        """`default: null` on a schema that does not allow null: the service does send
        null there (e.g. `noise_reduction`), so the schema is widened to allow it."""
        for owner in sorted(schemas):
            self._null_defaults(schemas[owner], owner)

    def _null_defaults(self, node: Any, where: str) -> None:
        if isinstance(node, list):
            for index, value in enumerate(node):
                self._null_defaults(value, f"{where}[{index}]")
            return
        if not isinstance(node, dict):
            return
        kind = node.get("type")
        if "default" in node and node["default"] is None:
            union = "oneOf" if "oneOf" in node else "anyOf" if "anyOf" in node else None
            if isinstance(kind, str) and kind != "null":
                node["type"] = [kind, "null"]
                self.repairs.append(f"{where}: default null but type {kind}; null allowed")
            elif union and {"type": "null"} not in node[union]:
                node[union].append({"type": "null"})
                self.repairs.append(f"{where}: default null but no null variant; null allowed")
        for key, value in node.items():
            if key == "properties":
                for prop, sub in value.items():
                    self._null_defaults(sub, f"{where}.{prop}")
            elif key not in ("enum", "const", "default"):
                self._null_defaults(value, where)

    # -- what the server echoes back -------------------------------------------
    def widen_echoed_voices(self, schemas: dict[str, Any], events: list[Event]) -> None:
        """`session.created`/`.updated` echo the session the client set, a custom voice
        (`{"id": "voice_..."}`) included: openai-python reads their session with the
        request's own type. Upstream types the echo's voice as a name only, so a server
        holding to it could not confirm a custom voice. (A response object's voice stays a
        name, as upstream and openai-python have it: a server reports a custom voice there
        by its id.)"""
        shared, custom = REF_PREFIX + "VoiceIdsShared", REF_PREFIX + "VoiceIdsOrCustomVoice"
        if "VoiceIdsOrCustomVoice" not in schemas:
            return
        echoes = {
            name
            for e in events
            if e.dialect == "ga" and e.wire in ("session.created", "session.updated")
            for name in _refs(schemas[e.name].get("properties", {}).get("session", {}))
        }
        widened: set[str] = set()

        def visit(node: Any, owner: str) -> None:
            if isinstance(node, list):
                for value in node:
                    visit(value, owner)
            elif isinstance(node, dict):
                voice = node.get("properties", {}).get("voice")
                if isinstance(voice, dict) and voice.get("$ref") == shared:
                    voice["$ref"] = custom
                    widened.add(owner)
                for value in node.values():
                    visit(value, owner)

        for owner in sorted(echoes & set(schemas)):
            visit(schemas[owner], owner)
        if widened:
            self.repairs.append(
                f"{', '.join(sorted(widened))}: voice widened to VoiceIdsOrCustomVoice, as"
                " session.created/updated echo the custom voice a client may set"
            )

    # -- union variants get names of their own -------------------------------
    def hoist_variants(self, schemas: dict[str, Any]) -> None:
        """Inline union variants with a fixed `type` become `<Schema><Type>` schemas.

        Without this the model generator numbers them (`TurnDetection1`), and the
        numbers shift whenever upstream reorders a union.
        """
        for owner in sorted(schemas):
            self._hoist(schemas, owner, schemas[owner])

    def _hoist(self, schemas: dict[str, Any], owner: str, node: Any) -> None:
        if not isinstance(node, dict):
            return
        for key in ("oneOf", "anyOf"):
            variants = node.get(key, [])
            for index, variant in enumerate(variants):
                if not isinstance(variant, dict):
                    continue
                tag = self._tag(schemas, variant, "type") if "properties" in variant else None
                name = f"{owner}{naming.pascal(str(tag))}" if isinstance(tag, str) else None
                if name and "$ref" not in variant and name not in schemas:
                    schemas[name] = variant
                    variants[index] = {"$ref": REF_PREFIX + name}
                else:
                    self._hoist(schemas, owner, variant)

    def hoist_objects(self, schemas: dict[str, Any], owners: list[str]) -> None:
        """Inline objects of these schemas become schemas named `<Owner><Field>`, the
        model generator would number them (`Data1`) otherwise; objects in arrays are named
        for one of the array (`SipHeader`), shared by all owners whose items are the same."""
        for owner in owners:
            for prop, sub in schemas[owner].get("properties", {}).items():
                target, name = sub, owner + naming.pascal(prop)
                if sub.get("type") == "array" and isinstance(sub.get("items"), dict):
                    target, name = sub["items"], _singular(naming.pascal(prop))
                    if schemas.get(name, target) != target:
                        name = owner + name
                if "properties" not in target:
                    continue
                if schemas.get(name, target) != target:
                    raise SystemExit(f"{owner}.{prop}: {name} is taken by another schema")
                schemas[name] = dict(target)
                target.clear()
                target["$ref"] = REF_PREFIX + name
                self.hoist_objects(schemas, [name])

    # -- discriminators where upstream left them out ---------------------------
    def infer_discriminators(self, schemas: dict[str, Any]) -> None:
        """Unions whose variants all carry distinct fixed `type`s become discriminated.

        The tag then picks the variant, so a refusal names the real field (not
        every variant's complaint) and parsing tries one model, not all.
        """
        for owner in sorted(schemas):
            self._infer(schemas, schemas[owner])

    def _infer(self, schemas: dict[str, Any], node: Any) -> None:
        if isinstance(node, list):
            for value in node:
                self._infer(schemas, value)
            return
        if not isinstance(node, dict):
            return
        for key in ("oneOf", "anyOf"):
            variants = node.get(key)
            if not variants or "discriminator" in node:
                continue
            solid = [v for v in variants if v != {"type": "null"}]
            tags = [self._tag(schemas, v, "type") for v in solid]
            if len(solid) < 2 or None in tags or len(set(map(str, tags))) != len(tags):
                continue
            if not all("type" in self._resolve(schemas, v).get("required", []) for v in solid):
                continue  # a variant may leave its type out: only a plain union reads it
            union: dict[str, Any] = {"oneOf": solid, "discriminator": {"propertyName": "type"}}
            if len(solid) == len(variants):
                del node[key]
                node.update(union)
            else:
                node[key] = [union, {"type": "null"}]
        for key, value in node.items():
            if key not in ("enum", "const", "default", "discriminator"):
                self._infer(schemas, value)

    def hoist_nested_unions(self, schemas: dict[str, Any]) -> None:
        """A discriminated union inside another union gets a name of its own, or the
        model generator flattens the two and loses the discriminator."""
        for owner in sorted(schemas):
            self._hoist_nested(schemas, owner, schemas[owner], "")

    def _hoist_nested(self, schemas: dict[str, Any], owner: str, node: Any, hint: str) -> None:
        if isinstance(node, list):
            for value in node:
                self._hoist_nested(schemas, owner, value, hint)
            return
        if not isinstance(node, dict):
            return
        for key in ("oneOf", "anyOf"):
            for index, variant in enumerate(node.get(key, [])):
                if isinstance(variant, dict) and "discriminator" in variant:
                    name = f"{owner}{naming.pascal(hint)}Variants"
                    schemas[name] = variant
                    node[key][index] = {"$ref": REF_PREFIX + name}
        for key, value in node.items():
            if key == "properties":
                for prop, sub in value.items():
                    self._hoist_nested(schemas, owner, sub, prop)
            elif key not in ("enum", "const", "default", "discriminator"):
                self._hoist_nested(schemas, owner, value, hint)

    # -- discriminated unions -------------------------------------------------
    def fix_unions(self, schemas: dict[str, Any]) -> None:
        for owner in list(schemas):
            self._fix_node(schemas, owner, schemas[owner], owner)

    def _fix_node(self, schemas: dict[str, Any], owner: str, node: Any, where: str) -> None:
        if isinstance(node, list):
            for index, value in enumerate(node):
                self._fix_node(schemas, owner, value, f"{where}[{index}]")
            return
        if not isinstance(node, dict):
            return
        if "discriminator" in node:
            self._fix_discriminator(schemas, owner, node, where)
        for key, value in node.items():
            if key not in ("discriminator", "enum", "const", "default"):
                self._fix_node(schemas, owner, value, f"{where}.{key}")

    def _resolve(self, schemas: dict[str, Any], variant: Any) -> Any:
        if isinstance(variant, dict) and "$ref" in variant:
            return schemas[variant["$ref"][len(REF_PREFIX) :]]
        return variant

    def _tag(self, schemas: dict[str, Any], variant: Any, prop: str) -> Any:
        target = self._resolve(schemas, variant)
        spec = target.get("properties", {}).get(prop)
        if spec is None:
            return None
        if "const" in spec:
            return spec["const"]
        values = spec.get("enum") or []
        return values[0] if len(values) == 1 else None

    def _fix_discriminator(
        self, schemas: dict[str, Any], owner: str, node: dict[str, Any], where: str
    ) -> None:
        prop = node["discriminator"]["propertyName"]
        key = "oneOf" if "oneOf" in node else "anyOf"
        variants = node.get(key, [])
        tags = [self._tag(schemas, v, prop) for v in variants]
        if not variants or any(t is None for t in tags):
            del node["discriminator"]
            self.repairs.append(
                f"{where}: dropped discriminator {prop!r}, a variant has no fixed {prop}"
            )
            return
        groups: dict[Any, list[Any]] = {}
        for tag, variant in zip(tags, variants, strict=True):
            groups.setdefault(tag, []).append(variant)
        fixed: list[Any] = []
        for tag, members in groups.items():
            if len(members) == 1:
                fixed.append(members[0])
                continue
            fixed.append(self._nest(schemas, owner, node, where, prop, tag, members))
        node.pop("anyOf", None)
        node["oneOf"] = fixed
        if all("$ref" in v for v in fixed):
            node["discriminator"] = {
                "propertyName": prop,
                "mapping": {str(tag): v["$ref"] for tag, v in zip(groups, fixed, strict=True)},
            }

    def _nest(
        self,
        schemas: dict[str, Any],
        owner: str,
        node: dict[str, Any],
        where: str,
        prop: str,
        tag: Any,
        members: list[Any],
    ) -> dict[str, str]:
        candidates = sorted(
            {
                p
                for m in members
                for p in (schemas[m["$ref"][len(REF_PREFIX) :]] if "$ref" in m else m).get(
                    "properties", {}
                )
            }
            - {prop}
        )
        for inner in candidates:
            inner_tags = [self._tag(schemas, m, inner) for m in members]
            if None in inner_tags or len(set(inner_tags)) != len(inner_tags):
                continue
            nested = f"{owner}{naming.pascal(str(tag))}"
            schemas[nested] = {
                "oneOf": members,
                "discriminator": {
                    "propertyName": inner,
                    "mapping": {
                        str(t): m["$ref"] for t, m in zip(inner_tags, members, strict=True)
                    },
                },
            }
            self.repairs.append(
                f"{where}: {len(members)} variants share {prop}={tag!r}; nested them as"
                f" {nested}, told apart by {inner!r}"
            )
            return {"$ref": REF_PREFIX + nested}
        raise SystemExit(f"{where}: variants share {prop}={tag!r} and nothing tells them apart")


def _asyncapi_discriminators(node: Any) -> None:
    """AsyncAPI's discriminator is the property name alone; the mapping, a fact worth
    keeping, moves to `x-discriminator-mapping`."""
    if isinstance(node, list):
        for value in node:
            _asyncapi_discriminators(value)
    elif isinstance(node, dict):
        found = node.get("discriminator")
        if isinstance(found, dict):
            node["discriminator"] = found["propertyName"]
            if "mapping" in found:
                node["x-discriminator-mapping"] = found["mapping"]
        for key, value in node.items():
            if key not in ("enum", "const", "default", "x-discriminator-mapping"):
                _asyncapi_discriminators(value)


def _message(event: Event, overlay: dict[str, Any]) -> dict[str, Any]:
    message: dict[str, Any] = {"name": event.wire}
    summary = overlay["summaries"].get(event.wire)
    if summary:
        message["summary"] = summary
    message["payload"] = {"$ref": REF_PREFIX + event.name}
    message["x-dialect"] = event.dialect
    message["x-direction"] = event.direction
    message["x-transports"] = overlay["transports"].get(event.wire, ALL_TRANSPORTS)
    return message


def _dialect_names(events: list[Event], messages: dict[str, Any], dialect: dict[str, Any]) -> None:
    """Each message names its counterpart in the other dialect: `x-ga-name` on beta
    messages, `x-beta-name` on GA ones (null when a beta client never sees it)."""
    beta_wires = {(e.direction, e.wire) for e in events if e.dialect == "beta"}
    ga_wires = {(e.direction, e.wire) for e in events if e.dialect == "ga"}
    to_beta: dict[tuple[str, str], str] = {}
    for event in events:
        if event.dialect != "beta":
            continue
        renamed = dialect["events"].get(event.direction, {}).get(event.wire)
        ga = renamed or event.wire
        if (event.direction, ga) not in ga_wires:
            messages[event.name]["x-ga-name"] = None  # beta only: the GA core never sends it
            continue
        messages[event.name]["x-ga-name"] = ga
        to_beta.setdefault((event.direction, ga), event.wire)
    for event in events:
        if event.dialect != "ga":
            continue
        key = (event.direction, event.wire)
        carried = event.direction == "server" and event.wire in dialect["carried"]
        beta = to_beta.get(key) or (event.wire if carried or key in beta_wires else None)
        messages[event.name]["x-beta-name"] = beta


def _dialect_shapes(schemas: dict[str, Any], dialect: dict[str, Any]) -> None:
    """Mark the schemas whose fields the dialects name differently (`x-dialect-shape`);
    an upstream document without one of them simply has nothing to mark."""
    for shape, table in dialect["shapes"].items():
        for name in table["schemas"]:
            if name in schemas:
                schemas[name]["x-dialect-shape"] = shape


def _shape_tables(dialect: dict[str, Any]) -> dict[str, Any]:
    """The field tables of `x-dialect-shapes`: every field as `{ga, values?}`."""
    out: dict[str, Any] = {}
    for shape, table in dialect["shapes"].items():
        fields: dict[str, Any] = {}
        for beta, ga in table["fields"].items():
            fields[beta] = dict(ga) if isinstance(ga, dict) else {"ga": ga}
        entry: dict[str, Any] = {"fields": fields, "open": bool(table.get("open", False))}
        if table.get("ga_fixed"):
            entry["ga-fixed"] = dict(table["ga_fixed"])
        if table.get("ignored"):
            entry["ignored"] = {path: dict(how) for path, how in table["ignored"].items()}
        out[shape] = entry
    return out


def sync_surface(inputs: Inputs) -> Built:
    """The Realtime surface for `codegen sync` (see codegen/surfaces.py)."""
    beta = inputs.beta.data if inputs.beta is not None else None
    result = build(inputs.source.data, beta, source=inputs.source, document=inputs.document)
    specs = {EVENTS_SPEC.name: result.events_spec, HTTP_SPEC.name: result.http_spec}
    return Built(specs, result.repairs, result.claimed)


def build(
    upstream_bytes: bytes,
    beta_bytes: bytes | None = None,
    overlay: dict[str, Any] | None = None,
    source: Source | None = None,
    document: dict[str, Any] | None = None,
) -> SyncResult:
    """Both Realtime specs from the upstream document (`document`: it, parsed already)."""
    upstream = document if document is not None else yamlio.load_bytes(upstream_bytes)
    beta = yamlio.load_bytes(beta_bytes) if beta_bytes is not None else None
    overlay = overlay if overlay is not None else yamlio.load_path(OVERLAY)
    builder = _Builder(upstream, overlay, beta)
    events = builder.events()
    builder.beta_items(events)
    builder.beta_fields()

    paths = {
        path: item
        for path, item in sorted(upstream.get("paths", {}).items())
        if path.startswith("/realtime") and path not in overlay["ignored_paths"]
    }
    webhooks = _webhooks(upstream, overlay.get("webhooks", {}))
    http_roots = sorted(set(_refs(paths)) | set(webhooks.values()))
    webhook_names = {ref: webhook_schema_name(wire) for wire, ref in webhooks.items()}
    names = builder.name_map(events, http_roots, webhook_names)

    schemas: dict[str, Any] = {}
    for upstream_name, ours in names.items():
        cleaned = builder.clean(builder.schemas[upstream_name], names)
        if upstream_name not in builder.own:
            cleaned["x-upstream"] = upstream_name
        schemas[ours] = cleaned
    for event in events:
        if event.dialect == "beta":
            schemas[event.name]["properties"]["type"] = {"type": "string", "const": event.wire}
    builder.fix_null_defaults(schemas)
    builder.hoist_objects(schemas, sorted(webhook_names.values()))
    builder.widen_echoed_voices(schemas, events)
    builder.hoist_variants(schemas)
    builder.infer_discriminators(schemas)
    builder.fix_unions(schemas)
    builder.hoist_nested_unions(schemas)

    for dialect in naming.DIALECTS:
        for direction in naming.DIRECTIONS:
            members = [e for e in events if e.dialect == dialect and e.direction == direction]
            schemas[naming.union_name(dialect, direction)] = {
                "oneOf": [{"$ref": REF_PREFIX + e.name} for e in members],
                "discriminator": {
                    "propertyName": "type",
                    "mapping": {e.wire: REF_PREFIX + e.name for e in members},
                },
            }
    openapi_schemas = copy.deepcopy(schemas)
    for name in _only_under(schemas, sorted(webhook_names.values())):
        del schemas[name]  # webhook payloads belong to the HTTP spec alone
    _asyncapi_discriminators(schemas)
    upstream_unions = {
        "RealtimeClientEvent": ("ga", "client"),
        "RealtimeServerEvent": ("ga", "server"),
    }
    for union, (dialect, direction) in upstream_unions.items():
        listed = set(_refs(builder.schemas.get(union, {})))
        missing = [
            e.wire
            for e in events
            if e.dialect == dialect and e.direction == direction and e.upstream not in listed
        ]
        if missing:
            builder.repairs.append(f"{union} leaves out {', '.join(missing)}; our union has them")

    messages = {e.name: _message(e, overlay) for e in events}
    _dialect_names(events, messages, overlay["beta_dialect"])
    _dialect_shapes(schemas, overlay["beta_dialect"])
    channels: dict[str, Any] = {}
    for channel, address, transport in (
        ("websocket", "/v1/realtime", "websocket"),
        ("webrtc", "oai-events", "webrtc"),
    ):
        channels[channel] = {
            "address": address,
            "messages": {
                key: {"$ref": f"#/components/messages/{key}"}
                for key, message in messages.items()
                if transport in message["x-transports"]
            },
        }
    operations: dict[str, Any] = {}
    by_wire = {(e.dialect, e.direction, e.wire): e for e in events}
    for event in events:
        if event.direction != "client":
            continue
        channel = "websocket" if "websocket" in messages[event.name]["x-transports"] else "webrtc"
        replies = [
            by_wire[(event.dialect, "server", wire)].name
            for wire in overlay["replies"].get(event.wire, [])
            if (event.dialect, "server", wire) in by_wire
        ]
        operation: dict[str, Any] = {
            "action": "receive",
            "channel": {"$ref": f"#/channels/{channel}"},
            "messages": [{"$ref": f"#/channels/{channel}/messages/{event.name}"}],
        }
        if replies:
            operation["reply"] = {
                "channel": {"$ref": f"#/channels/{channel}"},
                "messages": [{"$ref": f"#/channels/{channel}/messages/{r}"} for r in replies],
            }
        operations["on" + event.name] = operation

    info = upstream.get("info", {})
    events_spec = {
        "asyncapi": "3.0.0",
        "info": {
            "title": "OpenAI Realtime protocol",
            "version": str(info.get("version", "unknown")),
            "description": (
                "Events of the OpenAI Realtime protocol in both dialects (GA and beta), as"
                " carried on the websocket endpoint and the WebRTC data channel. Written by"
                " `codegen sync`; edit codegen/overlay.yaml, not this file."
            ),
            **_upstream_info(upstream_bytes, source),
            "x-repairs": sorted(builder.repairs),
        },
        "defaultContentType": "application/json",
        "channels": channels,
        "operations": operations,
        "components": {
            "messages": messages,
            "schemas": {k: schemas[k] for k in sorted(schemas)},
            "x-dialect-shapes": _shape_tables(overlay["beta_dialect"]),
            "x-dialect-values": copy.deepcopy(overlay["beta_dialect"]["values"]),
        },
    }
    hooks = {wire: webhook_names[ref] for wire, ref in webhooks.items()}
    http_spec = _http_spec(paths, hooks, names, builder, overlay, info, openapi_schemas)
    http_spec["info"].update(_upstream_info(upstream_bytes, source))
    claimed = set(names) | set(upstream_unions) | {f"path {p}" for p in paths}
    return SyncResult(events_spec, http_spec, sorted(builder.repairs), claimed)


def _upstream_info(data: bytes, source: Source | None) -> dict[str, Any]:
    """Which document a spec came from: where it was read, its date, its sha256."""
    info: dict[str, Any] = {}
    if source is not None:
        info["x-upstream-source"] = source.label
        info["x-upstream-date"] = source.date
    info["x-upstream-sha256"] = yamlio.sha256(data)
    return info


def _only_under(schemas: dict[str, Any], roots: list[str]) -> set[str]:
    """Schemas reached from `roots` and from no other schema."""
    under = set(_closure(schemas, roots))
    others = [name for name in schemas if name not in under]
    shared = {ref for name in others for ref in _refs(schemas[name])}
    return under - set(_closure(schemas, sorted(shared)))


def _http_spec(
    paths: dict[str, Any],
    webhooks: dict[str, str],
    names: dict[str, str],
    builder: _Builder,
    overlay: dict[str, Any],
    info: dict[str, Any],
    schemas: dict[str, Any],
) -> dict[str, Any]:
    """HTTP routes, self-contained: the schemas they use are copied in OpenAPI form."""
    out_paths: dict[str, Any] = {}
    for path, item in paths.items():
        cleaned = builder.clean(item, names)
        for operation in cleaned.values():
            if isinstance(operation, dict):
                for response in operation.get("responses", {}).values():
                    response.setdefault("description", "")
        out_paths[path] = cleaned
    for path, item in overlay["legacy_paths"].items():
        out_paths.setdefault(path, copy.deepcopy(item))
    out_hooks = {wire: _webhook(wire, schema, overlay) for wire, schema in webhooks.items()}
    used = _closure(schemas, sorted(set(_refs(out_paths)) | set(webhooks.values())))
    spec: dict[str, Any] = {
        "openapi": "3.1.0",
        "info": {
            "title": "OpenAI Realtime HTTP routes",
            "version": str(info.get("version", "unknown")),
            "description": (
                "Signalling, client secrets, call control and the incoming-call webhooks"
                " of the Realtime protocol."
                " Written by `codegen sync`; edit codegen/overlay.yaml, not this file."
            ),
        },
        "servers": [{"url": "/v1"}],
        "paths": {k: out_paths[k] for k in sorted(out_paths)},
    }
    if out_hooks:
        spec["webhooks"] = out_hooks
    spec["components"] = {"schemas": {k: schemas[k] for k in sorted(used)}}
    return spec


def _webhook(wire: str, schema: str, overlay: dict[str, Any]) -> dict[str, Any]:
    """One webhook as OpenAPI 3.1 has them: the POST the API sends to your endpoint."""
    return {
        "post": {
            "operationId": naming.snake(wire).replace("_", "-"),
            "summary": overlay["webhooks"][wire],
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": {"$ref": REF_PREFIX + schema}}},
            },
            "responses": {"200": {"description": overlay["webhook_ack"]}},
        }
    }
