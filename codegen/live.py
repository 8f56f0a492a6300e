"""GPT-Live's spec, built from the installed `openai` package (>= 3.63).

OpenAI's public OpenAPI document has no GPT-Live; openai-python carries all of it, generated
from OpenAI's own spec. `build()` reads the package's Live types as JSON Schema
(live_schemas.py says how required and null are read per direction, and how schemas are
named), its resources for the routes and websocket paths (live_routes.py), repairs what
those types get wrong for a wire spec (listed in `info.x-repairs`), adds our own facts from
codegen/live_overlay.yaml, and returns the events spec (AsyncAPI 3.0, the conventions of
spec/realtime.asyncapi.yaml) and the HTTP routes (OpenAPI 3.1). Both record the source in
`info.x-source` (package, version, sha256 over the files read: live_source.py).
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

from . import live_routes, live_schemas, live_source, naming, yamlio
from .live_schemas import REF

OVERLAY = Path(__file__).resolve().parent / "live_overlay.yaml"
EVENTS_FILE = "live.asyncapi.yaml"
HTTP_FILE = "live.openapi.yaml"
DIALECT = "live"
DIRECTIONS = ("client", "server")
# The package's event unions per channel: (module, name). WebRTC's data channel has no
# union of its own in the package; the overlay says what it carries.
UNIONS = {
    ("websocket", "client"): ("openai.types.live.client_event_param", "ClientEventParam"),
    ("websocket", "server"): ("openai.types.live.server_event", "ServerEvent"),
    ("sideband", "client"): (
        "openai.types.live.connect_client_event_param",
        "ConnectClientEventParam",
    ),
    ("sideband", "server"): ("openai.types.live.connect_server_event", "ConnectServerEvent"),
    ("fork", "client"): ("openai.types.live.fork_client_event_param", "ForkClientEventParam"),
    ("fork", "server"): ("openai.types.live.fork_server_event", "ForkServerEvent"),
}
CHANNELS = ("websocket", "webrtc", "sideband", "fork")
# The fork websocket's session.start carries overrides, not a configuration: its own event.
FORK_START = "ForkSessionStartEvent"


def event_name(wire: str) -> str:
    """`session.output_audio.delta` -> `SessionOutputAudioDeltaEvent` (`decision.event`
    -> `DecisionEvent`)."""
    name = naming.pascal(wire)
    return name if name.endswith("Event") else name + "Event"


def _union(channel: str, direction: str) -> Any:
    module, attribute = UNIONS[(channel, direction)]
    return getattr(importlib.import_module(module), attribute)


class _Direction:
    """One direction's events and schemas over the package's unions of every channel."""

    def __init__(self, direction: str) -> None:
        self.direction = direction
        self.schemas: dict[str, Any] = {}
        self.events: dict[str, str] = {}  # our schema name -> wire name, union order
        self.channels: dict[str, list[str]] = {}  # our schema name -> channels with it
        self.optional: list[str] = []  # server fields read as optional, not nullable
        for channel in ("websocket", "sideband", "fork"):
            self._read(channel)

    def _read(self, channel: str) -> None:
        raw = live_schemas.raw(_union(channel, self.direction))
        defs = raw["$defs"]
        renames: dict[str, str] = {}
        for branch in raw["anyOf"]:
            upstream = branch["$ref"].removeprefix(REF)
            wire = defs[upstream]["properties"]["type"]["const"]
            ours = event_name(wire)
            if channel == "fork" and wire == "session.start":
                ours = FORK_START
            if ours in defs and ours != upstream:
                raise live_source.LiveSourceError(f"{ours} names both an event and a schema")
            renames[upstream] = ours
            if ours != FORK_START:
                self.events.setdefault(ours, wire)
                self.channels.setdefault(ours, []).append(channel)
        server = self.direction == "server"
        for name, schema in defs.items():
            cleaned = live_schemas.clean(schema, server, self.optional, name)
            cleaned = live_schemas.rename_refs(cleaned, renames)
            ours = renames.get(name, name)
            if self.schemas.setdefault(ours, cleaned) != cleaned:
                raise live_source.LiveSourceError(
                    f"{ours} differs between the package's {self.direction} unions"
                )


def _transports(
    overlay: dict[str, Any], direction: str, wire: str, channels: list[str]
) -> list[str]:
    given = overlay[f"{direction}_transports"].get(wire)
    if given is not None:
        return list(given)
    return [c for c in CHANNELS if c in channels or c == "webrtc"]


def _event_union(events: dict[str, str]) -> dict[str, Any]:
    return {
        "discriminator": "type",
        "oneOf": [{"$ref": REF + name} for name in events],
        "type": "object",
        "x-discriminator-mapping": {wire: REF + name for name, wire in events.items()},
    }


def _channels(overlay: dict[str, Any]) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for channel in CHANNELS:
        given = overlay["channels"][channel]
        if "resource" in given:
            built = live_routes.socket_path(channel)
            if built != given["resource"]:
                raise live_source.LiveSourceError(
                    f"the package's {channel} path is {built}, the overlay says {given['resource']}"
                )
        out[channel] = {"address": given["address"], "messages": {}}
        if "{session_id}" in given["address"]:
            out[channel]["parameters"] = {"session_id": {"description": "The session's id."}}
    return out


def build(overlay_path: Path = OVERLAY) -> tuple[dict[str, Any], dict[str, Any]]:
    """(events spec, HTTP spec) from the installed package and the overlay."""
    overlay = yamlio.load_path(overlay_path)
    pin = live_source.pin()
    client, server = _Direction("client"), _Direction("server")
    schemas, server_renames = live_schemas.merge_direction(client.schemas, server.schemas)
    server_events = {server_renames.get(n, n): w for n, w in server.events.items()}
    server_channels = {server_renames.get(n, n): c for n, c in server.channels.items()}
    schemas["ClientEvent"] = _event_union(client.events)
    schemas["ServerEvent"] = _event_union(server_events)
    unions = [0]
    schemas = live_schemas.discriminate(schemas, schemas, unions)
    schemas = dict(sorted(schemas.items()))

    channels = _channels(overlay)
    messages: dict[str, Any] = {}
    for direction, events, where in (
        ("client", client.events, client.channels),
        ("server", server_events, server_channels),
    ):
        for name, wire in events.items():
            transports = _transports(overlay, direction, wire, where[name])
            messages[name] = {
                "name": wire,
                "summary": overlay[f"{direction}_summaries"][wire],
                "payload": {"$ref": REF + name},
                "x-dialect": DIALECT,
                "x-direction": direction,
                "x-transports": transports,
            }
            for channel in transports:
                channels[channel]["messages"][name] = {"$ref": f"#/components/messages/{name}"}
    channels["fork"]["messages"][FORK_START] = {
        "name": "session.start",
        "summary": "Start a fork of a stored session, with the settings it overrides.",
        "payload": {"$ref": REF + FORK_START},
        "x-dialect": DIALECT,
        "x-direction": "client",
        "x-transports": ["fork"],
    }
    query = live_schemas.clean(
        live_schemas.raw(
            importlib.import_module(
                "openai.types.live.sideband_connect_params"
            ).SidebandConnectParams
        ),
        False,
        [],
    )
    channels["sideband"]["bindings"] = {"ws": {"method": "GET", "query": query}}
    by_wire = {(m["x-direction"], m["name"]): k for k, m in messages.items()}
    operations: dict[str, Any] = {}
    for name, wire in client.events.items():
        channel = messages[name]["x-transports"][0]
        operation: dict[str, Any] = {
            "action": "receive",
            "channel": {"$ref": f"#/channels/{channel}"},
            "messages": [{"$ref": f"#/channels/{channel}/messages/{name}"}],
        }
        replies = [
            by_wire[("server", r)]
            for r in overlay["replies"].get(wire, [])
            if by_wire[("server", r)] in channels[channel]["messages"]
        ]
        if replies:
            operation["reply"] = {
                "channel": {"$ref": f"#/channels/{channel}"},
                "messages": [{"$ref": f"#/channels/{channel}/messages/{r}"} for r in replies],
            }
        operations["on" + name] = operation

    repairs = _repairs(overlay, client, server, server_renames, unions[0])
    events_spec = {
        "asyncapi": "3.0.0",
        "info": {
            "title": "OpenAI GPT-Live protocol",
            "version": pin["version"],
            "description": (
                "Events of GPT-Live on its websocket, the WebRTC data channel, the sideband and"
                " the fork websocket. Client events follow openai-python's request types (null"
                " only where they allow it); server events its response models, a field they"
                " default to None being optional and not nullable. Written by"
                " `codegen.live.build()` from the `openai` package's types; edit"
                " codegen/live_overlay.yaml, not this file."
            ),
            "x-source": pin,
            "x-repairs": repairs,
        },
        "defaultContentType": "application/json",
        "channels": channels,
        "operations": operations,
        "components": {"messages": messages, "schemas": schemas},
    }
    return events_spec, _http_spec(overlay, pin, query)


def _repairs(
    overlay: dict[str, Any],
    client: _Direction,
    server: _Direction,
    server_renames: dict[str, str],
    unions: int,
) -> list[str]:
    """What the package's types get wrong for a wire spec, and what was done about it."""
    websocket = {
        d.direction: {w for n, w in d.events.items() if "websocket" in d.channels[n]}
        for d in (client, server)
    }
    repairs = [
        f"server models: {len(server.optional)} fields typed `Optional[X] = None` read as"
        " optional and not nullable (a server leaves them out)",
        f"{unions} unions the package discriminates by `type` in Python, which its JSON Schema"
        " loses: discriminated again",
        "the fork websocket's session.start carries overrides (ForkSessionStartEvent): kept"
        " out of ClientEvent, whose session.start is the websocket's",
    ]
    for direction, events in (("client", client.events), ("server", server.events)):
        missing = sorted(set(events.values()) - websocket[direction])
        if missing:
            repairs.append(
                f"{direction.capitalize()}Event leaves out {', '.join(missing)} (other"
                f" channels' unions); our {direction.capitalize()}Event has them"
            )
    for direction in DIRECTIONS:
        d = client if direction == "client" else server
        for name, wire in d.events.items():
            given = overlay[f"{direction}_transports"].get(wire)
            unsent = [c for c in d.channels[name] if given is not None and c not in given]
            if unsent:
                repairs.append(
                    f"{direction} {wire} is in the package's {', '.join(unsent)} union but"
                    f" travels only on {', '.join(given)} (overlay)"
                )
    if server_renames:
        repairs.append(
            "client and server shapes that differ under one name: the server's are "
            + ", ".join(sorted(server_renames.values()))
        )
    return repairs


def _http_spec(
    overlay: dict[str, Any], pin: dict[str, Any], query: dict[str, Any]
) -> dict[str, Any]:
    """The HTTP routes of the package's `Live` and `Sessions` resources, and the three
    websocket upgrades, with the schemas of their bodies."""
    client: dict[str, Any] = {}
    server: dict[str, Any] = {}
    paths: dict[str, Any] = {}
    for route in live_routes.routes():
        operation: dict[str, Any] = {
            "operationId": route.operation_id,
            "summary": overlay["routes"][route.operation_id],
        }
        if "{session_id}" in route.path:
            operation["parameters"] = [_session_id()]
        if route.params is not None:
            name = _collect(route.params, client, server=False)
            operation["requestBody"] = {
                "required": True,
                "content": {"application/json": {"schema": {"$ref": REF + name}}},
            }
        if route.answer == "binary":
            content: dict[str, Any] | None = {
                "application/octet-stream": {"schema": {"type": "string", "format": "binary"}}
            }
        elif isinstance(route.answer, tuple):
            name = _collect(route.answer, server, server=True)
            content = {"application/json": {"schema": {"$ref": REF + name}}}
        else:
            content = None
        answer: dict[str, Any] = {"description": "Done." if content is None else "The answer."}
        if content is not None:
            answer["content"] = content
        operation["responses"] = {"200": answer}
        paths.setdefault(route.path, {})[route.http] = operation
    for operation_id, channel in (
        ("live.connect", "websocket"),
        ("live.sideband.connect", "sideband"),
        ("live.forks.connect", "fork"),
    ):
        path = live_routes.socket_path(channel)
        upgrade: dict[str, Any] = {
            "operationId": operation_id,
            "summary": overlay["routes"][operation_id],
            "x-asyncapi-channel": channel,
        }
        parameters = [_session_id()] if "{session_id}" in path else []
        for name in live_routes.socket_query(channel):
            parameters.append(
                {
                    "in": "query",
                    "name": name,
                    "required": False,
                    "schema": query["properties"][name],
                }
            )
        if parameters:
            upgrade["parameters"] = parameters
        upgrade["responses"] = {"101": {"description": "Switching to the websocket."}}
        paths.setdefault(path, {})["get"] = upgrade
    schemas, _ = live_schemas.merge_direction(client, server)
    schemas = _openapi_discriminators(live_schemas.discriminate(schemas, schemas, [0]))
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "OpenAI GPT-Live HTTP routes",
            "version": pin["version"],
            "description": (
                "WebRTC creation, session control and the websocket upgrades of GPT-Live."
                " Written by `codegen.live.build()`; edit codegen/live_overlay.yaml, not this"
                " file."
            ),
            "x-source": pin,
        },
        "servers": [{"url": "/v1"}],
        "security": [{"bearer": []}],
        "paths": dict(sorted(paths.items())),
        "components": {
            "schemas": dict(sorted(schemas.items())),
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
    }


def _openapi_discriminators(node: Any) -> Any:
    """AsyncAPI names the discriminator; OpenAPI wants `{propertyName, mapping}`."""
    if isinstance(node, list):
        return [_openapi_discriminators(v) for v in node]
    if not isinstance(node, dict):
        return node
    out = {k: _openapi_discriminators(v) for k, v in node.items() if k != "x-discriminator-mapping"}
    if isinstance(node.get("discriminator"), str):
        out["discriminator"] = {
            "propertyName": node["discriminator"],
            "mapping": node["x-discriminator-mapping"],
        }
    return out


def _session_id() -> dict[str, Any]:
    return {"in": "path", "name": "session_id", "required": True, "schema": {"type": "string"}}


def _collect(ref: tuple[str, str], into: dict[str, Any], server: bool) -> str:
    """Add a route body's schema and its definitions to one direction's schemas; its name."""
    raw = live_schemas.raw(live_routes.python_type(ref))
    name = live_schemas.schema_name(*ref)
    found = {**raw.pop("$defs", {}), name: raw}
    for key, schema in found.items():
        cleaned = live_schemas.clean(schema, server, [], key)
        if into.setdefault(key, cleaned) != cleaned:
            raise live_source.LiveSourceError(f"{key} differs between the package's routes")
    return name


def write(spec_dir: Path) -> list[Path]:
    """Build and write spec/live.asyncapi.yaml and spec/live.openapi.yaml."""
    events, http = build()
    written = []
    for name, document in ((EVENTS_FILE, events), (HTTP_FILE, http)):
        path = spec_dir / name
        path.write_text(yamlio.dump(document))
        written.append(path)
    return written
