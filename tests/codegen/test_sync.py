"""`codegen sync`: upstream OpenAPI -> spec, the changelog, and the repairs."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from helpers.need import need
from helpers.paths import ROOT, SHARED_UPSTREAM
from helpers.upstream import beta_document, upstream_candidates

from codegen import changelog, sync, yamlio
from codegen.paths import EVENTS_SPEC, HTTP_SPEC, SPEC_DIR
from realtime_sdk._generated import http_models

FIXTURES = ROOT / "tests" / "fixtures" / "sync"


def run_sync(*args: str) -> str:
    """`codegen sync` of the Realtime surface alone (the fixtures hold only its schemas)."""
    done = subprocess.run(
        [sys.executable, "-m", "codegen", "sync", "--only", "realtime", *args],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    )
    return done.stdout


def changelog_of(out: str) -> list[str]:
    """The changelog part of sync's output: from its `N protocol changes` line on."""
    lines = out.splitlines()
    start = next(i for i, line in enumerate(lines) if " protocol change" in line)
    return lines[start:]


def test_changelog_names_exactly_the_changes_of_a_new_upstream_version(tmp_path: Path) -> None:
    run_sync(str(FIXTURES / "upstream-v1.yaml"), "--out", str(tmp_path))
    out = run_sync(str(FIXTURES / "upstream-v2.yaml"), "--out", str(tmp_path))
    assert changelog_of(out) == [
        "3 protocol changes:",
        "realtime: 3",
        "  added:",
        "    + event ga/server: input_audio_buffer.cleared",
        "  removed:",
        "    - enum RealtimeSessionConfig.output_modalities[]: 'text'",
        "  changed:",
        "    ~ field RealtimeSessionConfig.max_output_tokens: integer -> string",
        "left out: none of upstream's voice parts",
    ]


def test_sync_of_an_unchanged_document_reports_no_change(tmp_path: Path) -> None:
    run_sync(str(FIXTURES / "upstream-v1.yaml"), "--out", str(tmp_path))
    first = (tmp_path / EVENTS_SPEC.name).read_bytes()
    history = (tmp_path / "HISTORY.md").read_text()
    out = run_sync(str(FIXTURES / "upstream-v1.yaml"), "--out", str(tmp_path))
    assert changelog_of(out)[0] == "0 protocol changes."
    assert (tmp_path / EVENTS_SPEC.name).read_bytes() == first
    assert (tmp_path / "HISTORY.md").read_text() == history  # no entry for no change


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
    """The shared 2026-08-21 document gives spec/ as committed, every surface's files."""
    source = SHARED_UPSTREAM / "openai-openapi.yaml"
    need(source.exists(), f"{source} is not on this machine")
    for spec in SPEC_DIR.glob("*.yaml"):
        (tmp_path / spec.name).write_bytes(spec.read_bytes())
    done = subprocess.run(
        [sys.executable, "-m", "codegen", "sync", str(source), "--out", str(tmp_path)],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    )
    assert changelog_of(done.stdout)[0] == "0 protocol changes."
    assert "upstream: ../shared/upstream/openai-openapi.yaml (date 2026-08-21" in done.stdout
    for spec in SPEC_DIR.glob("*.yaml"):
        assert (tmp_path / spec.name).read_bytes() == spec.read_bytes(), spec.name
    assert not (tmp_path / "HISTORY.md").exists()


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
        assert changelog_of(out)[0].endswith(("protocol changes:", "protocol change:"))


def test_changelog_of_the_committed_spec_against_nothing_lists_every_event() -> None:
    spec = yamlio.load_path(EVENTS_SPEC)
    lines = changelog.changes(None, spec)
    assert sum(line.startswith("+ event ") for line in lines) == len(spec["components"]["messages"])


def test_the_http_spec_has_the_call_webhooks_in_our_words() -> None:
    http = yamlio.load_path(HTTP_SPEC)
    assert sorted(http["webhooks"]) == ["live.call.incoming", "realtime.call.incoming"]
    hook = http["webhooks"]["realtime.call.incoming"]["post"]
    body = hook["requestBody"]["content"]["application/json"]["schema"]
    assert body == {"$ref": "#/components/schemas/RealtimeCallIncomingWebhook"}
    payload = http["components"]["schemas"]["RealtimeCallIncomingWebhook"]
    assert payload["properties"]["type"]["enum"] == ["realtime.call.incoming"]
    assert "description" not in json.dumps(payload)  # upstream's prose is dropped
    # the payloads belong to the HTTP spec, not to the events one
    events = yamlio.load_path(EVENTS_SPEC)["components"]["schemas"]
    assert "RealtimeCallIncomingWebhook" not in events
    header = {"name": "CSeq", "value": "1 INVITE"}
    incoming = http_models.RealtimeCallIncomingWebhook.model_validate(
        {
            "id": "evt_1",
            "type": "realtime.call.incoming",
            "created_at": 1,
            "data": {"call_id": "rtc_1", "sip_headers": [header]},
        }
    )
    assert incoming.data.sip_headers[0].value == "1 INVITE"


def test_the_call_control_routes_are_all_there() -> None:
    """accept, reject, refer and hangup, as the 2026-08-21 document has them."""
    paths = yamlio.load_path(HTTP_SPEC)["paths"]
    for action in ("accept", "reject", "refer", "hangup"):
        assert "post" in paths[f"/realtime/calls/{{call_id}}/{action}"], action


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
