"""The sans-I/O Live session: every ordering rule without a socket, task or clock."""

from __future__ import annotations

import base64
import json
from typing import Any

import numpy as np
from openai.types.live.connect_server_event import ConnectServerEvent
from pydantic import TypeAdapter

from realtime_sdk.audio import PCMU, encode
from realtime_sdk.live.protocol import (
    Context,
    Drain,
    Hangup,
    Hear,
    LiveSession,
    Reconfigure,
    Send,
    Start,
)

OPENAI = TypeAdapter(ConnectServerEvent)
START = {"type": "session.start", "event_id": "c1", "session": {"model": "gpt-live-1"}}


def sent(session: LiveSession) -> list[dict[str, Any]]:
    """The events out, each read by openai-python's own union as the type it says."""
    events = [out.event for out in session.take() if isinstance(out, Send)]
    for event in events:
        assert OPENAI.validate_python(event).type == event["type"]
    return events


def started(**session: Any) -> LiveSession:
    live = LiveSession(now_s=1000)
    live.receive({**START, "session": {"model": "gpt-live-1", **session}})
    live.take()
    return live


def audio_event(pcm: bytes) -> str:
    return json.dumps(
        {"type": "session.input_audio.append", "audio": base64.b64encode(pcm).decode()}
    )


def test_session_start_answers_started_with_the_full_session() -> None:
    live = LiveSession(now_s=1000, ttl_s=60)
    live.receive(START)
    out = live.take()
    event = out[0].event if isinstance(out[0], Send) else {}
    assert event["type"] == "session.started" and event["client_event_id"] == "c1"
    session = event["session"]
    assert (session["status"], session["expires_at"]) == ("active", 1060)
    assert session["id"].startswith("sess_") and session["model"] == "gpt-live-1"
    assert session["audio"]["format"] == {"type": "audio/pcm", "rate": 24000}
    assert isinstance(out[1], Start) and out[1].session is live.resource


def test_nothing_before_start_and_start_only_once() -> None:
    live = LiveSession(now_s=0)
    live.receive({"type": "session.input_audio.mute", "event_id": "m"})
    (error,) = sent(live)
    assert error["error"]["code"] == "session_not_started"
    assert error["error"]["client_event_id"] == "m" and live.state == "new"
    live.receive(START)
    live.take()
    live.receive(START)
    (again,) = sent(live)
    assert again["error"]["code"] == "session_already_started"


def test_unknown_fields_are_refused_by_path_and_the_session_goes_on() -> None:
    live = LiveSession(now_s=0)
    live.receive({**START, "session": {"model": "gpt-live-1", "voice": "x"}})
    (error,) = sent(live)
    assert (error["error"]["code"], error["error"]["param"]) == (
        "unknown_parameter",
        "session.voice",
    )
    assert live.state == "new"
    live.receive("{not json")
    assert sent(live)[0]["type"] == "error"
    live.receive(START)
    assert sent(live)[0]["type"] == "session.started"


def test_decisions_delegation_is_refused_by_name() -> None:
    live = LiveSession(now_s=0)
    delegation = {"type": "decisions", "decisions": {"model": "gpt-5", "questions": []}}
    live.receive({**START, "session": {"model": "gpt-live-1", "delegation": delegation}})
    (error,) = sent(live)
    assert error["error"]["code"] == "unsupported_feature"
    assert error["error"]["param"] == "session.delegation.type"


def test_output_is_continuous_silence_until_the_back_end_speaks() -> None:
    live = started()
    frames = [json.loads(live.frame() or "") for _ in range(3)]
    assert all(f["type"] == "session.output_audio.delta" for f in frames)
    assert all(base64.b64decode(f["delta"]) == bytes(1920) for f in frames)  # 40 ms of silence
    assert live.now_ms == 120
    tone = np.full(960, 1000, dtype=np.int16).tobytes()
    live.output_audio(tone)
    assert base64.b64decode(json.loads(live.frame() or "")["delta"]) == tone


def test_transcripts_sit_on_the_timeline() -> None:
    live = started()
    for _ in range(5):
        live.frame()  # 200 ms
    live.output_audio(bytes(48000))  # 1 s queued
    live.output_transcript("hello")
    live.output_audio(bytes(48000))
    live.output_transcript(" there")
    first, second = sent(live)
    assert (first["start_ms"], first["end_ms"]) == (200, 1200)
    assert (second["start_ms"], second["end_ms"]) == (1200, 2200)
    live.speech_started()  # barge-in: the rest is dropped
    assert live.playout is not None and live.playout.queued_ms == 0
    for _ in range(10):
        live.frame()
    live.speech_stopped()
    live.input_transcript("stop")
    (heard,) = sent(live)
    assert (heard["start_ms"], heard["end_ms"]) == (200, 600)


def test_mute_sends_silence_on_and_the_contexts_reach_the_back_end() -> None:
    live = started()
    live.receive({"type": "session.input_audio.mute", "event_id": "m1"})
    live.receive(audio_event(np.full(240, 500, dtype="<i2").tobytes()))
    out = live.take()
    assert isinstance(out[0], Send) and out[0].event["type"] == "session.input_audio.muted"
    assert out[0].event["client_event_id"] == "m1"
    assert isinstance(out[1], Hear) and out[1].pcm == bytes(480)
    live.receive({"type": "session.input_audio.unmute"})
    assert sent(live)[0]["type"] == "session.input_audio.unmuted"
    for kind in ("instructions", "thinking", "commentary"):
        live.receive({"type": f"session.{kind}.append", "content": kind, "delegation_id": None})
        out = live.take()
        assert out[0] == Context(kind, kind, None)  # type: ignore[arg-type]
        assert isinstance(out[1], Send) and out[1].event["type"] == f"session.{kind}.appended"


def test_g711_input_reaches_the_back_end_as_pcm() -> None:
    live = started(audio={"format": {"type": "audio/pcmu", "rate": 8000}})
    samples = (np.sin(np.arange(160) / 5) * 8000).astype(np.int16)
    live.receive(audio_event(encode(samples, PCMU)))
    (hear,) = live.take()
    assert isinstance(hear, Hear) and hear.fmt.rate == 8000 and len(hear.pcm) == 320
    assert len(base64.b64decode(json.loads(live.frame() or "")["delta"])) == 320  # 40 ms


def test_update_changes_delegation_only() -> None:
    live = started()
    live.receive({"type": "session.update", "session": {"delegation": {"type": "client"}}})
    out = live.take()
    assert isinstance(out[0], Reconfigure) and out[0].session["delegation"] == {"type": "client"}
    live.receive({"type": "session.update", "session": {"instructions": "no"}})
    assert sent(live)[0]["error"]["code"] == "unknown_parameter"


def test_events_not_served_name_what_they_need() -> None:
    live = started()
    live.receive({"type": "decision.create", "event_id": "d"})
    live.receive({"type": "response.create", "event_id": "r"})
    errors = sent(live)
    assert [e["error"]["code"] for e in errors] == ["unsupported_feature"] * 2
    assert "decisions delegation" in errors[0]["error"]["message"]
    assert errors[1]["client_event_id"] == "r"


def test_close_drains_then_closed_with_usage() -> None:
    live = started()
    for _ in range(25):
        live.frame()
    live.receive({"type": "session.close", "event_id": "bye"})
    assert live.take() == [Drain()]
    live.receive({"type": "session.input_audio.mute"})
    assert sent(live)[0]["error"]["code"] == "session_closing"
    live.receive(audio_event(bytes(480)))  # audio still in flight: taken, not heard
    assert live.take() == []
    live.finished()
    out = live.take()
    closed = out[0].event if isinstance(out[0], Send) else {}
    assert closed["type"] == "session.closed" and closed["reason"] == "close_requested"
    assert closed["usage"]["seconds"] == 1.0 and closed["client_event_id"] == "bye"
    assert out[1] == Hangup() and live.frame() is None


def test_audio_made_at_real_time_pace_is_not_cut_into_pieces() -> None:
    """20 ms of audio arriving every 20 ms: after one tick of waiting, every 40 ms frame
    is whole; a tail that stops short goes out padded a tick later."""
    live = started()
    piece = np.full(480, 700, dtype="<i2").tobytes()  # 20 ms
    frames = []
    for _ in range(10):
        live.output_audio(piece)
        frames.append(base64.b64decode(json.loads(live.frame() or "")["delta"]))
        live.output_audio(piece)
    whole = [f for f in frames if f == piece * 2]
    assert frames[0] == bytes(1920) and len(whole) == 9
    live.output_audio(piece[:480])  # a tail of 10 ms
    tail = [base64.b64decode(json.loads(live.frame() or "")["delta"]) for _ in range(4)]
    assert tail[0] == piece * 2  # what was queued before it
    assert tail[2] == piece[:480] + bytes(1440)  # held one tick, then padded


def test_a_fixture_plays_in_place_of_the_model_and_input_is_dropped_meanwhile() -> None:
    live = started()
    live.output_audio(np.full(2400, 9, dtype="<i2").tobytes())  # the model's, interrupted
    tone = np.full(1920, 1234, dtype="<i2").tobytes()  # 80 ms
    play = {
        "type": "session.output_audio.fixture.play",
        "event_id": "f1",
        "audio": base64.b64encode(tone).decode(),
    }
    live.receive(play)
    (playing,) = sent(live)
    assert (playing["type"], playing["client_event_id"]) == (
        "session.output_audio.fixture.playing",
        "f1",
    )
    live.receive(play)
    assert sent(live)[0]["error"]["code"] == "fixture_already_playing"
    live.receive(audio_event(np.full(240, 500, dtype="<i2").tobytes()))
    (hear,) = live.take()
    assert isinstance(hear, Hear) and hear.pcm == bytes(480)  # dropped: silence on
    frames = [base64.b64decode(json.loads(live.frame() or "")["delta"]) for _ in range(2)]
    assert b"".join(frames) == tone
    (played,) = sent(live)
    assert (played["type"], played["client_event_id"]) == (
        "session.output_audio.fixture.played",
        "f1",
    )
    live.receive(audio_event(np.full(240, 500, dtype="<i2").tobytes()))
    (heard,) = live.take()
    assert isinstance(heard, Hear) and heard.pcm != bytes(480)  # heard again


def test_a_fixture_over_30_s_is_refused() -> None:
    live = started()
    long = base64.b64encode(bytes(48000 * 31)).decode()
    live.receive({"type": "session.output_audio.fixture.play", "audio": long})
    assert sent(live)[0]["error"]["code"] == "invalid_value"


def test_usage_every_10_s_and_the_end_at_expiry() -> None:
    live = LiveSession(now_s=1000, ttl_s=12)
    live.receive(START)
    live.take()
    for _ in range(250):  # 10 s
        assert live.frame() is not None
    (usage,) = sent(live)
    assert usage["type"] == "session.usage.updated" and usage["usage"]["seconds"] == 10.0
    for _ in range(50):
        assert live.frame() is not None
    assert live.frame() is None  # 12 s: expired
    out = live.take()
    closed = out[0].event if isinstance(out[0], Send) else {}
    assert (closed["type"], closed["reason"]) == ("session.closed", "expired")
    assert out[1] == Hangup()
