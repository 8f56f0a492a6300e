"""The playground page at `/` in headless Chromium against `realtime-sdk serve` (its
default back-end, the offline voice agent), with the fake microphone playing recorded speech.

Playwright reads what a person would see: the user's transcript and the agent's reply
in the transcript pane, the event log and its filters, the session settings after
`session.update`, an interrupted reply, disconnection. The screenshot is saved under
tests/artifacts/browser/ (its path is printed).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import pytest
from helpers.browser import artifact, run_page, speech_wav
from helpers.need import need
from helpers.paths import AUDIO_FIXTURES

FIXTURE = AUDIO_FIXTURES
SCENARIO = "tests/compat/browser/playground.mjs"


def _gap_ms(events: list[dict[str, Any]], start: str, end: str) -> float:
    """Milliseconds from the first `start` event to the first `end` event after it."""
    t0 = next(e["ms"] for e in events if e["type"] == start)
    return float(next(e["ms"] for e in events if e["type"] == end and e["ms"] >= t0) - t0)


def test_playground_shows_both_sides_of_a_spoken_turn(tmp_path: Path) -> None:
    for module in ("pocketsphinx", "espeakng_loader"):
        need(
            importlib.util.find_spec(module) is not None,
            f"{module} missing: the agent extra (pip install 'realtime-sdk[agent]')",
        )
    # the fake microphone starts with getUserMedia, before the call is up: lead silence
    wav = speech_wav(FIXTURE / "fastrtc-how-are-you-24k.wav", tmp_path / "mic.wav", lead_s=4.0)
    screenshot = artifact("playground.png")
    screenshot.unlink(missing_ok=True)
    run = run_page(
        SCENARIO,
        serve_args=(),  # `realtime-sdk serve` as it comes: the offline agent
        wav=wav,
        screenshot=artifact("playground-end.png"),
        params={"screenshot": str(screenshot)},
        timeout_s=180,
    )
    report = run["result"]
    page = report["page"]
    events = page["events"]
    print(f"\nplayground screenshot: {screenshot}")
    print(f"step times (ms): {report['timings_ms']}")
    figures = {
        kind: round(_gap_ms(events, "input_audio_buffer.speech_stopped", kind))
        for kind in (
            "conversation.item.input_audio_transcription.completed",
            "response.output_audio_transcript.delta",
            "output_audio_buffer.started",
        )
    }
    print(f"from speech_stopped, as the page saw it (ms): {figures}")

    assert run["page_errors"] == [], run["page_errors"]
    assert report["steps"]["load"]["base_url"] == f"http://127.0.0.1:{run['port']}/v1"
    assert page["state"] == "connected" and page["status"] == "Connected"
    assert page["session_id"].startswith("sess_") and page["call_id"].startswith("rtc_")

    # the spoken turn: the user's words, then the agent's reply quoting them
    turns = page["turns"]
    assert [t["role"] for t in turns[:2]] == ["user", "assistant"], turns
    heard, reply = turns[0], turns[1]
    assert heard["status"] == "final" and "how are you" in heard["text"].lower(), heard
    assert reply["status"] == "final" and heard["text"] in reply["text"], reply
    assert reply["text"].startswith("You said"), reply
    audio = report["steps"]["voice_turn"]["audio"]
    assert audio["bytes"] > 10_000 and audio["energy"] > 0, audio  # the reply came over RTP
    assert report["steps"]["voice_turn"]["element"] == {"attached": True, "paused": False}
    kinds = [e["type"] for e in events]
    assert kinds.index("input_audio_buffer.speech_started") < kinds.index(
        "conversation.item.input_audio_transcription.completed"
    )

    # the typed turn: conversation.item.create + response.create, and its reply
    assert report["steps"]["text_turn"]["input_after"] == ""
    assert {"role": "user", "text": "testing one two three"}.items() <= turns[2].items()
    assert "testing one two three" in turns[3]["text"] and turns[3]["role"] == "assistant"
    sent = [e["type"] for e in events if e["direction"] == "out"]
    assert sent[:2] == ["conversation.item.create", "response.create"], sent

    # settings went out as session.update; the form shows the server's session
    settings = report["steps"]["settings"]
    session = settings["session"]
    assert settings["turn_detection_after_first"] is False
    assert session["instructions"] == settings["instructions"] == "Answer in one short sentence."
    assert session["audio"]["output"]["voice"] == settings["voice"] == "marin"
    detection = session["audio"]["input"]["turn_detection"]
    assert detection["type"] == "server_vad" and detection["silence_duration_ms"] == 700
    assert session["audio"]["input"]["transcription"] is not None
    assert sent.count("session.update") == 2

    # the log's filters: by type, by direction, and back to everything
    shown = report["steps"]["filter"]
    by_type = shown["by_type"]
    assert any(visible for _, _, visible in by_type)
    assert all(("transcript" in kind) == visible for kind, _, visible in by_type)
    wanted = [k.startswith("response.") and not k.endswith(".delta") for k, _, _ in by_type]
    assert [visible for _, _, visible in shown["excluding"]] == wanted
    assert all((not k.endswith(".delta")) == visible for k, _, visible in shown["no_deltas"])
    assert all((way == "out") == visible for _, way, visible in shown["by_direction"])
    assert all(visible for _, _, visible in shown["after_reset"])

    # interrupt: enabled while the reply plays; the clear went out and was answered
    assert report["steps"]["interrupt"]["enabled_while_playing"] is True
    assert sent[-1] == "output_audio_buffer.clear", sent
    assert "output_audio_buffer.cleared" in kinds
    last = turns[-1]
    assert last["role"] == "assistant" and (last["truncated"] or last["status"] == "cancelled")

    assert report["steps"]["disconnect"] == {
        "state": "closed",
        "connect_enabled": True,
        "send_enabled": False,
    }
    assert screenshot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize("mdns", [False, True], ids=["flags", "mdns-hiding-on"])
def test_playground_with_an_api_key_mints_an_ephemeral_key_and_talks_by_text(mdns: bool) -> None:
    """Also with Chrome's default of hiding host addresses behind `.local` names, as a
    person's browser has it."""
    key = "sk-playground"
    run = run_page(
        SCENARIO,
        serve_args=("--handler", "echo", "--api-key", key),
        screenshot=artifact(f"playground-keys{'-mdns' if mdns else ''}.png"),
        params={"flow": "keys", "key": key},
        mdns=mdns,
        timeout_s=120,
    )
    report = run["result"]
    steps = report["steps"]
    assert run["page_errors"] == [], run["page_errors"]

    # a wrong key: the server's own message, on the page
    status = steps["wrong_key"]["status"]
    assert status.startswith("Failed: client_secrets:") and "API key" in status, status

    # the right key: an ek_ key from client_secrets opens the call, no microphone asked
    assert steps["connect"] == {
        "bearer_prefix": "ek_",
        "modalities": ["text"],
        "modality_shown": "text",
        "mute_enabled": False,
    }
    called = [call["url"].split("?")[0] for call in run["api_calls"]]
    assert called.count("/v1/realtime/client_secrets") == 2, called
    assert "/v1/realtime/calls" in called, called

    # tools that are not JSON stay on the page; a tool the server refuses comes back named
    bad = steps["bad_settings"]
    assert bad["local"].startswith("Tools: not JSON") and bad["sent_after_local"] == 0, bad
    assert "session.tools[0].nme" in bad["under_settings"], bad
    assert "unknown_parameter" in bad["header"], bad
    assert steps["error_after_update"] is False  # gone once a session.update is taken

    # the typed turn and echo's text reply, from response.output_text.*
    page = steps["text_turn"]
    turns = [(t["role"], t["status"], t["text"]) for t in page["turns"]]
    assert turns == [
        ("user", "final", "hello from the text box"),
        ("assistant", "final", "hello from the text box"),
    ]
    kinds = [e["type"] for e in page["events"]]
    assert "response.output_text.delta" in kinds
    assert "output_audio_buffer.started" not in kinds

    # a function call shows with a form; its output goes back and echo reads it out
    page = steps["function_call"]
    turns = [(t["role"], t["text"]) for t in page["turns"][2:]]
    assert turns == [
        ("user", 'call lookup {"city": "Paris"}'),
        ("tool", 'lookup({"city": "Paris"})'),
        ("tool", "→ sunny, 21 C"),
        ("assistant", "sunny, 21 C"),
    ]
    sent = [e["type"] for e in page["events"] if e["direction"] == "out"]
    assert sent[-3:] == ["response.create", "conversation.item.create", "response.create"]
    assert steps["disconnect"] is True
