"""spec/translation.*: what codegen/translation.py makes of OpenAI's document, and its examples.

The builder must reproduce the committed spec from the document it was made from, keep none of
upstream's prose, and record each repair. Every example the document gives for the translation
schemas (events, session, the client-secrets route's bodies) must be valid against its upstream
schema, parse with our models to the same JSON, and parse with openai-python's models too.
"""

from __future__ import annotations

import copy
import functools
import json
import re
from pathlib import Path
from typing import Any

import pytest
from helpers.canonical import canonical
from helpers.need import need
from helpers.spec_validators import asyncapi_summary, openapi_errors
from helpers.upstream import upstream_candidates
from jsonschema import Draft202012Validator
from openai.types.realtime import (
    RealtimeTranslationClientEvent,
    RealtimeTranslationClientSecretCreateResponse,
    RealtimeTranslationServerEvent,
    RealtimeTranslationSession,
)
from pydantic import TypeAdapter
from referencing import Registry
from referencing.jsonschema import DRAFT202012

from codegen import translation, yamlio
from codegen.paths import SPEC_DIR
from realtime_sdk._generated import translation as generated
from realtime_sdk._generated._runtime import to_json
from realtime_sdk._generated.translation import http_models, server_events

EVENTS = SPEC_DIR / translation.EVENTS_NAME
HTTP = SPEC_DIR / translation.HTTP_NAME
ROUTE = "/realtime/translations/client_secrets"
UPSTREAM_URI = "urn:openai-openapi"
# openai-python's model of each non-event schema with an example (events go through the unions)
THEIR_MODELS: dict[str, Any] = {
    "RealtimeTranslationSession": RealtimeTranslationSession,
    "RealtimeTranslationClientSecretCreateResponse": RealtimeTranslationClientSecretCreateResponse,
}


@functools.cache
def spec() -> dict[str, Any]:
    return dict(yamlio.load_path(EVENTS))


@functools.cache
def upstream_path() -> Path | None:
    """The document the spec was made from (by its recorded sha256), if on this machine."""
    recorded = spec()["info"]["x-upstream-sha256"]
    found = [p for p in upstream_candidates() if yamlio.sha256(p.read_bytes()) == recorded]
    return found[0] if found else None


@functools.cache
def upstream() -> dict[str, Any]:
    path = upstream_path()
    need(path is not None, "the upstream document the translation spec was made from")
    assert path is not None
    return dict(yamlio.load_path(path))


# -- the builder -------------------------------------------------------------------------


def test_the_builder_reproduces_the_committed_spec_byte_for_byte(tmp_path: Path) -> None:
    path = upstream_path()
    need(path is not None, "the upstream document the translation spec was made from")
    assert path is not None
    translation.write(path.read_bytes(), tmp_path)
    assert (tmp_path / translation.EVENTS_NAME).read_bytes() == EVENTS.read_bytes()
    assert (tmp_path / translation.HTTP_NAME).read_bytes() == HTTP.read_bytes()


def test_the_spec_keeps_no_upstream_prose() -> None:
    words = " ".join((EVENTS.read_text() + HTTP.read_text()).split())
    prose: set[str] = set()

    def collect(node: Any) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key in ("description", "summary", "title") and isinstance(value, str):
                    prose.add(" ".join(value.split()))
                collect(value)
        elif isinstance(node, list):
            for value in node:
                collect(value)

    schemas = upstream()["components"]["schemas"]
    for name in spec()["components"]["schemas"].values():
        collect(schemas[name["x-upstream"]] if "x-upstream" in name else {})
    collect(upstream()["paths"][ROUTE])
    kept = sorted(text for text in prose if len(text) > 20 and text in words)
    assert kept == []


def test_the_events_and_the_route_come_from_the_document() -> None:
    messages = spec()["components"]["messages"].values()
    assert sorted((m["x-direction"], m["name"]) for m in messages) == [
        ("client", "session.close"),
        ("client", "session.input_audio_buffer.append"),
        ("client", "session.update"),
        ("server", "error"),
        ("server", "session.closed"),
        ("server", "session.created"),
        ("server", "session.input_transcript.delta"),
        ("server", "session.output_audio.delta"),
        ("server", "session.output_transcript.delta"),
        ("server", "session.updated"),
    ]
    assert {m["x-dialect"] for m in messages} == {"translation"}
    channel = spec()["channels"]["websocket"]
    assert channel["address"] == "/v1/realtime/translations"
    assert channel["bindings"]["ws"]["query"]["required"] == ["model"]
    assert list(yamlio.load_path(HTTP)["paths"]) == [ROUTE]


def test_a_union_that_leaves_out_an_event_is_repaired() -> None:
    document = copy.deepcopy(upstream())
    union = document["components"]["schemas"]["RealtimeTranslationServerEvent"]
    union["anyOf"] = [m for m in union["anyOf"] if "SessionClosed" not in m["$ref"]]
    built = translation.build(document)
    members = built["components"]["schemas"]["TranslationServerEvent"]["oneOf"]
    assert {"$ref": "#/components/schemas/SessionClosedEvent"} in members
    assert (
        "RealtimeTranslationServerEvent leaves out session.closed; our union has them"
        in built["info"]["x-repairs"]
    )


def test_a_field_upstream_adds_is_no_longer_a_repair() -> None:
    document = copy.deepcopy(upstream())
    for name in (
        "RealtimeTranslationSession",
        "RealtimeTranslationSessionCreateRequest",
        "RealtimeTranslationSessionUpdateRequest",
    ):
        audio = document["components"]["schemas"][name]["properties"]["audio"]
        noise = audio["properties"]["input"]["properties"]["noise_reduction"]["anyOf"][0]
        noise["properties"]["strength"] = {"type": "number", "description": "upstream's"}
    built = translation.build(document)
    assert not [r for r in built["info"]["x-repairs"] if "strength" in r]
    session = built["components"]["schemas"]["TranslationSession"]
    assert session == spec()["components"]["schemas"]["TranslationSession"]


# -- the documents are valid of their kinds ----------------------------------------------


def test_the_http_spec_is_valid_openapi_3_1() -> None:
    assert openapi_errors(HTTP) == []


def test_the_events_spec_is_valid_asyncapi_3() -> None:
    summary = asyncapi_summary(EVENTS)
    assert summary["messages"] == len(spec()["components"]["messages"])


# -- upstream's examples -----------------------------------------------------------------


def _schema_examples() -> dict[str, Any]:
    """Upstream schema -> its example text, for the schemas our translation spec holds."""
    schemas = upstream()["components"]["schemas"]
    ours = {
        s["x-upstream"]
        for document in (spec(), yamlio.load_path(HTTP))
        for s in document["components"]["schemas"].values()
        if "x-upstream" in s
    }
    return {
        name: schemas[name]["x-oaiMeta"]["example"]
        for name in sorted(ours)
        if "example" in schemas[name].get("x-oaiMeta", {})
    }


def _route_examples() -> dict[str, Any]:
    """The client-secrets route's request body (inside its curl example) and response."""
    examples = upstream()["paths"][ROUTE]["post"]["x-oaiMeta"]["examples"]
    body = re.search(r"-d '(.*)'", examples["request"]["curl"], re.DOTALL)
    assert body is not None
    return {
        "RealtimeTranslationClientSecretCreateRequest": body.group(1),
        "RealtimeTranslationClientSecretCreateResponse": examples["response"],
    }


@functools.cache
def _registry() -> Registry[Any]:
    return Registry().with_resource(UPSTREAM_URI, DRAFT202012.create_resource(upstream()))


def _upstream_errors(name: str, data: Any) -> list[str]:
    ref = {"$ref": f"{UPSTREAM_URI}#/components/schemas/{name}"}
    return [e.message for e in Draft202012Validator(ref, registry=_registry()).iter_errors(data)]


def _ours(name: str) -> str:
    for document in (spec(), yamlio.load_path(HTTP)):
        for ours, schema in document["components"]["schemas"].items():
            if schema.get("x-upstream") == name:
                return str(ours)
    raise AssertionError(f"{name} is not in the translation spec")


def _round_trip(name: str, data: dict[str, Any]) -> Any:
    """Through the parse entry point a peer would use for events, else the lenient model."""
    ours = _ours(name)
    messages = {
        m["payload"]["$ref"].rsplit("/", 1)[1]: m for m in spec()["components"]["messages"].values()
    }
    message = messages.get(ours)
    if message is None:
        module = server_events if hasattr(server_events, ours) else http_models
        adapter: TypeAdapter[Any] = TypeAdapter(getattr(module, ours))
        value = adapter.validate_python(data)
        return adapter.dump_python(value, mode="json", by_alias=True, exclude_unset=True)
    if message["x-direction"] == "client":
        event: Any = generated.parse_client_event(data)
        assert isinstance(event, generated.CLIENT_EVENT_TYPES[message["name"]])
    else:
        event = generated.parse_server_event(data)
        assert isinstance(event, generated.SERVER_EVENT_TYPES[message["name"]])
    return json.loads(to_json(event))


def _theirs(name: str, data: dict[str, Any]) -> None:
    """openai-python's own model takes the example too."""
    if name in THEIR_MODELS:
        THEIR_MODELS[name].model_validate(data)
    elif name.startswith("RealtimeTranslationClientEvent"):
        TypeAdapter(RealtimeTranslationClientEvent).validate_python(data)
    elif name.startswith("RealtimeTranslationServerEvent") or name == "RealtimeServerEventError":
        TypeAdapter(RealtimeTranslationServerEvent).validate_python(data)


def _example_names() -> list[str]:
    if upstream_path() is None:
        return ["(no upstream document)"]
    return sorted({**_schema_examples(), **_route_examples()})


@pytest.mark.parametrize("name", _example_names())
def test_upstream_example(name: str) -> None:
    need(upstream_path() is not None, "the upstream document the translation spec was made from")
    text = {**_schema_examples(), **_route_examples()}[name]
    data = json.loads(text)
    assert _upstream_errors(name, data) == []
    assert canonical(_round_trip(name, data)) == canonical(data)
    _theirs(name, data)


def test_every_translation_event_has_an_upstream_example() -> None:
    need(upstream_path() is not None, "the upstream document the translation spec was made from")
    names = {
        m["payload"]["$ref"].rsplit("/", 1)[1] for m in spec()["components"]["messages"].values()
    }
    with_example = {_ours(name) for name in _schema_examples()}
    assert names <= with_example
