"""The changelog of a sync, line by line, for a document with known changes.

The next version of tests/fixtures/sync/upstream-v1.yaml is made here, one change of each
kind the changelog reports, so each line it must print is the one change it names.
"""

from __future__ import annotations

import copy
import subprocess
import sys
from pathlib import Path
from typing import Any

from helpers.paths import ROOT

from codegen import changelog, yamlio

FIXTURES = ROOT / "tests" / "fixtures" / "sync"
REF = "#/components/schemas/"
ONLY = ("--only", "realtime")  # the fixtures hold the Realtime schemas alone


def sync(document: dict[str, Any], out: Path) -> list[str]:
    """Sync `document` (the Realtime surface) into `out`; the changelog lines it prints."""
    source = out.parent / f"{out.name}-upstream.yaml"
    source.write_text(yamlio.dump(document))
    done = subprocess.run(
        [sys.executable, "-m", "codegen", "sync", str(source), "--out", str(out), *ONLY],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    )
    lines = done.stdout.splitlines()
    return lines[next(i for i, line in enumerate(lines) if " protocol change" in line) :]


def next_version(old: dict[str, Any]) -> dict[str, Any]:
    """v1 with an event added, a field removed, an enum value added, a route and a webhook
    added."""
    new = copy.deepcopy(old)
    schemas = new["components"]["schemas"]
    schemas["RealtimeServerEventInputAudioBufferCleared"] = {
        "type": "object",
        "properties": {
            "event_id": {"type": "string"},
            "type": {"type": "string", "enum": ["input_audio_buffer.cleared"]},
        },
        "required": ["event_id", "type"],
    }
    session = schemas["RealtimeSessionCreateRequestGA"]
    del session["properties"]["instructions"]
    session["properties"]["output_modalities"]["items"]["enum"].append("image")
    new["paths"]["/realtime/calls/{call_id}/hangup"] = {
        "post": {
            "operationId": "hangup-call",
            "description": "upstream prose",
            "parameters": [
                {"in": "path", "name": "call_id", "required": True, "schema": {"type": "string"}}
            ],
            "responses": {"200": {"description": "upstream prose"}},
        }
    }
    schemas["WebhookRealtimeCallIncoming"] = {
        "type": "object",
        "properties": {
            "id": {"type": "string"},
            "type": {"type": "string", "enum": ["realtime.call.incoming"]},
            "data": {
                "type": "object",
                "properties": {"call_id": {"type": "string"}},
                "required": ["call_id"],
            },
        },
        "required": ["id", "type", "data"],
    }
    new["webhooks"] = {
        "realtime_call_incoming": {
            "post": {
                "requestBody": {
                    "content": {
                        "application/json": {
                            "schema": {"$ref": "#/components/schemas/WebhookRealtimeCallIncoming"}
                        }
                    }
                },
                "responses": {"200": {"description": "upstream prose"}},
            }
        }
    }
    return new


def test_each_change_is_one_line_under_its_surface_and_kind(tmp_path: Path) -> None:
    old = yamlio.load_path(FIXTURES / "upstream-v1.yaml")
    out = tmp_path / "spec"
    sync(old, out)
    assert sync(next_version(old), out) == [
        "5 protocol changes:",
        "realtime: 5",
        "  added:",
        "    + event ga/server: input_audio_buffer.cleared",
        "    + webhook realtime.call.incoming: RealtimeCallIncomingWebhook",
        "    + route POST /realtime/calls/{call_id}/hangup",
        "    + enum RealtimeSessionConfig.output_modalities[]: 'image'",
        "  removed:",
        "    - field RealtimeSessionConfig.instructions",
        "left out: none of upstream's voice parts",
    ]
    history = (out / "HISTORY.md").read_text()
    # newest first: this sync's entry comes before the first one (all schemas new)
    assert history.index("+ webhook realtime.call.incoming") < history.index("+ schema ClientEvent")
    assert history.count("\n## ") == 2  # one entry per sync that changed something


def test_going_back_reverses_every_line(tmp_path: Path) -> None:
    old = yamlio.load_path(FIXTURES / "upstream-v1.yaml")
    out = tmp_path / "spec"
    sync(next_version(old), out)
    assert sync(old, out) == [
        "5 protocol changes:",
        "realtime: 5",
        "  added:",
        "    + field RealtimeSessionConfig.instructions: string",
        "  removed:",
        "    - event ga/server: input_audio_buffer.cleared",
        "    - webhook realtime.call.incoming",
        "    - route POST /realtime/calls/{call_id}/hangup",
        "    - enum RealtimeSessionConfig.output_modalities[]: 'image'",
        "left out: none of upstream's voice parts",
    ]


def test_route_bodies_and_parameters_are_compared_field_by_field() -> None:
    def spec(param_type: str, body: dict[str, Any]) -> dict[str, Any]:
        return {
            "paths": {
                "/realtime/calls": {
                    "post": {
                        "parameters": [
                            {"in": "query", "name": "model", "schema": {"type": param_type}}
                        ],
                        "requestBody": {"content": {"application/json": {"schema": body}}},
                    }
                }
            }
        }

    before = spec("string", {"type": "object", "properties": {"sdp": {"type": "string"}}})
    after = spec(
        "integer",
        {
            "type": "object",
            "properties": {"sdp": {"type": "string"}, "session": {"type": "object"}},
            "required": ["sdp"],
        },
    )
    assert changelog.changes(before, after) == [
        "~ route POST /realtime/calls: query parameter model: string -> integer",
        "+ field POST /realtime/calls request application/json session: object",
        "~ field POST /realtime/calls request application/json sdp: string -> string, required",
    ]


def test_surfaces_are_grouped_and_upstream_parts_left_out_are_listed() -> None:
    old = {"realtime.asyncapi.yaml": None, "translation.asyncapi.yaml": None}
    event = {
        "components": {
            "messages": {
                "SessionUpdate": {
                    "name": "session.update",
                    "x-direction": "client",
                    "payload": {"$ref": "#/components/schemas/SessionUpdate"},
                }
            }
        }
    }
    new = {"translation.asyncapi.yaml": event, "realtime.asyncapi.yaml": {}}
    grouped = changelog.by_surface(old, new)
    assert list(grouped) == ["realtime", "translation"]  # the registry's order
    document = {
        "components": {
            "schemas": {
                "RealtimeTranslationSession": {},
                "RealtimeTranslationClientEvent": {},
                "RealtimeSession": {},
                "LiveThing": {},
                "CreateVoiceRequest": {"properties": {"consent": {"$ref": f"{REF}VoiceConsent"}}},
                "VoiceConsent": {},
                "Batch": {},
                "RealtimeClientEvent": {"oneOf": [{"$ref": f"{REF}RealtimeSession"}]},
            }
        },
        "paths": {
            "/realtime/translations/client_secrets": {},
            "/realtime/calls": {},
            "/audio/voices": {
                "post": {
                    "requestBody": {
                        "content": {
                            "application/json": {"schema": {"$ref": f"{REF}CreateVoiceRequest"}}
                        }
                    }
                }
            },
            "/batches": {},
        },
    }
    left = changelog.left_out(document, {"RealtimeSession", "path /realtime/calls"})
    assert left == [
        "path /audio/voices (CreateVoiceRequest, VoiceConsent)",
        "path /realtime/translations/client_secrets",
        "schema LiveThing",
        "schemas RealtimeTranslation* (2)",
    ]  # not Batch, /batches (no voice part), nor RealtimeClientEvent (a union of taken ones)
    assert changelog.render(grouped, left) == [
        "1 protocol change:",
        "translation: 1",
        "  added:",
        "    + event client: session.update",
        "left out (upstream voice parts no surface takes):",
        *(f"  {line}" for line in left),
    ]
