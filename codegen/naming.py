"""Names: wire event names to class names, upstream schema names to ours."""

from __future__ import annotations

import re

DIALECTS = ("ga", "beta")
DIRECTIONS = ("client", "server")

# Upstream schema names of events, by (dialect, direction).
EVENT_SCHEMA_PATTERNS = {
    ("ga", "client"): re.compile(r"RealtimeClientEvent([A-Z]\w*)"),
    ("ga", "server"): re.compile(r"RealtimeServerEvent([A-Z]\w*)"),
    ("beta", "client"): re.compile(r"RealtimeBetaClientEvent([A-Z]\w*)"),
    ("beta", "server"): re.compile(r"RealtimeBetaServerEvent([A-Z]\w*)"),
}

# The same events in the 2025-04-29 document, before the `Beta` infix existed.
OLD_BETA_EVENT_PATTERNS = {
    "client": re.compile(r"RealtimeClientEvent([A-Z]\w*)"),
    "server": re.compile(r"RealtimeServerEvent([A-Z]\w*)"),
}


def pascal(text: str) -> str:
    """`response.output_audio.delta` -> `ResponseOutputAudioDelta`."""
    return "".join(part[:1].upper() + part[1:] for part in re.split(r"[._\-/ ]+", text) if part)


def snake(text: str) -> str:
    """`response.output_audio.delta` -> `response_output_audio_delta`."""
    return re.sub(r"[^0-9a-zA-Z]+", "_", text).strip("_").lower()


def event_schema_name(dialect: str, wire: str) -> str:
    """Class name of an event: from its wire name, never from upstream titles."""
    return ("Beta" if dialect == "beta" else "") + pascal(wire) + "Event"


def default_schema_name(upstream: str, beta_only: bool) -> str:
    """Drop `Realtime`, `Beta` and a trailing `GA`; mark beta-only shapes `Beta`."""
    name = upstream
    if name.startswith("Realtime") and len(name) > len("Realtime"):
        name = name[len("Realtime") :]
    if name.startswith("Beta") and len(name) > 4 and name[4].isupper():
        name = name[4:]
    if name.endswith("GA"):
        name = name[:-2]
    return ("Beta" + name) if beta_only else name


def union_name(dialect: str, direction: str) -> str:
    return ("Beta" if dialect == "beta" else "") + direction.capitalize() + "Event"
