"""The session over WebRTC: which events exist there, audio as PlayAudio, the
output_audio_buffer events and the truncation the service makes on a cut."""

from __future__ import annotations

from helpers.session_harness import Harness, pcm, user_text

from realtime_sdk.audio import PCM24K
from realtime_sdk.realtime.protocol.outputs import AudioDone, ClearOutputAudio, PlayAudio


def webrtc() -> Harness:
    return Harness(transport="webrtc")


def reply_with_audio(h: Harness, ms: int = 500) -> tuple[str, str]:
    """A completed response with `ms` of audio; its id and its item's id."""
    h.send(user_text("hi"))
    response_id = h.start_response()
    h.session.response(response_id).audio(pcm(ms))
    h.session.finish_response(response_id)
    events = h.drain()
    item_id: str = events[-1]["response"]["output"][0]["id"]
    return response_id, item_id


def test_audio_is_played_not_sent_and_done_is_said() -> None:
    h = webrtc()
    response_id, item_id = reply_with_audio(h)
    assert "response.output_audio.delta" not in h.types(h.events)
    assert "response.output_audio.done" in h.types(h.events)
    play = [w for w in h.work if isinstance(w, PlayAudio)]
    assert [(p.response_id, p.item_id, p.content_index, p.format) for p in play] == [
        (response_id, item_id, 0, PCM24K)
    ]
    assert play[0].audio == pcm(500)
    assert h.work[-1] == AudioDone(response_id)


def test_events_of_other_transports_are_refused() -> None:
    h = webrtc()
    error = h.error({"type": "input_audio_buffer.append", "audio": "AAAA", "event_id": "e1"})
    assert (error["code"], error["param"], error["event_id"]) == ("invalid_event", "type", "e1")
    ws = Harness()
    error = ws.error({"type": "output_audio_buffer.clear"})
    assert error["code"] == "invalid_event"
    assert "webrtc" in error["message"]


def test_player_notices_become_output_audio_buffer_events() -> None:
    h = webrtc()
    response_id, _ = reply_with_audio(h)
    h.session.output_audio_started(response_id)
    h.session.output_audio_stopped(response_id)
    assert [(e["type"], e["response_id"]) for e in h.drain()] == [
        ("output_audio_buffer.started", response_id),
        ("output_audio_buffer.stopped", response_id),
    ]


def test_a_cut_truncates_the_item_at_what_was_played() -> None:
    h = webrtc()
    response_id, item_id = reply_with_audio(h, 500)
    h.session.output_audio_cleared(response_id, (item_id, 0, 320))
    truncated, cleared = h.drain()
    assert truncated == {**truncated, "type": "conversation.item.truncated",
                         "item_id": item_id, "audio_end_ms": 320}  # fmt: skip
    assert (cleared["type"], cleared["response_id"]) == ("output_audio_buffer.cleared", response_id)
    stored = h.session.conversation.get(item_id)
    assert stored.audio_ms(0) == 320
    assert stored.data["content"][0]["transcript"] == ""
    # played a little past the stored audio (resampler rounding): cut at its end, no error
    h.session.output_audio_cleared(response_id, (item_id, 0, 400))
    assert h.drain()[0]["audio_end_ms"] == 320


def test_speech_during_playback_clears_even_after_the_response_is_done() -> None:
    h = webrtc()
    reply_with_audio(h)
    h.work.clear()
    h.session.heard_speech_started()
    assert [e["type"] for e in h.drain()] == ["input_audio_buffer.speech_started"]
    assert h.work == [ClearOutputAudio(None)]


def test_a_client_clear_is_always_answered() -> None:
    h = webrtc()
    response_id, _ = reply_with_audio(h)
    h.session.output_audio_started(response_id)
    h.drain()
    h.send({"type": "output_audio_buffer.clear"})
    assert h.work[-1] == ClearOutputAudio(response_id, requested=True)
    h.session.output_audio_cleared(response_id)  # nothing was left to cut
    assert [e["type"] for e in h.drain()] == ["output_audio_buffer.cleared"]
