"""The sans-I/O translation session: what each client event gives, with no sockets."""

from __future__ import annotations

import base64
import json
from typing import Any

from realtime_sdk.translation.protocol import (
    FRAME_BYTES,
    EndInput,
    Hangup,
    Reconfigure,
    Send,
    Translate,
    TranslationSession,
)


def append(pcm: bytes, **extra: Any) -> str:
    event = {"type": "session.input_audio_buffer.append", "audio": base64.b64encode(pcm).decode()}
    return json.dumps({**event, **extra})


def update(audio: dict[str, Any], **extra: Any) -> str:
    return json.dumps({"type": "session.update", "session": {"audio": audio}, **extra})


def sent(outputs: list[Any]) -> list[dict[str, Any]]:
    return [out.event for out in outputs if isinstance(out, Send)]


def started(**kwargs: Any) -> TranslationSession:
    session = TranslationSession(model="gpt-realtime-translate", now_s=1000, **kwargs)
    session.start()
    return session


def test_session_created_is_the_full_session() -> None:
    (created,) = sent(started().take())
    assert created["type"] == "session.created"
    assert created["event_id"].startswith("event_")
    session = created["session"]
    assert session["type"] == "translation"
    assert session["id"].startswith("sess_")
    assert session["expires_at"] > 1000
    assert session["audio"] == {
        "input": {"transcription": None, "noise_reduction": None},
        "output": {"language": "en"},
    }


def test_appends_become_200_ms_frames_at_their_place_on_the_input() -> None:
    session = started()
    session.take()
    session.receive(append(b"\x01\x00" * 1000))  # 41.7 ms: held
    assert session.take() == []
    session.receive(append(b"\x02\x00" * 12000))  # 500 ms: split
    frames = [out.frame for out in session.take() if isinstance(out, Translate)]
    assert [(len(f.pcm), f.elapsed_ms) for f in frames] == [(FRAME_BYTES, 0), (FRAME_BYTES, 200)]
    session.receive(json.dumps({"type": "session.close"}))
    out = session.take()
    assert isinstance(out[0], Translate) and out[0].frame.elapsed_ms == 400
    assert len(out[0].frame.pcm) == (13000 - 9600) * 2
    assert isinstance(out[1], EndInput)
    session.finished()
    out = session.take()
    assert sent(out)[0]["type"] == "session.closed" and isinstance(out[-1], Hangup)


def test_update_changes_only_what_it_names() -> None:
    session = started()
    session.take()
    session.receive(update({"input": {"noise_reduction": {"type": "far_field"}}}))
    session.receive(update({"output": {"language": "fr"}}))
    out = session.take()
    assert [type(o) for o in out] == [Reconfigure, Send, Reconfigure, Send]
    audio = sent(out)[-1]["session"]["audio"]
    assert audio["input"]["noise_reduction"] == {"type": "far_field", "strength": 1.0}
    assert audio["output"]["language"] == "fr"


def test_bad_events_are_errors_naming_the_parameter_and_the_session_goes_on() -> None:
    session = started()
    session.take()
    cases = [
        ("not json", "invalid_json", None),
        (json.dumps({"type": "response.create"}), "invalid_value", "type"),
        (update({}).replace('"audio"', '"type"'), "unknown_parameter", "session.type"),
        (append(b"\x00\x00", extra=1), "unknown_parameter", "extra"),
        (append(b"").replace('""', '"abc"'), "invalid_value", "audio"),
    ]
    for raw, code, param in cases:
        session.receive(raw)
        (error,) = sent(session.take())
        assert error["type"] == "error"
        assert (error["error"]["code"], error["error"]["param"]) == (code, param), raw
    session.receive(append(b"\x00" * FRAME_BYTES, event_id="ok"))
    assert isinstance(session.take()[0], Translate)


def test_a_back_end_refuses_an_update_it_cannot_serve() -> None:
    def check(config: dict[str, Any]) -> tuple[str, str, str] | None:
        if config["audio"]["output"]["language"] == "tlh":
            return ("unsupported_feature", "no Klingon voice", "session.audio.output.language")
        return None

    session = started(check=check)
    session.take()
    session.receive(update({"output": {"language": "tlh"}}, event_id="u1"))
    (error,) = sent(session.take())
    assert error["error"]["message"] == "no Klingon voice"
    assert error["error"]["event_id"] == "u1"
    assert session.config["audio"]["output"]["language"] == "en"


def test_events_after_close_are_refused() -> None:
    session = started()
    session.receive(json.dumps({"type": "session.close"}))
    session.take()
    session.receive(append(b"\x00" * 4))
    (error,) = sent(session.take())
    assert error["error"]["code"] == "session_closing"


def test_output_events_and_the_source_transcript_only_when_asked() -> None:
    session = started()
    session.take()
    session.output_audio(b"\x01\x00", 200)
    session.output_transcript("hola", 200)
    session.input_transcript("hello", 200)  # transcription off: not sent
    events = sent(session.take())
    assert [e["type"] for e in events] == [
        "session.output_audio.delta",
        "session.output_transcript.delta",
    ]
    assert events[0]["sample_rate"] == 24000 and events[0]["elapsed_ms"] == 200
    session.receive(update({"input": {"transcription": {"model": "m"}}}))
    session.take()
    session.input_transcript("hello", 400)
    assert sent(session.take())[0]["type"] == "session.input_transcript.delta"
