"""The frame-echo workload on each system's wire: numbered 20 ms frames out, numbers back.

Every frame is a 24 kHz tone (loud enough that our adapter does not hold it back as
silence) whose first samples carry the frame's number, so the echo of each frame is
recognised without decoding more than a few base64 characters. The FastRTC format
carries mu-law, whose byte values survive decode + encode unchanged, so there the
number rides in the mu-law bytes instead.
"""

from __future__ import annotations

import audioop
import base64
import json
import uuid
from dataclasses import dataclass

import numpy as np

RATE = 24000
FRAME_MS = 20
SAMPLES = RATE * FRAME_MS // 1000
RING = 3000  # frame numbers repeat every 60 s; no echo is that late in a run that holds
_MU_DIGIT = 0x10  # mu-law bytes 0x10..0x73 decode and re-encode to themselves


def _tone(seq: int) -> np.ndarray:
    t = np.arange(SAMPLES) + seq * SAMPLES
    return (np.sin(2 * np.pi * 440 * t / RATE) * 3000).astype(np.int16)


@dataclass(frozen=True)
class Wire:
    """One system's messages: the opening ones, frame `seq mod RING`, and the reader."""

    system: str

    @property
    def is_fastrtc(self) -> bool:
        return self.system == "fastrtc"

    def hello(self) -> list[str]:
        if self.is_fastrtc:
            return [json.dumps({"event": "start", "websocket_id": uuid.uuid4().hex})]
        return []

    def frames(self) -> list[str]:
        out = []
        for seq in range(RING):
            samples = _tone(seq)
            if self.is_fastrtc:
                mu = bytearray(audioop.lin2ulaw(samples.tobytes(), 2))
                mu[0], mu[1] = _MU_DIGIT + seq // 100, _MU_DIGIT + seq % 100
                payload = base64.b64encode(bytes(mu)).decode()
                out.append(json.dumps({"event": "media", "media": {"payload": payload}}))
            else:
                samples[0] = seq
                audio = base64.b64encode(samples.tobytes()).decode()
                out.append(json.dumps({"type": "input_audio_buffer.append", "audio": audio}))
        return out

    def seq_of(self, message: str | bytes) -> int | None:
        """The number of the frame an echo carries, or None for any other message."""
        if isinstance(message, bytes):
            message = message.decode()
        key = '"payload"' if self.is_fastrtc else '"delta"'
        at = message.find(key)
        if at < 0:
            return None
        start = message.index('"', at + len(key)) + 1
        head = base64.b64decode(message[start : start + 4])
        if self.is_fastrtc:
            return (head[0] - _MU_DIGIT) * 100 + (head[1] - _MU_DIGIT)
        return int.from_bytes(head[:2], "little", signed=True)
