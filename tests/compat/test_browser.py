"""Headless Chromium over WebRTC against `realtime-sdk serve`, server and browser in a
private network namespace (tests/helpers/browser.py).

Three pages each complete an audio turn with recorded speech on the fake microphone:
a plain page (RTCPeerConnection, `oai-events`, the SDP offer fetched to
/v1/realtime/calls), `@openai/agents-realtime`'s WebRTC transport, and the plain page
against a FastRTC handler served with `--handler module:attr`. The reply as the page
heard it (levels of the remote track, in 20 ms blocks) must be loud and about as long
as the speech. Screenshots go to tests/artifacts/browser/.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import pytest
from helpers.browser import artifact, run_page, speech_wav
from helpers.need import need
from helpers.paths import AUDIO_FIXTURES, TESTS

SPEECH = AUDIO_FIXTURES / "fastrtc-how-are-you-24k.wav"


@pytest.fixture
def mic(tmp_path: Path) -> Path:
    """The speech fixture as Chromium's fake microphone plays it (48 kHz, 2.5 s tail)."""
    return speech_wav(SPEECH, tmp_path / "mic.wav", lead_s=0.3, tail_s=2.5)


def first(events: list[dict[str, Any]], kind: str) -> dict[str, Any]:
    found = [e for e in events if e["type"] == kind]
    assert found, f"no {kind} in {[e['type'] for e in events]}"
    return found[0]


def envelope_match(sent: list[float], heard: list[float], max_lag: int = 15) -> float:
    """How alike two level envelopes (20 ms blocks) are: the best correlation over lags
    up to 300 ms. An echo of the speech scores about 0.96; the same reply played
    backwards about 0.55, shuffled or noise under 0.4."""
    import numpy as np

    a, b = np.asarray(sent, float), np.asarray(heard, float)
    best = -1.0
    for lag in range(-max_lag, max_lag + 1):
        x, y = a[max(0, lag) :], b[max(0, -lag) :]
        n = min(len(x), len(y))
        if n >= 10:
            best = max(best, float(np.corrcoef(x[:n], y[:n])[0, 1]))
    return best


def check_heard(page: dict[str, Any], codec: str = "audio/opus") -> None:
    """The speech went out, and the same speech came back after it: as loud, about as
    long, with the same envelope."""
    mic, remote = page["mic"], page["remote"]
    assert mic is not None and remote is not None, page
    assert mic["voiced_s"] > 0.8, mic  # about 1.1 s of speech in the fixture
    assert remote["peak_rms"] > 1000, remote
    ratio = remote["voiced_s"] / mic["voiced_s"]
    assert 0.6 < ratio < 1.5, (mic, remote)
    assert remote["first_voiced_ms"] > mic["last_voiced_ms"], "the reply overlapped the speech"
    match = envelope_match(mic["rms_voiced_20ms"], remote["rms_voiced_20ms"])
    assert match > 0.8, (match, mic["rms_voiced_20ms"], remote["rms_voiced_20ms"])
    rtc = page["rtc"]
    assert (rtc["inbound_codec"], rtc["outbound_codec"]) == (codec, codec), rtc
    assert rtc["local_address"] == rtc["remote_address"] == "127.0.0.1", rtc
    # paced audio plays from the jitter buffer; a sender that drifts or bursts makes
    # Chrome patch the gaps (bound generous: the cores are shared)
    patched = rtc["concealed_samples"] - rtc["silent_concealed_samples"]
    assert patched < 0.1 * rtc["samples_received"], rtc


def check_turn(events: list[dict[str, Any]]) -> None:
    """Server VAD's turn, one completed response, the playback notices, in order."""
    kinds = [e["type"] for e in events]
    assert kinds[0] == "session.created", kinds
    assert "error" not in kinds, events
    assert "response.output_audio.delta" not in kinds  # audio leaves over RTP
    order = [
        "input_audio_buffer.speech_started",
        "input_audio_buffer.speech_stopped",
        "response.created",
        "output_audio_buffer.started",
        "output_audio_buffer.stopped",
    ]
    times = [first(events, kind)["t"] for kind in order]
    assert times == sorted(times), list(zip(order, times, strict=True))
    assert first(events, "response.done")["status"] == "completed"


def figures(name: str, run: dict[str, Any]) -> dict[str, float]:
    """The timings this test reports, all as the browser saw them (ms)."""
    page = run["result"]
    events = page["events"]
    offer = next(c for c in run["api_calls"] if c["url"].startswith("/v1/realtime/calls"))
    speech_end = page["turn"]["speech_end_ms"]
    out = {
        "offer_to_answer": offer["duration_ms"],
        "page_start_to_session_created": first(events, "session.created")["t"],
        "scenario_start_to_session_created": (
            first(events, "session.created")["t"] - page["scenario_start_ms"]
        ),
        "speech_end_to_speech_stopped": first(events, "input_audio_buffer.speech_stopped")["t"]
        - speech_end,
        "speech_end_to_output_started": first(events, "output_audio_buffer.started")["t"]
        - speech_end,
        "speech_end_to_first_voiced_audio": page["turn"]["latency_ms"],
    }
    rtc = page["rtc"]
    out["jitter_buffer"] = rtc["jitter_buffer_ms"] or 0.0
    out["concealed"] = 1000 * rtc["concealed_samples"] / 48000
    shown = ", ".join(f"{k} {v:.0f}" for k, v in out.items())
    sent, heard = page["mic"]["rms_voiced_20ms"], page["remote"]["rms_voiced_20ms"]
    shown += f"; envelope match {envelope_match(sent, heard):.3f}"
    voiced = (
        f"voiced: mic {page['mic']['voiced_s']:.2f} s, reply {page['remote']['voiced_s']:.2f} s"
    )
    print(f"\n{name} (ms): {shown}; {voiced}; screenshot {run.get('screenshot')}")
    return out


def test_plain_page_completes_an_audio_turn(mic: Path) -> None:
    retrieve = {
        "type": "conversation.item.retrieve",
        "item_id": "$user",  # the page puts in the id of the spoken item
        "expect": "conversation.item.retrieved",
    }
    run = run_page(
        "plain.html",
        wav=mic,
        screenshot=artifact("plain.png"),
        params={"key": "sk-plain", "after_turn": [retrieve]},
    )
    page = run["result"]
    assert run["page_errors"] == [], run["page_errors"]
    assert page["status"] == 201 and page["content_type"].startswith("application/sdp")
    assert page["location"].startswith("/v1/realtime/calls/rtc_")  # readable across origins
    assert page["answer_has_candidates"]  # 127.0.0.1, though the offer carried none
    check_turn(page["events"])
    check_heard(page)
    # the spoken item with its audio (about 2 s of 24 kHz PCM) fits Chrome's messages
    retrieved = first(page["events"], "conversation.item.retrieved")
    assert 100_000 < retrieved["bytes"] < 262_144, retrieved
    # the page hung up; the server closed the data channel
    assert (page["hangup_status"], page["channel_state"]) == (200, "closed")
    timings = figures("plain page", run)
    assert timings["offer_to_answer"] < 5000  # generous: the cores are shared


def test_agents_realtime_webrtc_transport_completes_an_audio_turn(tmp_path: Path) -> None:
    # the SDK asks for the microphone before it offers: lead silence covers the setup
    wav = speech_wav(SPEECH, tmp_path / "mic.wav", lead_s=2.0, tail_s=3.0)
    run = run_page("agents.html", wav=wav, screenshot=artifact("agents-realtime.png"))
    page = run["result"]
    assert run["page_errors"] == [], run["page_errors"]
    assert page["errors"] == []
    assert page["key_prefix"] == "ek_" and page["call_id"].startswith("rtc_")
    assert [c["url"] for c in run["api_calls"]][:2] == [
        "/v1/realtime/client_secrets",
        "/v1/realtime/calls",
    ]
    events = page["events"]
    assert "session.updated" in [e["type"] for e in events]  # the SDK's config, acknowledged
    check_turn(events)
    check_heard(page)
    # the SDK's own history holds the spoken turn and the reply
    assert [h["role"] for h in page["history"]][:2] == ["user", "assistant"], page["history"]
    figures("agents-realtime", run)


def test_fastrtc_handler_answers_chromium(mic: Path) -> None:
    need(importlib.util.find_spec("fastrtc") is not None, "the fastrtc extra is not installed")
    run = run_page(
        "plain.html",
        serve_args=["--handler", "helpers.cli_handlers:pause_echo"],
        env={"PYTHONPATH": str(TESTS)},  # helpers/cli_handlers.py
        wav=mic,
        screenshot=artifact("fastrtc-handler.png"),
        # this page waits for ICE gathering and posts its candidates, as some pages do
        params={"gathered": True},
    )
    page = run["result"]
    assert run["page_errors"] == [], run["page_errors"]
    assert any(" 127.0.0.1 " in c for c in page["offer_candidates"]), page["offer_candidates"]
    # ReplyOnPause's own turns, mapped onto speech_started/stopped and one response
    check_turn(page["events"])
    check_heard(page)
    assert (page["hangup_status"], page["channel_state"]) == (200, "closed")
    figures("FastRTC ReplyOnPause", run)


def test_g711_when_the_page_offers_no_opus(mic: Path) -> None:
    """A page that offers PCMU alone: the server answers with it, and the turn's audio
    goes both ways at 8 kHz."""
    run = run_page(
        "plain.html", wav=mic, screenshot=artifact("pcmu.png"), params={"codecs": ["audio/PCMU"]}
    )
    page = run["result"]
    check_turn(page["events"])
    check_heard(page, codec="audio/PCMU")
    figures("PCMU page", run)


def test_barge_in_from_the_browser_cuts_the_reply_it_is_hearing(tmp_path: Path) -> None:
    """The speech twice, the second time while the echo of the first plays: the server
    clears its player, truncates the reply at what went out, and answers the second turn;
    the page stops hearing the first reply."""
    import numpy as np

    from realtime_sdk.audio import read_wav, write_wav

    rate, once = read_wav(speech_wav(SPEECH, tmp_path / "once.wav", lead_s=0.3, tail_s=0.9))
    twice = np.concatenate([once, once[int(0.3 * rate) :], np.zeros(3 * rate, np.int16)])
    write_wav(tmp_path / "mic.wav", rate, twice)
    run = run_page(
        "plain.html",
        wav=tmp_path / "mic.wav",
        screenshot=artifact("barge-in.png"),
        params={"until": "output_audio_buffer.stopped", "count": 1},
    )
    page = run["result"]
    events = page["events"]
    kinds = [e["type"] for e in events]
    assert "error" not in kinds, events
    started = [e for e in events if e["type"] == "output_audio_buffer.started"]
    speech = [e for e in events if e["type"] == "input_audio_buffer.speech_started"]
    cleared = first(events, "output_audio_buffer.cleared")
    truncated = first(events, "conversation.item.truncated")
    assert len(speech) == 2 and len(started) == 2, kinds
    # the second speech_started cut the first reply while it played
    assert started[0]["t"] < speech[1]["t"] <= cleared["t"] < started[1]["t"], events
    first_reply = first(events, "response.content_part.added")["item_id"]
    assert truncated["item_id"] == first_reply
    played_ms = cleared["t"] - started[0]["t"]  # as the page saw the notices come
    assert abs(truncated["audio_end_ms"] - played_ms) < 500, (truncated, played_ms)
    # what the page heard: the first reply stops soon after `cleared`, the second plays
    spans = page["remote"]["voiced_spans"]
    cut = [s for s in spans if s[0] < cleared["t"]]
    assert cut and cut[-1][1] < cleared["t"] + 500, (spans, cleared)
    after = [s for s in spans if s[0] > started[1]["t"]]
    assert sum(b - a for a, b in after) > 600, (spans, started[1])
    stop_ms = cut[-1][1] - cleared["t"]
    print(f"\nbarge-in: truncated at {truncated['audio_end_ms']} ms after {played_ms:.0f} ms "
          f"of notices; the page heard the reply {stop_ms:.0f} ms past `cleared`")  # fmt: skip


def test_an_event_over_chromes_message_limit_gets_an_error(tmp_path: Path) -> None:
    """Chrome takes data-channel messages up to 262144 bytes (its SDP's max-message-size);
    `conversation.item.retrieved` of a 6 s item is about 380 kB. The page gets an
    `error` saying so instead of waiting for an event that never comes, and the call
    goes on."""
    wav = speech_wav(SPEECH, tmp_path / "mic.wav", lead_s=4.0, tail_s=2.5)
    run = run_page(
        "plain.html",
        wav=wav,
        params={
            "after_turn": [
                {"type": "conversation.item.retrieve", "item_id": "$user", "expect": "error"},
                {"type": "input_audio_buffer.clear", "expect": "input_audio_buffer.cleared"},
            ]
        },
    )
    events = run["result"]["events"]
    error = first(events, "error")["error"]
    assert (error["type"], error["code"]) == ("invalid_request_error", "event_too_large")
    assert "conversation.item.retrieved" in error["message"] and "262144" in error["message"]
    assert "conversation.item.retrieved" not in [e["type"] for e in events]
    assert first(events, "input_audio_buffer.cleared")["t"] > first(events, "error")["t"]
