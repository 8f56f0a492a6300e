"""A browser page on the legacy beta WebRTC flow, in headless Chromium against
`realtime-sdk serve` (echo), both in a private network namespace (tests/helpers/browser.py):
the key from `POST /v1/realtime/sessions`, the SDP offer to `/v1/realtime?model=`, and
an audio turn spoken by the fake microphone, heard back, with beta events on the
data channel. Screenshot: tests/artifacts/browser/legacy-beta.png.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from helpers.browser import artifact, run_page, speech_wav
from helpers.need import need
from helpers.paths import AUDIO_FIXTURES
from pydantic import TypeAdapter

from realtime_sdk._generated._runtime import UnknownServerEvent
from realtime_sdk._generated.beta import parse_server_event as parse_beta_server_event
from realtime_sdk._generated.dialects import BETA_TO_GA

try:
    from openai.types.beta.realtime import RealtimeServerEvent as OpenAIBetaServerEvent
except ImportError:  # gone from some future openai-python
    OpenAIBetaServerEvent = None

SPEECH = AUDIO_FIXTURES / "fastrtc-how-are-you-24k.wav"


def first(events: list[dict[str, Any]], kind: str) -> dict[str, Any]:
    found = [e for e in events if e["type"] == kind]
    assert found, f"no {kind} in {[e['type'] for e in events]}"
    return found[0]


def test_legacy_beta_webrtc_flow_completes_an_audio_turn(tmp_path: Path) -> None:
    need(OpenAIBetaServerEvent is not None, "openai-python has no beta realtime types")
    wav = speech_wav(SPEECH, tmp_path / "mic.wav", lead_s=0.3, tail_s=2.5)
    session = {"modalities": ["audio", "text"], "voice": "ash", "instructions": "Say it back."}
    run = run_page(
        "legacy_beta.html",
        wav=wav,
        screenshot=artifact("legacy-beta.png"),
        params={"key": "sk-legacy", "session": session},
    )
    page = run["result"]
    assert run["page_errors"] == [], run["page_errors"]
    calls = [c["url"].split("?")[0] for c in run["api_calls"]]
    assert calls[:2] == ["/v1/realtime/sessions", "/v1/realtime"]
    assert page["minted"]["client_secret"]["prefix"] == "ek_"
    assert page["minted"]["voice"] == "ash"
    assert page["status"] == 201 and page["location"].startswith("/v1/realtime/calls/rtc_")

    raw: list[dict[str, Any]] = page["raw"]
    kinds = [e["type"] for e in raw]
    assert kinds[0] == "session.created"
    assert "error" not in kinds, raw
    # the data channel speaks beta: beta names only, the flat session, beta content types
    ga_names = ("response.output_audio", "response.output_text", "conversation.item.added")
    ga_only = [k for k in kinds if k.startswith(ga_names)]
    assert ga_only == [], ga_only
    assert "conversation.item.done" not in kinds
    created = raw[0]["session"]
    assert (created["voice"], created["instructions"]) == ("ash", "Say it back.")
    assert created["modalities"] == ["audio", "text"] and "audio" not in created
    order = ["input_audio_buffer.speech_started", "input_audio_buffer.speech_stopped",
             "conversation.item.created", "response.created", "output_audio_buffer.started",
             "output_audio_buffer.stopped"]  # fmt: skip
    positions = [kinds.index(kind) for kind in order]
    assert positions == sorted(positions), list(zip(order, positions, strict=True))
    done = first(raw, "response.done")["response"]
    assert done["status"] == "completed"
    assert done["output"][0]["content"][0]["type"] == "audio"
    adapter = TypeAdapter(OpenAIBetaServerEvent)
    for event in raw:
        adapter.validate_python(event)
        if ("server", event["type"]) in BETA_TO_GA:  # the beta schemas leave out a few
            ours = parse_beta_server_event(json.dumps(event))
            assert not isinstance(ours, UnknownServerEvent), (event["type"], ours.problem)

    mic, remote = page["mic"], page["remote"]
    assert mic is not None and remote is not None, page
    assert mic["voiced_s"] > 0.8, mic
    assert remote["peak_rms"] > 1000, remote
    assert 0.6 < remote["voiced_s"] / mic["voiced_s"] < 1.5, (mic, remote)
    assert page["hangup_status"] == 403  # an ek_ key: the call is the application's to end
    call_id = page["location"].rsplit("/", 1)[1]
    assert f"call {call_id} ended" in run["server_log"]  # the page closed its connection
    print(
        f"\nlegacy beta page: {len(raw)} events, mic {mic['voiced_s']:.2f} s, reply"
        f" {remote['voiced_s']:.2f} s, speech end -> first reply audio"
        f" {page['turn']['latency_ms']:.0f} ms"
    )
