"""Fuzz cases: the spec's client events, valid and mutated, and raw frames.

Valid events come from hypothesis-jsonschema (`from_schema`) over each client event's
closed schema (fuzz_spec), drawn once per seed into a pool (cached under .hypothesis/,
since drawing is the slow part). Every case is then made from the pool by a
`random.Random` seeded from the run's seed and the case's cell, so a seed names the
same cases on every machine:

- `valid`: a pool event as drawn;
- mutations of a pool event, each at one place whose path is kept (`param`, written as
  the server writes `error.param`: `session.tools[0].name`): a required field dropped,
  an unknown field added (at top level, or nested in any closed object), a value
  retyped (string, number, bool, null, object, array), a value out of its enum, out of
  its range (minimum/maximum, maxLength, minItems/maxItems). The mutated event is
  checked against the schema again: one the spec still allows is sent as valid;
- raw frames: non-JSON text, binary frames, bad base64 and odd-length PCM16 audio in
  `input_audio_buffer.append` and in a `conversation.item.create` `input_audio` part,
  deeply nested JSON (10^4 to 10^5 levels of arrays or objects, bare or inside an
  event), JSON the standard does not allow (NaN, Infinity, lone surrogates),
  duplicate keys, huge numbers, and frames over the server's frame limit.
"""

from __future__ import annotations

import functools
import hashlib
import json
import random
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import fuzz_spec
from fuzz_spec import ClientEvent

Path_ = tuple[str | int, ...]
Frame = str | bytes

MAX_FRAME_BYTES = 15 * 1024 * 1024  # the server's default limit (transports/websocket.py)
POOL_CACHE = fuzz_spec.ROOT / ".hypothesis" / "fuzz-pool"
UNKNOWN_FIELD = "fuzz_unknown"
NOT_IN_ENUM = "fuzz_not_in_enum"
PLACEHOLDER = "fz_placeholder"  # a pool event's id until the case gives it its own


def param_of(path: Path_) -> str:
    """A path as the service writes `error.param`: `item.content[0].audio`. A key the
    notation cannot write (empty, or with `.` or `[` in it: a map's own key) is named
    by the map that holds it."""
    out = ""
    for part in path:
        if isinstance(part, str) and (not part or any(c in part for c in ".[]")):
            break
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out


@dataclass(frozen=True)
class Case:
    """One thing to send, and what the spec says of it."""

    id: str
    dialect: str
    event: str  # the event's wire type, or "raw"
    kind: str  # valid, drop_required, unknown_field, ..., raw:<what>
    frames: tuple[Frame, ...]
    invalid: bool  # the spec refuses it: it must get an `error`
    param: str | None = None  # the field that is wrong, when the spec says which
    event_id: str | None = None  # what `error.event_id` must echo
    too_big: bool = False  # over the frame limit: a close 1009 is a clean answer
    note: str = ""  # what a raw case is, in words
    base: str | None = None  # a mutation's event before it was mutated
    carried: bool = True  # its type is one the session's transport carries

    def size(self) -> int:
        return max(len(f.encode() if isinstance(f, str) else f) for f in self.frames)

    def shown(self, limit: int = 300) -> str:
        """The frames, cut to `limit` characters each, for a report."""
        parts = []
        for frame in self.frames:
            text = frame if isinstance(frame, str) else f"<binary {frame[:40]!r}>"
            if len(text) > limit:
                text = f"{text[: limit // 2]}...<{len(text)} chars>...{text[-limit // 4 :]}"
            parts.append(text)
        return " | ".join(parts)


# -- the pool of valid events, from hypothesis-jsonschema ------------------------------


def _draw(event: ClientEvent, seed: int, count: int) -> list[dict[str, Any]]:
    """`count` schema-valid events (fewer when the schema allows fewer), seeded."""
    from helpers.jsonschema_strategies import from_schema
    from hypothesis import HealthCheck, Phase, given, settings
    from hypothesis import seed as hypothesis_seed

    drawn: list[dict[str, Any]] = []
    strategy = from_schema(fuzz_spec.inlined(event.schema_name), codec="utf-8")

    @hypothesis_seed(seed)
    @settings(
        max_examples=count,
        deadline=None,
        database=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(strategy)
    def collect(value: dict[str, Any]) -> None:
        drawn.append(value)

    collect()
    # hypothesis replays an example now and then: keep each once, in drawn order
    unique = {json.dumps(v, sort_keys=True): v for v in drawn}
    return list(unique.values())[:count]


def _pool_key(seed: int, count: int) -> str:
    import hypothesis
    import hypothesis_jsonschema

    digest = hashlib.sha256()
    digest.update(fuzz_spec.EVENTS_SPEC.read_bytes())
    digest.update(Path(__file__).read_bytes())
    digest.update(Path(fuzz_spec.__file__).read_bytes())
    versions = f"{hypothesis.__version__}/{hypothesis_jsonschema.__version__}/{seed}/{count}"
    digest.update(versions.encode())
    return digest.hexdigest()[:20]


@functools.cache
def pool(seed: int, count: int) -> dict[tuple[str, str], list[dict[str, Any]]]:
    """Up to `count` valid events per (dialect, event type), drawn with `seed`; kept
    on disk, as drawing them takes tens of seconds and they depend only on the key."""
    path = POOL_CACHE / f"{_pool_key(seed, count)}.json"
    if path.exists():
        stored = json.loads(path.read_text())
        return {tuple(k.split(" ", 1)): v for k, v in stored.items()}  # type: ignore[misc]
    drawn = {}
    for event in fuzz_spec.client_events():
        event_seed = zlib.crc32(f"{seed} {event.dialect} {event.name}".encode())
        drawn[(event.dialect, event.name)] = _draw(event, event_seed, count)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps({f"{d} {n}": v for (d, n), v in drawn.items()}))
    tmp.replace(path)
    return drawn


# -- places in an event, with their schema ------------------------------------------


@dataclass
class Site:
    path: Path_
    schema: dict[str, Any]
    value: Any


def _branch(schema: dict[str, Any], value: Any) -> dict[str, Any]:
    """The schema that applies to `value`: the first branch of a union it matches,
    merged with the keywords beside the union."""
    for key in ("oneOf", "anyOf"):
        if key in schema:
            outer = {k: v for k, v in schema.items() if k != key}
            for option in schema[key]:
                if fuzz_spec.is_valid(option, value):
                    return _branch({**outer, **option}, value)
            return outer
    if "allOf" in schema:
        merged = {k: v for k, v in schema.items() if k != "allOf"}
        for part in schema["allOf"]:
            merged.update(_branch(part, value))
        return merged
    return schema


def sites(value: Any, schema: dict[str, Any], path: Path_ = ()) -> Iterator[Site]:
    """Every place in `value` (the root too), with the schema that applies there."""
    schema = _branch(schema, value)
    yield Site(path, schema, value)
    if isinstance(value, dict):
        properties = schema.get("properties", {})
        extra = schema.get("additionalProperties")
        for key, item in value.items():
            if key in properties:
                yield from sites(item, properties[key], (*path, key))
            elif isinstance(extra, dict):
                yield from sites(item, extra, (*path, key))
    elif isinstance(value, list) and isinstance(schema.get("items"), dict):
        for index, item in enumerate(value):
            yield from sites(item, schema["items"], (*path, index))


def _get(root: Any, path: Path_) -> Any:
    for part in path:
        root = root[part]
    return root


def _set(root: Any, path: Path_, value: Any) -> Any:
    """A copy of `root` with `value` at `path` (copied along the path only)."""
    if not path:
        return value
    head, rest = path[0], path[1:]
    out = dict(root) if isinstance(root, dict) else list(root)
    out[head] = _set(root[head], rest, value) if rest else value  # type: ignore[index]
    return out


def _drop(root: Any, path: Path_) -> Any:
    parent = _get(root, path[:-1])
    smaller = {k: v for k, v in parent.items() if k != path[-1]}
    return _set(root, path[:-1], smaller)


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


RETYPED: dict[str, Callable[[random.Random], Any]] = {
    "string": lambda r: r.choice(["fuzz", "", "1", "true", "null", "{}"]),
    "number": lambda r: r.choice([0, 1, -1, 7, 1.5, -2.25, 10**12]),
    "bool": lambda r: r.choice([True, False]),
    "null": lambda r: None,
    "object": lambda r: r.choice([{}, {"fuzz": 1}]),
    "array": lambda r: r.choice([[], [1], ["fuzz"], [{}]]),
}


@dataclass
class Mutation:
    kind: str
    event: Any
    path: Path_  # the field that is wrong


def _mutations(event: dict[str, Any], schema: dict[str, Any]) -> list[Callable[..., Any]]:
    """One maker per possible mutation of `event` (called with an rng)."""
    makers: list[Callable[[random.Random], Mutation]] = []
    for site in sites(event, schema):
        makers.extend(_site_mutations(event, site))
    return makers


def _site_mutations(event: Any, site: Site) -> list[Callable[[random.Random], Mutation]]:
    makers: list[Callable[[random.Random], Mutation]] = []
    path, schema, value = site.path, site.schema, site.value
    if isinstance(value, dict):
        for key in schema.get("required", []):
            if key in value:
                makers.append(
                    lambda r, k=key: Mutation("drop_required", _drop(event, (*path, k)), (*path, k))
                )
        if schema.get("additionalProperties") is False:
            kind = "unknown_field" if not path else "unknown_field_nested"

            def unknown(r: random.Random, kind: str = kind) -> Mutation:
                name = r.choice([UNKNOWN_FIELD, "fuzzExtra", "x", "Type", "_", "é"])
                name = name if name not in value else f"{name}_{r.randrange(100)}"
                extra = RETYPED[r.choice(list(RETYPED))](r)
                return Mutation(kind, _set(event, (*path, name), extra), (*path, name))

            makers.append(unknown)
    if path:
        current = _json_type(value)

        def retype(r: random.Random) -> Mutation:
            kind = r.choice([t for t in RETYPED if t != current])
            return Mutation("retype", _set(event, path, RETYPED[kind](r)), path)

        makers.append(retype)
        if "enum" in schema or "const" in schema:
            allowed = schema.get("enum", [schema.get("const")])

            def out_of_enum(r: random.Random) -> Mutation:
                numbers = [a for a in allowed if isinstance(a, int) and not isinstance(a, bool)]
                if numbers:
                    bad: Any = max(numbers) + r.choice([1, 1000])
                else:
                    bad = r.choice([NOT_IN_ENUM, "", f"{allowed[0]}x", str(allowed[0]).upper()])
                return Mutation("out_of_enum", _set(event, path, bad), path)

            makers.append(out_of_enum)
        makers.extend(_range_mutations(event, path, schema, value))
    return makers


def _range_mutations(
    event: Any, path: Path_, schema: dict[str, Any], value: Any
) -> list[Callable[[random.Random], Mutation]]:
    makers: list[Callable[[random.Random], Mutation]] = []
    if isinstance(value, int | float) and not isinstance(value, bool):
        integer = schema.get("type") == "integer"
        step = 1 if integer else 0.5
        beyond = []
        if "minimum" in schema:
            beyond.append(schema["minimum"] - step)
        if "exclusiveMinimum" in schema:
            beyond.append(schema["exclusiveMinimum"])
        if "maximum" in schema:
            beyond.append(schema["maximum"] + step)
        if "exclusiveMaximum" in schema:
            beyond.append(schema["exclusiveMaximum"])
        for bad in beyond:
            bad = int(bad) if integer else bad
            makers.append(lambda r, b=bad: Mutation("out_of_range", _set(event, path, b), path))
    if isinstance(value, str) and "maxLength" in schema:
        long = "x" * (schema["maxLength"] + 1)
        makers.append(lambda r: Mutation("out_of_range", _set(event, path, long), path))
    if isinstance(value, list):
        if schema.get("minItems", 0) > 0:
            makers.append(lambda r: Mutation("out_of_range", _set(event, path, []), path))
        if "maxItems" in schema and value:
            many = [value[0]] * (schema["maxItems"] + 1)
            makers.append(lambda r: Mutation("out_of_range", _set(event, path, many), path))
    return makers


# -- raw frames ---------------------------------------------------------------------

BAD_BASE64 = [
    "%%%",
    "A",
    "AQ=",
    "====",
    "AAA=AAA=",
    "\uff21\uff1d\uff1d\uff1d",
    "AA AA!",
    "AAAA\x00",
]
ODD_PCM16 = ["AQID", "AQ==", "AAAAAAA=", "AAECAwQ=", "A" * 4000 + "AQID"]
ODD_BASE64 = [" AAAA", "AAAA\n", "data:audio/pcm;base64,AAAA", "AAAA" * 3 + "=" * 8]


SETUP_SUFFIX = "_setup"  # a frame that sets the stage for a case; its own errors are not the case's


def _pcm16_first(audio: str, dialect: str, eid: str) -> tuple[str, ...]:
    """An odd byte count is wrong only for PCM16 (G.711 has 1-byte samples, and a
    fuzzed session.update may have chosen it): set PCM16 first."""
    if audio not in ODD_PCM16:
        return ()
    fmt = {"audio": {"input": {"format": {"type": "audio/pcm", "rate": 24000}}}}
    session = _session(dialect, fmt if dialect == "ga" else {"input_audio_format": "pcm16"})
    update = {"type": "session.update", "event_id": eid + SETUP_SUFFIX, "session": session}
    return (_dumps(update),)


def _deep(depth: int, shape: str) -> str:
    if shape == "array":
        return "[" * depth + "]" * depth
    return '{"a":' * depth + "1" + "}" * depth


def _dumps(event: Any) -> str:
    return json.dumps(event, ensure_ascii=False, separators=(",", ":"))


def _item_audio(audio: str, dialect: str) -> dict[str, Any]:
    content = {"type": "input_audio", "audio": audio}
    return {"type": "message", "role": "user", "content": [content]}


def _session(dialect: str, fields: dict[str, Any]) -> dict[str, Any]:
    return {"type": "realtime", **fields} if dialect == "ga" else fields


@dataclass
class RawMaker:
    kind: str
    make: Callable[[random.Random, str, str, int], tuple[tuple[Frame, ...], str | None, str]]
    invalid: bool = True
    too_big: bool = False
    weight: int = 1
    echo: bool = True  # the frame's event_id can be read (so the error must echo it)


def _raw_makers() -> list[RawMaker]:
    def non_json(r: random.Random, dialect: str, eid: str, limit: int) -> Any:
        junk = "".join(chr(r.randrange(32, 127)) for _ in range(r.randrange(1, 60)))
        choice = r.choice(
            ["", " ", "{", "}", "nul", '{"type":', "\x00", "[1,2,3]", "1", '"session.update"',
             "null", "true", "NaN", "{'type': 'response.create'}", junk]
        )  # fmt: skip
        return (choice,), None, "non-JSON text (or JSON that is not an object)"

    def binary(r: random.Random, dialect: str, eid: str, limit: int) -> Any:
        choice = r.randrange(4)
        if choice == 0:
            return (r.randbytes(r.randrange(1, 200)),), None, "random binary frame"
        if choice == 1:
            return (b"\xff\xfe\x00\x01",), None, "binary frame, not UTF-8"
        if choice == 2:
            event = {"type": "input_audio_buffer.clear", "event_id": eid}
            return (_dumps(event).encode("utf-16"),), None, "a JSON event in UTF-16"
        event = {"type": "conversation.item.retrieve", "item_id": "fuzz_missing", "event_id": eid}
        return (_dumps(event).encode(),), "item_id", "a JSON event as a binary frame"

    def bad_append(r: random.Random, dialect: str, eid: str, limit: int) -> Any:
        audio = r.choice(BAD_BASE64 + ODD_PCM16 + ODD_BASE64)
        event = {"type": "input_audio_buffer.append", "audio": audio, "event_id": eid}
        frames = (*_pcm16_first(audio, dialect, eid), _dumps(event))
        return frames, "audio", f"append of audio {audio[:20]!r}"

    def bad_item_audio(r: random.Random, dialect: str, eid: str, limit: int) -> Any:
        audio = r.choice(BAD_BASE64 + ODD_PCM16 + ODD_BASE64)
        event = {
            "type": "conversation.item.create",
            "event_id": eid,
            "item": _item_audio(audio, dialect),
        }
        frames = (*_pcm16_first(audio, dialect, eid), _dumps(event))
        return frames, "item.content[0].audio", f"input_audio {audio[:20]!r}"

    def deep(r: random.Random, dialect: str, eid: str, limit: int) -> Any:
        shape = r.choice(["array", "object"])
        depth = r.choice([10_000, 30_000, 100_000])
        per_level = 2 if shape == "array" else 6
        depth = min(depth, (limit - 200) // per_level)
        nested = _deep(depth, shape)
        where = r.randrange(4)
        if where == 0:
            return (nested,), None, f"{depth} nested {shape}s"
        if where == 1:
            head = f'{{"type":"session.update","event_id":"{eid}","session":'
            session = _dumps(_session(dialect, {}))[:-1]
            sep = "," if session != "{" else ""
            frame = f'{head}{session}{sep}"instructions":{nested}}}}}'
            return (frame,), None, f"{depth} nested {shape}s as instructions"
        if where == 2:
            head = f'{{"type":"response.create","event_id":"{eid}","response":'
            frame = f'{head}{{"metadata":{nested}}}}}'
            return (frame,), None, f"{depth} nested {shape}s as metadata"
        frame = f'{{"event_id":"{eid}","type":{nested}}}'
        return (frame,), None, f"{depth} nested {shape}s as the type"

    def not_json_standard(r: random.Random, dialect: str, eid: str, limit: int) -> Any:
        constant = r.choice(["NaN", "Infinity", "-Infinity", "1e400", "-1e400"])
        choice = r.randrange(3)
        if choice == 0:
            output = {"speed": "@"} if dialect == "ga" else {}
            fields = {"audio": {"output": output}} if dialect == "ga" else {"speed": "@"}
            session = _dumps(_session(dialect, fields)).replace('"@"', constant)
            param = "session.audio.output.speed" if dialect == "ga" else "session.speed"
            frame = f'{{"type":"session.update","event_id":"{eid}","session":{session}}}'
            return (frame,), param, f"speed {constant}"
        if choice == 1:
            name = "max_output_tokens" if dialect == "ga" else "max_response_output_tokens"
            head = f'{{"type":"response.create","event_id":"{eid}","response":'
            frame = f'{head}{{"{name}":{constant}}}}}'
            return (frame,), f"response.{name}", f"{name} {constant}"
        frame = (
            f'{{"type":"conversation.item.truncate","event_id":"{eid}","item_id":"fuzz_missing",'
            f'"content_index":0,"audio_end_ms":{constant}}}'
        )
        return (frame,), "audio_end_ms", f"audio_end_ms {constant}"

    def surrogate(r: random.Random, dialect: str, eid: str, limit: int) -> Any:
        """A lone surrogate (valid JSON escape, not a character) in text the server
        keeps and sends back: the item, then a response that echoes it."""
        lone = r.choice(["\\ud800", "\\udfff", "a\\udbffb"])
        item = (
            f'{{"type":"conversation.item.create","event_id":"{eid}","item":{{"type":"message",'
            f'"role":"user","content":[{{"type":"input_text","text":"{lone}"}}]}}}}'
        )
        instructions = f'{{"type":"session.update","event_id":"{eid}_s","session":' + (
            f'{{"type":"realtime","instructions":"{lone}"}}}}'
            if dialect == "ga"
            else f'{{"instructions":"{lone}"}}}}'
        )
        create = f'{{"type":"response.create","event_id":"{eid}_r"}}'
        return (item, instructions, create), None, f"lone surrogate {lone} in text and instructions"

    def duplicate_keys(r: random.Random, dialect: str, eid: str, limit: int) -> Any:
        frame = r.choice(
            [
                f'{{"type":"response.cancel","type":"input_audio_buffer.clear","event_id":"{eid}"}}',
                f'{{"type":"conversation.item.delete","item_id":"a","item_id":7,"event_id":"{eid}"}}',
            ]
        )
        return (frame,), None, "duplicate keys"

    def huge_numbers(r: random.Random, dialect: str, eid: str, limit: int) -> Any:
        number = r.choice(["1" + "0" * 400, "-" + "9" * 5000, "1e308", "-0", "1.0e-400"])
        frame = (
            f'{{"type":"conversation.item.truncate","event_id":"{eid}","item_id":"fuzz_missing",'
            f'"content_index":{number},"audio_end_ms":{number}}}'
        )
        return (frame,), None, f"numbers like {number[:12]}"

    def oversized(r: random.Random, dialect: str, eid: str, limit: int) -> Any:
        size = MAX_FRAME_BYTES + r.choice([1, 4096])
        if r.random() < 0.5:
            head = f'{{"type":"input_audio_buffer.append","event_id":"{eid}","audio":"'
            frame = head + "A" * (size - len(head) - 2) + '"}'
        else:
            frame = "x" * size
        return (frame,), None, f"a frame of {size} bytes (over the limit)"

    def lots_of_audio(r: random.Random, dialect: str, eid: str, limit: int) -> Any:
        """Valid audio appends as large as the transport takes."""
        size = min(limit - 200, r.choice([4 * 1024 * 1024, 256 * 1024]))
        audio = "AAAA" * (size // 4)
        event = {"type": "input_audio_buffer.append", "audio": audio, "event_id": eid}
        return (_dumps(event),), None, f"append of {size} base64 characters of silence"

    return [
        RawMaker("raw:non_json", non_json, weight=3, echo=False),
        RawMaker("raw:binary", binary, weight=2, echo=False),
        RawMaker("raw:bad_append_audio", bad_append, weight=3),
        RawMaker("raw:bad_item_audio", bad_item_audio, weight=3),
        RawMaker("raw:deep_json", deep, weight=3, echo=False),
        RawMaker("raw:not_json_standard", not_json_standard, weight=2),
        RawMaker("raw:lone_surrogate", surrogate, invalid=False),
        RawMaker("raw:duplicate_keys", duplicate_keys, invalid=False),
        RawMaker("raw:huge_numbers", huge_numbers, invalid=False),
        RawMaker("raw:big_append", lots_of_audio, invalid=False),
        RawMaker("raw:oversized", oversized, too_big=True, weight=0, echo=False),  # placed by count
    ]


# -- regressions -----------------------------------------------------------------------

# Events that once ended a session, made the server fail or got a wrong `param`: each
# cell sends its dialect's first, whatever the seed, so a regression fails every run.
# (dialect or "*", event, param the error must name or None, what it was)
REGRESSIONS: tuple[tuple[str, dict[str, Any] | str, str | None, str], ...] = (
    ("*", {"type": "input_audio_buffer.append", "audio": "AQID"}, "audio",
     "odd-length PCM16 ended the session"),
    ("*", {"type": "conversation.item.create", "item": _item_audio("%%%", "ga")},
     "item.content[0].audio", "bad base64 in an input_audio part ended the session"),
    ("*", _deep(20_000, "array"), None, "deep JSON ended a beta session"),
    ("ga", {"type": "session.update", "session": {"type": "realtime", "audio": None}},
     "session.audio", "audio: null made the server fail"),
    ("ga", {"type": "response.create", "response": {"audio": {"output": None}}},
     "response.audio.output", "output: null made the server fail"),
    ("ga", {"type": "response.create",
            "response": {"audio": {"output": {"format": {}, "voice": {"id": ""}}}}},
     None, "a custom voice ({id}) made the server fail"),
    ("ga", {"type": "response.cancel", "response_id": None}, "response_id",
     "response_id: null made the server fail"),
    ("ga", {"type": "session.update",
            "session": {"type": "realtime",
                        "tools": [{"type": "mcp", "server_label": "x", UNKNOWN_FIELD: 1}]}},
     f"session.tools[0].{UNKNOWN_FIELD}", "an MCP tool's fault was named on the function tool"),
    ("beta", {"type": "response.create",
              "response": {"max_output_tokens": 9, "voice": {"id": "v"},
                           "output_audio_format": "g711_ulaw"}},
     None, "a custom voice ended a beta session, then made the server fail"),
    ("beta", {"type": "response.cancel", "response_id": ""}, None,
     "cancelling the response the one before failed to start made the server fail"),
    ("beta", {"type": "response.create", "response": {"max_output_tokens": False}},
     "response.max_output_tokens", "the beta name was answered with another"),
    ("*", {"type": "output_audio_buffer.clear"}, None,
     "the error (over WebRTC) did not echo the event_id"),
)  # fmt: skip


def regression_cases(dialect: str, prefix: str, carried: dict[str, bool]) -> list[Case]:
    schemas = {e.name: e.schema_name for e in fuzz_spec.client_events() if e.dialect == dialect}
    cases = []
    for n, (where, event, param, note) in enumerate(REGRESSIONS):
        if where not in ("*", dialect):
            continue
        eid = f"fz_r{n}"
        if isinstance(event, str):
            cases.append(Case(f"{prefix}-r{n}", dialect, "raw", "regression", (event,), True,
                              note=note))  # fmt: skip
            continue
        event = {**event, "event_id": eid}
        schema = fuzz_spec.inlined(schemas[event["type"]])
        invalid = param is not None or not fuzz_spec.is_valid(schema, event)
        cases.append(
            Case(f"{prefix}-r{n}", dialect, event["type"], "regression", (_dumps(event),),
                 invalid, param, eid, note=note, carried=carried.get(event["type"], True))
        )  # fmt: skip
    return cases


# -- cells ------------------------------------------------------------------------------


@dataclass
class Mix:
    """How a cell's cases are drawn (shares of the draw)."""

    valid: float = 0.2
    raw: float = 0.12  # the rest are mutations
    oversized: int = 2  # frames over the limit per cell (where the transport can send them)


def cell_seed(seed: int, *names: str) -> int:
    return zlib.crc32(" ".join([str(seed), *names]).encode())


def cell_cases(*args: Any, **kwargs: Any) -> list[Case]:
    """`iter_cell_cases` as a list."""
    return list(iter_cell_cases(*args, **kwargs))


def iter_cell_cases(
    seed: int,
    pool_size: int,
    dialect: str,
    transport: str,
    count: int,
    *,
    max_frame: int = MAX_FRAME_BYTES,
    name: str = "",
    mix: Mix | None = None,
) -> Iterator[Case]:
    """`count` cases for one cell (a dialect over a transport), from `seed` alone, made
    as they are asked for (some frames are megabytes).

    `max_frame`: the largest frame the transport can carry (a WebRTC data channel
    takes what the server's SDP says); bigger cases are not made for it, and the
    oversized ones only where frames may exceed the server's limit.
    """
    mix = mix or Mix()
    rng = random.Random(cell_seed(seed, name, dialect, transport))
    drawn = pool(seed, pool_size)
    events = [e for e in fuzz_spec.client_events() if e.dialect == dialect]
    events = [e for e in events if drawn[(e.dialect, e.name)]]
    raws = [m for m in _raw_makers() if m.weight]
    oversized = next(m for m in _raw_makers() if m.too_big)
    over_at: set[int] = set()
    if max_frame > MAX_FRAME_BYTES and count > 2 * mix.oversized:
        over_at = set(rng.sample(range(count), mix.oversized))
    prefix = f"{name}{'-' if name else ''}{transport}-{dialect}"
    mutation_cache: dict[tuple[str, int, bool], list[Callable[..., Any]]] = {}
    # a sideband socket speaks into a WebRTC call: what the call's session carries counts
    session_transport = "websocket" if transport == "websocket" else "webrtc"
    carried = {e.name: session_transport in e.transports for e in events}
    regressions = regression_cases(dialect, prefix, carried)
    yield from regressions
    for index in range(len(regressions), count):
        eid = f"fz_{index}"
        case_id = f"{prefix}-{index}"
        roll = rng.random()
        if index in over_at or roll < mix.raw:
            weights = [m.weight for m in raws]
            maker = oversized if index in over_at else rng.choices(raws, weights)[0]
            frames, param, note = maker.make(rng, dialect, eid, max_frame)
            sizes = [len(f.encode() if isinstance(f, str) else f) for f in frames]
            if max(sizes) > max_frame and not maker.too_big:
                continue  # does not fit this transport
            echo = eid if maker.invalid and maker.echo else None
            known = carried.get(_type_of(frames[-1]), True)  # the case's own event: the last
            case = Case(case_id, dialect, "raw", maker.kind, frames, maker.invalid, param, echo,
                        maker.too_big, note, carried=known)  # fmt: skip
            yield case
            continue
        event = rng.choice(events)
        examples = drawn[(dialect, event.name)]
        base_index = rng.randrange(len(examples))
        keep_id = isinstance(examples[base_index].get("event_id"), str) and rng.random() < 0.2
        base = examples[base_index]
        if not keep_id:
            base = {**base, "event_id": PLACEHOLDER}
        schema = fuzz_spec.inlined(event.schema_name)
        if roll < mix.raw + mix.valid:
            case = _case(case_id, dialect, event.name, "valid", _with_id(base, eid), None, schema)
            yield replace(case, carried=carried[event.name])
            continue
        key = (event.name, base_index, keep_id)
        if key not in mutation_cache:
            mutation_cache[key] = _mutations(base, schema)
        mutation = rng.choice(mutation_cache[key])(rng)
        sent = _with_id(mutation.event, eid)
        case = _case(case_id, dialect, event.name, mutation.kind, sent, mutation.path, schema)
        unmutated = _dumps(_with_id(base, eid))
        yield replace(case, base=unmutated, carried=carried[event.name])


def _type_of(frame: Frame) -> Any:
    try:
        return json.loads(frame).get("type")
    except (ValueError, AttributeError, RecursionError):
        return None


def _with_id(event: Any, eid: str) -> Any:
    """The case's own `event_id` where the event still has the placeholder."""
    if isinstance(event, dict) and event.get("event_id") == PLACEHOLDER:
        return {**event, "event_id": eid}
    return event


def _case(
    case_id: str,
    dialect: str,
    event_name: str,
    kind: str,
    event: Any,
    path: Path_ | None,
    schema: dict[str, Any],
) -> Case:
    invalid = not fuzz_spec.is_valid(schema, event)
    event_id = event.get("event_id") if isinstance(event, dict) else None
    if not isinstance(event_id, str) or len(event_id) > 512:
        event_id = None
    return Case(
        case_id,
        dialect,
        event_name,
        kind,
        (_dumps(event),),
        invalid,
        param_of(path) if invalid and path is not None else None,
        event_id,
    )


def summary(cases: list[Case]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for case in cases:
        counts[case.kind] = counts.get(case.kind, 0) + 1
    return dict(sorted(counts.items()))
