"""GPT-Live's spec: made from the installed `openai` package by codegen/live.py, byte for byte.

The committed spec/live.* must be what `codegen.live.build()` gives from the package it is
pinned to; a different `openai` fails here first, saying which version the spec wants.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pydantic
import pytest
from helpers.spec_validators import asyncapi_summary, openapi_errors
from openai.types.live import (
    client_event_param,
    connect_client_event_param,
    connect_server_event,
    server_event,
)
from pydantic import TypeAdapter

from codegen import live, live_source, yamlio
from codegen.paths import SPEC_DIR

EVENTS = SPEC_DIR / live.EVENTS_FILE
HTTP = SPEC_DIR / live.HTTP_FILE


def pinned() -> dict[str, Any]:
    source: dict[str, Any] = yamlio.load_path(EVENTS)["info"]["x-source"]
    return source


def require_pinned_openai() -> None:
    want, have = pinned()["version"], live_source.version()
    assert have == want, (
        f"openai {have} is installed but spec/live.* was built from openai {want}: install "
        f"openai=={want}, or rebuild the spec (python -c 'from codegen import live, paths; "
        f"live.write(paths.SPEC_DIR)') and review what changed"
    )


def test_the_installed_openai_is_the_one_the_spec_is_pinned_to() -> None:
    require_pinned_openai()
    assert live_source.pin() == pinned(), "same version, other bytes: rebuild the spec"
    http_source = yamlio.load_path(HTTP)["info"]["x-source"]
    assert http_source == pinned()


def test_the_builder_reproduces_the_committed_spec_byte_for_byte() -> None:
    require_pinned_openai()
    events, http = live.build()
    for document, path in ((events, EVENTS), (http, HTTP)):
        # not `assert a == b`: pytest's diff of two 10,000-line texts takes minutes
        if yamlio.dump(document) != path.read_text():
            raise AssertionError(
                f"{path.name} differs from what the pinned openai gives (read with pydantic"
                f" {pydantic.VERSION}, whose JSON Schema output shapes it too): rebuild it"
            )


def _wire_names(union: Any) -> set[str]:
    schema = TypeAdapter(union).json_schema()
    members = [schema["$defs"][b["$ref"].rsplit("/", 1)[-1]] for b in schema["anyOf"]]
    return {m["properties"]["type"]["const"] for m in members}


def test_every_event_of_openais_unions_is_in_the_spec() -> None:
    messages = yamlio.load_path(EVENTS)["components"]["messages"]
    ours = {
        d: {m["name"] for m in messages.values() if m["x-direction"] == d}
        for d in ("client", "server")
    }
    client = _wire_names(client_event_param.ClientEventParam) | _wire_names(
        connect_client_event_param.ConnectClientEventParam
    )
    server = _wire_names(server_event.ServerEvent) | _wire_names(
        connect_server_event.ConnectServerEvent
    )
    assert ours == {"client": client, "server": server}
    assert len(client) == 16 and len(server) == 30


def test_channels_are_where_openais_client_connects() -> None:
    channels = yamlio.load_path(EVENTS)["channels"]
    assert {name: c["address"] for name, c in channels.items()} == {
        "websocket": "/v1/live/sessions",
        "webrtc": "oai-events",
        "sideband": "/v1/live/sessions/{session_id}/attach",
        "fork": "/v1/live/sessions/{session_id}/fork",
    }
    # no query on the primary websocket; the sideband may ask for a graceful close
    assert "bindings" not in channels["websocket"]
    assert set(channels["sideband"]["bindings"]["ws"]["query"]["properties"]) == {"graceful_close"}
    websocket = channels["websocket"]["messages"]
    webrtc = channels["webrtc"]["messages"]
    assert "SessionStartEvent" in websocket and "SessionStartEvent" not in webrtc
    assert "SessionInputAudioAppendEvent" not in webrtc  # WebRTC carries audio as media
    assert "SessionOutputAudioDeltaEvent" not in webrtc
    fork_start = channels["fork"]["messages"]["ForkSessionStartEvent"]
    assert fork_start["name"] == "session.start"


def test_http_routes_are_those_of_openais_live_resources() -> None:
    paths = yamlio.load_path(HTTP)["paths"]
    routes = {(method.upper(), "/v1" + path) for path, item in paths.items() for method in item}
    assert routes == {
        ("POST", "/v1/live/sessions"),  # WebRTC create
        ("GET", "/v1/live/sessions"),  # websocket
        ("POST", "/v1/live/sessions/{session_id}/accept"),
        ("POST", "/v1/live/sessions/{session_id}/reject"),
        ("POST", "/v1/live/sessions/{session_id}/refer"),
        ("POST", "/v1/live/sessions/{session_id}/hangup"),
        ("POST", "/v1/live/sessions/{session_id}/fork"),  # WebRTC fork
        ("GET", "/v1/live/sessions/{session_id}/fork"),  # websocket fork
        ("GET", "/v1/live/sessions/{session_id}/attach"),  # sideband
        ("GET", "/v1/live/sessions/{session_id}/content"),  # recording
    }
    create = paths["/live/sessions"]["post"]
    body = create["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    assert body.endswith("/LiveCreateParams")


def _prose(node: Any, path: str = "") -> list[str]:
    """Paths of `title` and `description` keywords (a property of that name is no keyword)."""
    if isinstance(node, list):
        return [p for i, v in enumerate(node) for p in _prose(v, f"{path}[{i}]")]
    if not isinstance(node, dict):
        return []
    found = [f"{path}.{k}" for k in ("title", "description") if k in node]
    for key, value in node.items():
        if key == "properties":
            found += [p for name, sub in value.items() for p in _prose(sub, f"{path}.{name}")]
        else:
            found += _prose(value, f"{path}/{key}")
    return found


def test_no_upstream_prose_in_the_schemas() -> None:
    for path in (EVENTS, HTTP):
        assert _prose(yamlio.load_path(path)["components"]["schemas"]) == []


def test_server_optionals_are_not_nullable_and_client_nulls_follow_the_params() -> None:
    schemas = yamlio.load_path(EVENTS)["components"]["schemas"]
    started = schemas["ServerSessionInputAudioAppendEvent"]
    assert started["required"] == ["audio", "type"]
    delta = schemas["SessionOutputTranscriptDeltaEvent"]["properties"]
    assert all({"type": "null"} not in p.get("anyOf", []) for p in delta.values())
    config = schemas["SessionConfig"]["properties"]
    assert {"type": "null"} in config["instructions"]["anyOf"]  # Optional[str] in the param
    assert config["store"] == {"type": "boolean"}  # plain bool in the param
    append = schemas["SessionCommentaryAppendEvent"]
    assert "delegation_id" in append["required"]  # Required[Optional[str]]


def test_http_spec_is_valid_openapi_3_1() -> None:
    assert openapi_errors(HTTP) == []


def test_events_spec_is_valid_asyncapi_3() -> None:
    summary = asyncapi_summary(EVENTS)
    assert summary["errors"] == 0
    assert summary["messages"] >= len(yamlio.load_path(EVENTS)["components"]["messages"])


@pytest.mark.parametrize("name", ["ClientEvent", "ServerEvent"])
def test_event_unions_are_discriminated_by_type(name: str) -> None:
    union = yamlio.load_path(EVENTS)["components"]["schemas"][name]
    assert union["discriminator"] == "type"
    assert len(union["oneOf"]) == len(union["x-discriminator-mapping"])


def test_an_openai_without_live_is_one_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(live_source, "_package_files", lambda: {})
    with pytest.raises(live_source.LiveSourceError, match=r"has no openai\.types\.live"):
        live_source.pin()


def test_an_overlay_address_the_package_does_not_build_is_refused(tmp_path: Path) -> None:
    overlay = yamlio.load_path(live.OVERLAY)
    overlay["channels"]["sideband"]["resource"] = "/live/sessions/{session_id}/watch"
    path = tmp_path / "overlay.yaml"
    path.write_text(yamlio.dump(overlay))
    with pytest.raises(live_source.LiveSourceError, match="attach"):
        live.build(path)
