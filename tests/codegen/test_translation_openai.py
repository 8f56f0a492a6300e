"""openai-python 3.63, the one translation client there is, and our translation models agree.

Both ways: every server event our models produce (drawn from the spec, and built by the server
stub's constructors) validates with openai-python's own `RealtimeTranslationServerEvent`; every
client event openai-python's connection resources send (their `_param` TypedDicts, drawn by
hypothesis) parses with our strict models; and the client-secrets route's bodies fit both sides.
"""

from __future__ import annotations

import functools
import json
import math
import typing
from typing import Any

import httpx2
import pytest
from helpers.canonical import canonical
from helpers.jsonschema_strategies import from_schema
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator
from openai import OpenAI
from openai._utils import maybe_transform
from openai.resources.realtime.translations.translations import TranslationsSessionResource
from openai.types.realtime import (
    RealtimeTranslationClientEvent,
    RealtimeTranslationClientEventParam,
    RealtimeTranslationServerEvent,
    RealtimeTranslationSessionUpdateRequestParam,
)
from pydantic import BaseModel, TypeAdapter

from codegen import yamlio
from codegen.paths import SPEC_DIR
from realtime_sdk._generated import translation
from realtime_sdk._generated._runtime import to_json
from realtime_sdk._generated.translation import http_models, server_stub

SPEC = SPEC_DIR / "translation.asyncapi.yaml"
THEIR_SERVER_EVENT: TypeAdapter[Any] = TypeAdapter(RealtimeTranslationServerEvent)
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))


def _wire_types(union: Any) -> set[str]:
    """The `type` values of the members of one of openai-python's event unions."""
    members = typing.get_args(typing.get_args(union)[0])
    return {typing.get_args(m.model_fields["type"].annotation)[0] for m in members}


def test_the_spec_has_the_events_openai_python_knows() -> None:
    assert set(translation.SERVER_EVENT_TYPES) == _wire_types(RealtimeTranslationServerEvent)
    assert set(translation.CLIENT_EVENT_TYPES) == _wire_types(RealtimeTranslationClientEvent)


# -- our server events, read by openai-python ---------------------------------------------


def _json_schema(node: Any) -> Any:
    """Spec schema -> plain JSON Schema for hypothesis: refs into $defs, objects closed (what
    our models produce holds the spec's fields), no extensions or AsyncAPI discriminators."""
    if isinstance(node, list):
        return [_json_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {
        key: _json_schema(value)
        if key != "properties"
        else {name: _json_schema(sub) for name, sub in value.items()}
        for key, value in node.items()
        if not key.startswith("x-") and key not in ("discriminator", "format")
    }
    if isinstance(out.get("$ref"), str):
        out["$ref"] = out["$ref"].replace("#/components/schemas/", "#/$defs/")
    if "properties" in out:
        out["additionalProperties"] = False
    return out


@functools.cache
def _spec() -> dict[str, Any]:
    return dict(yamlio.load_path(SPEC))


def _server_event_strategy(wire: str) -> st.SearchStrategy[dict[str, Any]]:
    spec = _spec()
    message = next(
        m
        for m in spec["components"]["messages"].values()
        if m["name"] == wire and m["x-direction"] == "server"
    )
    schema = {
        "$ref": message["payload"]["$ref"].replace("#/components/schemas/", "#/$defs/"),
        "$defs": _json_schema(spec["components"]["schemas"]),
    }
    return from_schema(schema, codec="utf-8")


@pytest.mark.parametrize("wire", sorted(translation.SERVER_EVENT_TYPES))
def test_openai_python_reads_every_server_event_our_models_produce(wire: str) -> None:
    model = translation.SERVER_EVENT_TYPES[wire]

    @SETTINGS
    @given(_server_event_strategy(wire))
    def check(data: dict[str, Any]) -> None:
        ours = translation.parse_server_event(data)
        assert isinstance(ours, model), getattr(ours, "problem", None)
        wire_text = to_json(ours)
        theirs = THEIR_SERVER_EVENT.validate_json(wire_text)
        assert theirs.type == wire
        dumped = theirs.model_dump(mode="json", exclude_unset=True)
        assert canonical(dumped) == canonical(json.loads(wire_text))

    check()


def _session() -> dict[str, Any]:
    return {
        "id": "sess_1",
        "type": "translation",
        "model": "gpt-realtime-translate",
        "expires_at": 1_800_000_000,
        "audio": {
            "input": {
                "transcription": {"model": "gpt-realtime-whisper"},
                "noise_reduction": {"type": "near_field", "strength": 0.8},
            },
            "output": {"language": "es"},
        },
    }


STUB_EVENTS: list[BaseModel] = [
    server_stub.session_created(session=_session()),
    server_stub.session_updated(session={**_session(), "audio": {"output": {"language": "de"}}}),
    server_stub.session_closed(),
    server_stub.session_input_transcript_delta(delta=" hear", elapsed_ms=1200),
    server_stub.session_output_transcript_delta(delta=" escuch", elapsed_ms=None),
    server_stub.session_output_audio_delta(
        delta="AAAA", sample_rate=24000, channels=1, format="pcm16", elapsed_ms=200
    ),
    server_stub.error(
        error={"type": "invalid_request_error", "code": "x", "message": "m", "param": None}
    ),
]


@pytest.mark.parametrize("event", STUB_EVENTS, ids=lambda e: str(getattr(e, "type", e)))
def test_openai_python_reads_what_the_server_stub_builds(event: BaseModel) -> None:
    wire_text = to_json(event)
    theirs = THEIR_SERVER_EVENT.validate_json(wire_text)
    assert canonical(theirs.model_dump(mode="json", exclude_unset=True)) == canonical(
        json.loads(wire_text)
    )
    assert {type(e).__name__ for e in [translation.parse_server_event(wire_text)]} == {
        type(event).__name__
    }


# -- openai-python's client events, read by our strict models -----------------------------


class _Wire:
    """Stands for openai-python's connection: what `send` would put on the socket, kept.
    (`TranslationsConnection.send` dumps `maybe_transform(event, ...ClientEventParam)`.)"""

    def __init__(self) -> None:
        self.sent: list[str] = []

    def send(self, event: Any) -> None:
        self.sent.append(json.dumps(maybe_transform(event, RealtimeTranslationClientEventParam)))


def _finite(value: Any) -> bool:
    """No NaN or infinity (not JSON numbers), no event id over the service's 512 characters."""
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, dict):
        if len(str(value.get("event_id", ""))) > 512:
            return False
        return all(_finite(item) for item in value.values())
    if isinstance(value, list):
        return all(_finite(item) for item in value)
    return True


OPTIONAL_ID = st.one_of(st.none(), st.text(max_size=40))


@SETTINGS
@given(
    session=st.from_type(RealtimeTranslationSessionUpdateRequestParam).filter(_finite),
    event_id=OPTIONAL_ID,
)
def test_what_openai_python_sends_as_session_update_parses_strictly(
    session: Any, event_id: str | None
) -> None:
    wire = _Wire()
    resource = TranslationsSessionResource(wire)  # type: ignore[arg-type]
    if event_id is None:
        resource.update(session=session)
    else:
        resource.update(session=session, event_id=event_id)
    (sent,) = wire.sent
    parsed = translation.parse_client_event(sent)
    assert parsed.type == "session.update"
    assert canonical(json.loads(to_json(parsed))) == canonical(json.loads(sent))


@SETTINGS
@given(audio=st.text(), event_id=OPTIONAL_ID, close_id=OPTIONAL_ID)
def test_what_openai_python_sends_as_append_and_close_parses_strictly(
    audio: str, event_id: str | None, close_id: str | None
) -> None:
    wire = _Wire()
    resource = TranslationsSessionResource(wire)  # type: ignore[arg-type]
    ids = [{} if i is None else {"event_id": i} for i in (event_id, close_id)]
    resource.input_audio_buffer.append(audio=audio, **ids[0])
    resource.close(**ids[1])
    for sent in wire.sent:
        parsed = translation.parse_client_event(sent)
        assert canonical(json.loads(to_json(parsed))) == canonical(json.loads(sent))
    assert [json.loads(s)["type"] for s in wire.sent] == [
        "session.input_audio_buffer.append",
        "session.close",
    ]


@SETTINGS
@given(event=st.from_type(RealtimeTranslationClientEventParam).filter(_finite))  # type: ignore[arg-type]
def test_every_client_event_param_openai_python_types_parses_strictly(event: Any) -> None:
    wire = _Wire()
    wire.send(event)
    (sent,) = wire.sent
    parsed = translation.parse_client_event(sent)
    assert canonical(json.loads(to_json(parsed))) == canonical(json.loads(sent))


# -- the client-secrets route, as openai-python calls it ----------------------------------


def test_the_client_secrets_route_takes_and_answers_what_openai_python_speaks() -> None:
    """openai-python's request body holds only what spec/translation.openapi.yaml knows, and
    it reads the response our HTTP model builds."""
    document = yamlio.load_path(SPEC_DIR / "translation.openapi.yaml")
    operation = document["paths"]["/realtime/translations/client_secrets"]["post"]
    body_schema = operation["requestBody"]["content"]["application/json"]["schema"]
    closed = {**_json_schema(body_schema), "$defs": _json_schema(document["components"]["schemas"])}
    answer = http_models.TranslationClientSecretCreateResponse.model_validate(
        {"value": "ek_1", "expires_at": 1_800_000_600, "session": _session()}
    )
    seen: list[tuple[str, str, Any]] = []

    def handler(request: httpx2.Request) -> httpx2.Response:
        seen.append((request.method, request.url.path, json.loads(request.content)))
        return httpx2.Response(200, json=answer.model_dump(mode="json", exclude_unset=True))

    client = OpenAI(
        api_key="sk-test",
        base_url="http://api.invalid/v1",
        http_client=httpx2.Client(transport=httpx2.MockTransport(handler)),
    )
    got = client.realtime.translations.client_secrets.create(
        session={
            "model": "gpt-realtime-translate",
            "audio": {
                "input": {
                    "transcription": {"model": "gpt-realtime-whisper"},
                    "noise_reduction": {"type": "far_field", "strength": 0.5},
                },
                "output": {"language": "es"},
            },
        },
        expires_after={"anchor": "created_at", "seconds": 600},
    )
    ((method, path, body),) = seen
    assert (method, path) == ("POST", "/v1/realtime/translations/client_secrets")
    assert [e.message for e in Draft202012Validator(closed).iter_errors(body)] == []
    assert canonical(got.model_dump(mode="json", exclude_unset=True)) == canonical(
        answer.model_dump(mode="json", exclude_unset=True)
    )
