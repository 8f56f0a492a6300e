"""Server VAD turns through the session, on recorded speech and the real Silero model."""

from __future__ import annotations

import base64
from typing import Any

import numpy as np
from helpers.paths import AUDIO_FIXTURES
from helpers.session_harness import Harness

from realtime_sdk.audio import read_wav, resample
from realtime_sdk.realtime.protocol.outputs import ClearOutputAudio, StartResponse
from realtime_sdk.vad import SileroSpeechModel

FIXTURES = AUDIO_FIXTURES


def speech(name: str) -> np.ndarray:
    rate, samples = read_wav(FIXTURES / name)
    return resample(samples, rate, 24000)


def stream(h: Harness, samples: np.ndarray) -> list[dict[str, Any]]:
    """Append 20 ms frames as a client would; return what the session sent meanwhile."""
    out: list[dict[str, Any]] = []
    for start in range(0, len(samples), 480):
        frame = samples[start : start + 480].tobytes()
        out += h.send(
            {"type": "input_audio_buffer.append", "audio": base64.b64encode(frame).decode()}
        )
    return out


def silence(ms: int) -> np.ndarray:
    return np.zeros(24000 * ms // 1000, dtype=np.int16)


def test_server_vad_turn_sequence_and_timestamps() -> None:
    h = Harness(speech_model=SileroSpeechModel())
    out = stream(h, np.concatenate([speech("hello_world_16k.wav"), silence(500)]))
    assert h.types(out) == [
        "input_audio_buffer.speech_started",
        "input_audio_buffer.speech_stopped",
        "input_audio_buffer.committed",
        "conversation.item.added",
        "conversation.item.done",
        "response.created",
    ]
    started, stopped, committed, added, _, _ = out
    item_id = started["item_id"]
    assert stopped["item_id"] == committed["item_id"] == added["item"]["id"] == item_id
    # the fixture has 0.6 s of silence first; prefix padding is 300 ms
    assert 200 <= started["audio_start_ms"] <= 400
    # speech ends near 1.45 s; the reported end includes the 200 ms of silence
    assert 1500 <= stopped["audio_end_ms"] <= 1900
    assert added["item"]["content"] == [{"type": "input_audio", "transcript": None}]
    assert isinstance(h.work[-1], StartResponse)


def test_two_utterances_make_two_turns_and_manual_mode_makes_none() -> None:
    h = Harness(speech_model=SileroSpeechModel())
    h.send({"type": "session.update", "session": {"type": "realtime", "audio": {"input": {
        "turn_detection": {"type": "server_vad", "create_response": False}}}}})  # fmt: skip
    out = stream(h, np.concatenate([speech("two_utterances_16k.wav"), silence(400)]))
    assert h.types(out).count("input_audio_buffer.speech_started") == 2
    assert h.types(out).count("input_audio_buffer.committed") == 2
    assert "response.created" not in h.types(out)

    manual = Harness(speech_model=SileroSpeechModel())
    manual.send({"type": "session.update", "session": {"type": "realtime", "audio": {"input": {
        "turn_detection": None}}}})  # fmt: skip
    assert stream(manual, speech("two_utterances_16k.wav")) == []


def test_speech_during_a_response_interrupts_it() -> None:
    h = Harness(speech_model=SileroSpeechModel())
    h.send({"type": "session.update", "session": {"type": "realtime", "audio": {"input": {
        "turn_detection": {"type": "server_vad", "create_response": False}}}}})  # fmt: skip
    response_id = h.start_response()
    h.session.response(response_id).audio(b"\x00\x00" * 4800)
    h.drain()
    out = stream(h, speech("hello_world_16k.wav")[: 24000 * 12 // 10])
    types = h.types(out)
    assert types.index("response.done") < types.index("input_audio_buffer.speech_started")
    done = next(e for e in out if e["type"] == "response.done")
    assert done["response"]["status_details"] == {"type": "cancelled", "reason": "turn_detected"}
    assert any(isinstance(w, ClearOutputAudio) for w in h.work)


def test_idle_timeout_after_a_response() -> None:
    h = Harness(speech_model=SileroSpeechModel())
    h.send({"type": "session.update", "session": {"type": "realtime", "audio": {"input": {
        "turn_detection": {"type": "server_vad", "idle_timeout_ms": 5000,
                           "create_response": False}}}}})  # fmt: skip
    response_id = h.start_response()
    h.session.finish_response(response_id)
    h.drain()
    out = stream(h, silence(6000))
    [timeout] = [e for e in out if e["type"] == "input_audio_buffer.timeout_triggered"]
    assert timeout["audio_end_ms"] - timeout["audio_start_ms"] >= 5000
    assert "input_audio_buffer.committed" in h.types(out)


def test_bad_turn_detection_settings_are_refused() -> None:
    h = Harness(speech_model=SileroSpeechModel())
    error = h.error({"type": "session.update", "session": {"type": "realtime", "audio": {"input": {
        "turn_detection": {"type": "server_vad", "idle_timeout_ms": 10}}}}})  # fmt: skip
    assert error["code"] == "invalid_value"
    assert error["param"] == "session.audio.input.turn_detection.idle_timeout_ms"
