"""The session's boundary: no client input ends it, and each finding behind that rule.

Bad audio is refused when it arrives, naming its field; a fault of ours while handling
an event is a `server_error` and the session goes on; every transcription-configured
audio item gets exactly one `.completed` or `.failed`.
"""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from helpers.session_harness import Harness, pcm, user_text

from realtime_sdk.realtime.protocol.outputs import StartResponse, Transcribe
from realtime_sdk.realtime.protocol.session import MAX_FAULTS, Capabilities, Session
from realtime_sdk.vad import SileroSpeechModel

BAD_AUDIO = {
    "AQID": "3 bytes",  # half a PCM16 sample over
    "AQ==": "1 bytes",
    "QUJD=": "base64",  # bad padding
    "%%%": "base64",
    "AAAAAAAA====": "padding",  # padding past the last quantum
}


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def audio_item(*parts: str) -> dict[str, Any]:
    content = [{"type": "input_audio", "audio": audio} for audio in parts]
    return {"type": "message", "role": "user", "content": content}


@pytest.mark.parametrize("vad", [False, True], ids=["no-vad", "server-vad"])
def test_append_of_audio_that_is_not_whole_samples_is_refused_and_dropped(vad: bool) -> None:
    h = Harness(speech_model=SileroSpeechModel() if vad else None)
    h.send({"type": "input_audio_buffer.append", "audio": b64(pcm(40))})
    for audio, why in BAD_AUDIO.items():
        error = h.error({"type": "input_audio_buffer.append", "audio": audio, "event_id": "e1"})
        assert (error["code"], error["param"]) == ("invalid_value", "audio")
        assert error["event_id"] == "e1"
        assert why in error["message"]
    assert len(h.session.input_buffer.kept) == len(pcm(40))  # nothing of the refused audio kept
    h.send({"type": "input_audio_buffer.append", "audio": b64(pcm(80))})
    committed = h.send({"type": "input_audio_buffer.commit"})
    assert committed[0]["type"] == "input_audio_buffer.committed"


def test_g711_audio_has_no_half_samples() -> None:
    h = Harness()
    pcmu = {"input": {"format": {"type": "audio/pcmu"}}}
    h.send({"type": "session.update", "session": {"type": "realtime", "audio": pcmu}})
    assert h.send({"type": "input_audio_buffer.append", "audio": "AQID"}) == []
    assert len(h.session.input_buffer.kept) == 3


def test_item_audio_is_refused_with_its_path_and_nothing_is_added() -> None:
    h = Harness()
    for audio in BAD_AUDIO:
        error = h.error({"type": "conversation.item.create", "event_id": "e2",
                         "item": audio_item(b64(pcm(20)), audio)})  # fmt: skip
        assert (error["code"], error["param"]) == ("invalid_value", "item.content[1].audio")
        assert error["event_id"] == "e2"
    assert len(h.session.conversation) == 0
    added = h.send({"type": "conversation.item.create", "item": audio_item(b64(pcm(20)))})
    assert h.types(added) == ["conversation.item.added", "conversation.item.done"]


def test_response_input_audio_is_refused_before_the_response_starts() -> None:
    h = Harness()
    error = h.error({"type": "response.create", "response": {"conversation": "none",
                     "input": [user_text("x")["item"], audio_item("AQID")]}})  # fmt: skip
    assert error["code"] == "invalid_value"
    assert error["param"] == "response.input[1].content[0].audio"
    assert h.session.active is None and not h.session._out_of_band
    assert not any(isinstance(w, StartResponse) for w in h.work)
    h.start_response()


class Buggy(Session):
    """A session with a fault of ours in one handler (the boundary is what is tested)."""

    def on_input_audio_buffer_clear(self, event: Any) -> None:
        raise KeyError("internal_detail")


def test_a_fault_of_ours_is_a_server_error_and_the_session_goes_on() -> None:
    h = Harness()
    h.session = Buggy()
    h.session.start()
    h.drain()
    for n in range(1, MAX_FAULTS + 2):
        [answer] = h.send({"type": "input_audio_buffer.clear", "event_id": f"c{n}"})
        error = answer["error"]
        assert (error["type"], error["code"], error["event_id"]) == (
            "server_error",
            "server_error",
            f"c{n}",
        )
        assert "internal_detail" not in error["message"] and "KeyError" not in error["message"]
        assert "'input_audio_buffer.clear'" in error["message"]
        assert h.session.broken == (n > MAX_FAULTS)
        assert ("closing" in error["message"]) == (n > MAX_FAULTS)
    assert h.session.faults == MAX_FAULTS + 1
    h.start_response()  # the state is intact: everything else still works


def transcribing(h: Harness) -> None:
    h.send({"type": "session.update", "session": {"type": "realtime",
            "audio": {"input": {"transcription": {"model": "whisper-1"}}}}})  # fmt: skip


def commit(h: Harness) -> tuple[str, list[dict[str, Any]]]:
    h.send({"type": "input_audio_buffer.append", "audio": b64(pcm(200))})
    out = h.send({"type": "input_audio_buffer.commit"})
    return out[0]["item_id"], out


def transcription_events(h: Harness, item_id: str) -> list[str]:
    return [
        e["type"].rsplit(".", 1)[1]
        for e in h.events
        if e["type"].startswith("conversation.item.input_audio_transcription.")
        and e["item_id"] == item_id
    ]


def test_no_transcriber_means_transcription_failed_at_once() -> None:
    h = Harness(capabilities=Capabilities(transcription=False))
    transcribing(h)
    item_id, out = commit(h)
    assert h.types(out)[-1] == "conversation.item.input_audio_transcription.failed"
    error = out[-1]["error"]
    assert error["code"] == "unsupported_feature"
    assert "cannot transcribe" in error["message"]
    assert not any(isinstance(w, Transcribe) for w in h.work)
    h.session.transcripts.completed(item_id, 0, "late")  # nothing more for this item
    assert transcription_events(h, item_id) == ["failed"]


def test_no_transcription_asked_no_event() -> None:
    h = Harness(capabilities=Capabilities(transcription=False))
    _, out = commit(h)
    assert not any("transcription" in t for t in h.types(out))


def test_a_transcriber_gets_the_job_and_settles_it_once() -> None:
    h = Harness(capabilities=Capabilities(transcription=True))
    transcribing(h)
    item_id, out = commit(h)
    assert h.types(out)[-1] == "conversation.item.done"
    assert [w.item_id for w in h.work if isinstance(w, Transcribe)] == [item_id]
    h.session.transcripts.delta(item_id, 0, "hel")
    h.session.transcripts.completed(item_id, 0, "hello")
    h.session.transcripts.failed(item_id, 0, "too late")
    h.session.transcripts.delta(item_id, 0, "lo")
    h.drain()
    assert transcription_events(h, item_id) == ["delta", "completed"]


def test_a_back_end_reporting_user_words_settles_each_turn_once() -> None:
    """A FastRTC handler's reply may carry the user's words (RealtimeMessage): a turn
    whose reply ends without them gets `.failed`, and so does a turn no reply follows."""
    h = Harness(capabilities=Capabilities(transcription=False, user_transcripts=True))
    transcribing(h)
    told, _ = commit(h)
    response_id = h.session.begin_response()
    h.session.transcripts.completed(told, 0, "what I said")
    h.session.transcripts.completed(told, 0, "said twice")
    h.session.finish_response(response_id)
    h.drain()
    assert transcription_events(h, told) == ["completed"]

    untold, _ = commit(h)
    response_id = h.session.begin_response()
    h.drain()
    assert transcription_events(h, untold) == []  # the reply may still bring them
    h.session.finish_response(response_id)
    h.drain()
    assert transcription_events(h, untold) == ["failed"]

    unanswered, _ = commit(h)
    h.drain()
    assert transcription_events(h, unanswered) == []
    following, _ = commit(h)  # the next turn: no reply came for the one before
    assert transcription_events(h, unanswered) == ["failed"]
    assert transcription_events(h, following) == []
    failed = [e for e in h.events if e.get("item_id") == unanswered][-1]
    assert json.dumps(failed["error"]).count("no transcript") == 1


def test_a_custom_voice_is_echoed_and_a_response_can_use_it() -> None:
    """`{"id": "voice_…"}` is a voice a client may set: session.updated echoes it, and a
    response names it by its id (both failed the server's own validation, and a response
    was left registered that no response.created had announced)."""
    h = Harness()
    voice = {"id": "voice_1234"}
    audio = {"output": {"voice": voice}}
    [updated] = h.send({"type": "session.update", "session": {"type": "realtime", "audio": audio}})
    assert updated["session"]["audio"]["output"]["voice"] == voice
    out = h.send({"type": "response.create",
                  "response": {"audio": {"output": {"voice": {"id": "voice_5678"}}}}})  # fmt: skip
    assert h.types(out) == ["response.created"]
    # a response object names its voice (upstream's and openai-python's response type)
    assert out[0]["response"]["audio"]["output"]["voice"] == "voice_5678"
    h.session.finish_response(out[0]["response"]["id"])
    h.drain()
    h.start_response()


def test_a_response_that_cannot_be_announced_is_not_left_active() -> None:
    h = Harness()

    def refuse(*args: Any, **kwargs: Any) -> None:
        raise ValueError("cannot announce")

    h.session.emit = refuse  # type: ignore[method-assign]
    with pytest.raises(ValueError):
        h.session._create_response()
    assert h.session.active is None and not h.session._out_of_band


def test_clearing_output_audio_with_nothing_playing_echoes_the_event_id() -> None:
    h = Harness(transport="webrtc")
    h.send({"type": "output_audio_buffer.clear", "event_id": "clr_1"})
    [clear] = [w for w in h.work if type(w).__name__ == "ClearOutputAudio"]
    h.session.output_audio_cleared(clear.response_id, event_id=clear.event_id)
    [error] = h.drain()
    assert (error["error"]["code"], error["error"]["event_id"]) == ("invalid_value", "clr_1")
