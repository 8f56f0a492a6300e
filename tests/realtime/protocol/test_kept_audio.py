"""Audio kept per turn and per response part is bounded: a back-end that streams without
end (a FastRTC handler answering continuously) must not grow a session without limit.
The first MAX_KEPT_AUDIO_MS are kept; lengths, commits and truncation count all of it."""

from __future__ import annotations

import base64

from helpers.session_harness import Harness, pcm

from realtime_sdk.realtime.protocol.conversation import MAX_KEPT_AUDIO_MS

KEPT_BYTES = 24000 * 2 * MAX_KEPT_AUDIO_MS // 1000  # 24 kHz pcm16


def test_a_long_turn_keeps_its_start_and_counts_the_rest() -> None:
    h = Harness()
    second = base64.b64encode(pcm(1000)).decode()
    h.send({"type": "session.update", "session": {"type": "realtime", "audio": {
        "input": {"turn_detection": None}}}})  # fmt: skip
    for _ in range(MAX_KEPT_AUDIO_MS // 1000 + 10):
        h.send({"type": "input_audio_buffer.append", "audio": second})
    assert len(h.session.input_buffer.kept) == KEPT_BYTES
    committed, _, done = h.send({"type": "input_audio_buffer.commit"})
    assert done["type"] == "conversation.item.done"
    item_id = committed["item_id"]
    stored = h.session.conversation.get(item_id)
    assert stored.audio_ms(0) == MAX_KEPT_AUDIO_MS + 10_000
    assert len(stored.audio[0]) == KEPT_BYTES
    assert len(h.session.input_buffer.kept) == 0 and h.session.input_buffer.unkept == 0
    [retrieved] = h.send({"type": "conversation.item.retrieve", "item_id": item_id})
    assert len(base64.b64decode(retrieved["item"]["content"][0]["audio"])) == KEPT_BYTES


def test_a_long_response_part_keeps_its_start_and_truncates_by_its_whole_length() -> None:
    h = Harness()
    response_id = h.start_response()
    for _ in range(MAX_KEPT_AUDIO_MS // 1000 + 10):
        h.session.response(response_id).audio(pcm(1000))
    h.drain()
    [item] = [i for i in h.session.conversation.items() if i.data.get("role") == "assistant"]
    assert len(item.audio[0]) == KEPT_BYTES
    assert item.audio_ms(0) == MAX_KEPT_AUDIO_MS + 10_000
    # a cut past what is kept: the length is the cut, the kept audio stays
    truncate = {"type": "conversation.item.truncate", "item_id": item.id, "content_index": 0}
    [ok] = h.send({**truncate, "audio_end_ms": MAX_KEPT_AUDIO_MS + 5_000})
    assert ok["type"] == "conversation.item.truncated"
    assert item.audio_ms(0) == MAX_KEPT_AUDIO_MS + 5_000 and len(item.audio[0]) == KEPT_BYTES
    # a cut inside it
    [ok] = h.send({**truncate, "audio_end_ms": MAX_KEPT_AUDIO_MS // 2})
    assert ok["type"] == "conversation.item.truncated"
    assert item.audio_ms(0) == MAX_KEPT_AUDIO_MS // 2 and len(item.audio[0]) == KEPT_BYTES // 2
