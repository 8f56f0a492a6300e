"""The webhooks sync takes into the HTTP spec: their generated models against the spec,
upstream's examples and openai-python's own webhook models."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from helpers.need import need
from helpers.paths import SHARED_UPSTREAM
from jsonschema import Draft202012Validator
from openai.types.webhooks import UnwrapWebhookEvent
from pydantic import BaseModel, TypeAdapter

from codegen import yamlio
from codegen.paths import HTTP_SPEC
from realtime_sdk._generated import http_models

OPENAI_WEBHOOKS: TypeAdapter[Any] = TypeAdapter(UnwrapWebhookEvent)
HEADERS = [{"name": "Max-Forwards", "value": "63"}, {"name": "CSeq", "value": "851287 INVITE"}]
PAYLOADS = {
    "realtime.call.incoming": {"call_id": "rtc_479a", "sip_headers": HEADERS},
    "live.call.incoming": {"session_id": "rtc_479a", "sip_headers": HEADERS},
}


def spec() -> dict[str, Any]:
    loaded: dict[str, Any] = yamlio.load_path(HTTP_SPEC)
    return loaded


def payload_schema(wire: str) -> str:
    body = spec()["webhooks"][wire]["post"]["requestBody"]["content"]["application/json"]
    return str(body["schema"]["$ref"]).rsplit("/", 1)[-1]


def rewritten(node: Any) -> Any:
    """The spec's refs as `$defs` refs, for jsonschema."""
    text = json.dumps(node).replace("#/components/schemas/", "#/$defs/")
    return json.loads(text)


@pytest.mark.parametrize("wire", sorted(PAYLOADS))
def test_a_webhook_goes_both_ways_with_openai_python(wire: str) -> None:
    event = {"id": "evt_1", "object": "event", "type": wire, "created_at": 1719168000}
    event["data"] = PAYLOADS[wire]
    schemas = rewritten(spec()["components"]["schemas"])
    name = payload_schema(wire)
    Draft202012Validator({"$ref": f"#/$defs/{name}", "$defs": schemas}).validate(event)
    model: type[BaseModel] = getattr(http_models, name)
    ours = model.model_validate(event)
    theirs = OPENAI_WEBHOOKS.validate_python(ours.model_dump(mode="json", exclude_unset=True))
    assert theirs.type == wire
    back = model.model_validate(theirs.model_dump(mode="json", exclude_unset=True))
    assert back == ours


def test_upstreams_webhook_examples_are_known_bad_json_and_fit_once_fixed() -> None:
    """Upstream's examples of both webhooks end their header lists with a comma (not JSON);
    without it they fit our schemas and models."""
    source = SHARED_UPSTREAM / "openai-openapi.yaml"
    need(source.exists(), f"{source} is not on this machine")
    upstream = yamlio.load_path(source)["components"]["schemas"]
    schemas = rewritten(spec()["components"]["schemas"])
    for wire in PAYLOADS:
        name = payload_schema(wire)
        upstream_name = schemas[name]["x-upstream"]
        example = upstream[upstream_name]["x-oaiMeta"]["example"]
        with pytest.raises(json.JSONDecodeError):
            json.loads(example)
        fixed = json.loads(re.sub(r",\s*([\]}])", r"\1", example))
        Draft202012Validator({"$ref": f"#/$defs/{name}", "$defs": schemas}).validate(fixed)
        assert getattr(http_models, name).model_validate(fixed).type == wire
