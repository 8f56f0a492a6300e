"""`codegen sync`: upstream OpenAPI -> spec, the changelog, and the repairs."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from helpers.need import need
from helpers.paths import ROOT
from helpers.upstream import beta_document, upstream_candidates

from codegen import changelog, sync, yamlio
from codegen.paths import EVENTS_SPEC, HTTP_SPEC

FIXTURES = ROOT / "tests" / "fixtures" / "sync"


def run_sync(*args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "codegen", "sync", *args],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    )
    return done.stdout


def test_changelog_names_exactly_the_changes_of_a_new_upstream_version(tmp_path: Path) -> None:
    run_sync(str(FIXTURES / "upstream-v1.yaml"), "--out", str(tmp_path))
    out = run_sync(str(FIXTURES / "upstream-v2.yaml"), "--out", str(tmp_path))
    assert out.splitlines() == [
        "3 protocol changes:",
        "+ event ga/server: input_audio_buffer.cleared",
        "~ field RealtimeSessionConfig.max_output_tokens: integer -> string",
        "- enum RealtimeSessionConfig.output_modalities[]: 'text'",
    ]


def test_sync_of_an_unchanged_document_reports_no_change(tmp_path: Path) -> None:
    run_sync(str(FIXTURES / "upstream-v1.yaml"), "--out", str(tmp_path))
    first = (tmp_path / EVENTS_SPEC.name).read_bytes()
    out = run_sync(str(FIXTURES / "upstream-v1.yaml"), "--out", str(tmp_path))
    assert out.strip() == "0 protocol changes."
    assert (tmp_path / EVENTS_SPEC.name).read_bytes() == first


def test_spec_keeps_facts_and_drops_upstream_prose(tmp_path: Path) -> None:
    run_sync(str(FIXTURES / "upstream-v1.yaml"), "--out", str(tmp_path))
    spec = yamlio.load_path(tmp_path / EVENTS_SPEC.name)
    text = (tmp_path / EVENTS_SPEC.name).read_text()
    assert "upstream prose" not in text
    schema = spec["components"]["schemas"]["SessionUpdateEvent"]
    assert schema["required"] == ["type", "session"]
    assert schema["properties"]["session"] == {"$ref": "#/components/schemas/RealtimeSessionConfig"}
    message = spec["components"]["messages"]["SessionUpdateEvent"]
    assert message["name"] == "session.update"
    assert message["summary"]  # our own words, from the overlay
    assert message["x-dialect"] == "ga"
    reply = spec["operations"]["onSessionUpdateEvent"]["reply"]["messages"]
    assert reply == [{"$ref": "#/channels/websocket/messages/SessionUpdatedEvent"}]


def _recorded_upstream() -> Path | None:
    recorded = yamlio.load_path(EVENTS_SPEC)["info"]["x-upstream-sha256"]
    for path in upstream_candidates():
        if yamlio.sha256(path.read_bytes()) == recorded:
            return path
    return None


def test_sync_reproduces_the_committed_spec_byte_for_byte(tmp_path: Path) -> None:
    source = _recorded_upstream()
    need(source is not None, "the upstream document the spec was made from is not on this machine")
    assert source is not None
    (tmp_path / EVENTS_SPEC.name).write_bytes(EVENTS_SPEC.read_bytes())
    out = run_sync(str(source), "--out", str(tmp_path))
    assert out.strip() == "0 protocol changes."
    assert (tmp_path / EVENTS_SPEC.name).read_bytes() == EVENTS_SPEC.read_bytes()
    assert (tmp_path / HTTP_SPEC.name).read_bytes() == HTTP_SPEC.read_bytes()


def test_repairs_of_the_known_upstream_faults() -> None:
    source = _recorded_upstream()
    need(source is not None, "the upstream document the spec was made from is not on this machine")
    assert source is not None
    result = sync.build(source.read_bytes())
    repairs = "\n".join(result.repairs)
    # beta events labelled with GA names get their beta names back
    assert "'response.output_audio.delta' -> 'response.audio.delta'" in repairs
    assert "'response.output_text.delta' -> 'response.text.delta'" in repairs
    # three message variants share type=message: nested by role
    assert "nested them as ConversationItemMessage, told apart by 'role'" in repairs
    schemas = result.events_spec["components"]["schemas"]
    item = schemas["ConversationItem"]
    assert item["discriminator"] == "type"
    assert item["x-discriminator-mapping"]["message"] == (
        "#/components/schemas/ConversationItemMessage"
    )
    assert schemas["ConversationItemMessage"]["discriminator"] == "role"
    assert set(schemas["ConversationItemMessage"]["x-discriminator-mapping"]) == {
        "system",
        "user",
        "assistant",
    }
    messages = result.events_spec["components"]["messages"].values()
    beta_server = {m["name"] for m in messages if m["x-dialect"] == "beta"}
    assert {
        "response.audio.delta",
        "response.text.delta",
        "conversation.item.created",
    } <= beta_server
    assert "response.output_audio.delta" not in beta_server


def test_event_counts_per_dialect() -> None:
    spec = yamlio.load_path(EVENTS_SPEC)
    counts: dict[tuple[str, str], int] = {}
    for message in spec["components"]["messages"].values():
        key = (message["x-dialect"], message["x-direction"])
        counts[key] = counts.get(key, 0) + 1
    assert counts[("ga", "client")] == 12
    assert counts[("ga", "server")] == 47
    assert counts[("beta", "client")] >= 12
    assert counts[("beta", "server")] >= 40


def test_beta_document_gives_the_same_beta_names_as_the_built_in_table() -> None:
    beta = beta_document()
    source = _recorded_upstream()
    if beta is None or source is None:
        # Not a prerequisite the project can install: shared/ is provided beside the clone.
        pytest.skip("../shared/upstream/openai-openapi-beta-2025-04-29.yaml is not on this machine")
    assert beta is not None and source is not None
    with_doc = sync.build(source.read_bytes(), beta.read_bytes())
    with_table = sync.build(source.read_bytes())
    assert with_doc.events_spec == with_table.events_spec


def test_every_shared_upstream_document_syncs(tmp_path: Path) -> None:
    """A newer upstream copy must sync cleanly; its changelog is what `make sync` would print."""
    for source in upstream_candidates():
        out = run_sync(str(source), "--out", str(tmp_path / source.stem))
        assert "protocol change" in out.splitlines()[0]


def test_changelog_of_the_committed_spec_against_nothing_lists_every_event() -> None:
    spec = yamlio.load_path(EVENTS_SPEC)
    lines = changelog.changes(None, spec)
    assert sum(line.startswith("+ event ") for line in lines) == len(spec["components"]["messages"])


def test_beta_request_schemas_say_what_beta_clients_send() -> None:
    """Upstream's beta session object is the later create request (client_secret required,
    nested objects cut down, no null); overlay `beta_fields` gives the beta service's."""
    small = {
        "openapi": "3.1.0",
        "info": {"version": "1"},
        "paths": {},
        "components": {
            "schemas": {
                "RealtimeBetaClientEventSessionUpdate": {
                    "type": "object",
                    "properties": {
                        "type": {"const": "session.update"},
                        "session": {"$ref": "#/components/schemas/RealtimeSessionCreateRequest"},
                    },
                },
                "RealtimeSessionCreateRequest": {
                    "type": "object",
                    "required": ["client_secret"],
                    "properties": {
                        "client_secret": {"type": "object"},
                        "turn_detection": {"type": "object", "properties": {}},
                        "temperature": {"type": "number"},
                    },
                },
                "NoiseReductionType": {"type": "string", "enum": ["near_field", "far_field"]},
            }
        },
    }
    result = sync.build(yamlio.dump(small).encode())
    schemas = result.events_spec["components"]["schemas"]
    session = schemas["BetaSessionConfig"]
    assert "required" not in session and "client_secret" not in session["properties"]
    assert session["properties"]["temperature"] == {"type": "number"}  # upstream's, untouched
    assert session["properties"]["turn_detection"] == {
        "$ref": "#/components/schemas/BetaTurnDetection"
    }
    assert session["properties"]["input_audio_transcription"]["type"] == ["object", "null"]
    turn = schemas["BetaTurnDetection"]
    assert "x-upstream" not in turn  # ours, not upstream's
    assert {"type": "null"} in turn["anyOf"]
    assert "type" not in schemas["BetaTurnDetectionServerVad"].get("required", [])
    assert "RealtimeSessionCreateRequest: beta clients do not send client_secret" in "\n".join(
        result.repairs
    )
