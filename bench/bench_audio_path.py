"""The conversions one 20 ms frame goes through between a WebRTC call and a back-end, the
way they were and the way they are: CPU per frame, nothing else on the path.

Not a test. Each path is written out with today's audio pieces, once in the order the driver
used to call them (through the session's 24 kHz PCM and back) and once in today's order (the
back-end's and the player's samples as they came, the session's bytes beside them), and the
two are timed in turns, best of a few runs each:

- in, 48 kHz handler: the decoder's 48 kHz stereo frame -> the session's bytes and the
  handler's 48 kHz frame (was: 48k -> 24k -> 48k);
- in, 24 kHz handler: heard at 24 kHz by the transport -> the session's bytes and the
  handler's frame (was: the bytes decoded back);
- out, 48 kHz handler: the handler's 20 ms -> the session's bytes and the player's 48 kHz
  samples, one 20 ms frame taken out for the track (was: bytes decoded, 24k -> 48k again);
- out, 24 kHz back-end: the same from 24 kHz (was: the bytes decoded back).

Run: python bench/bench_audio_path.py
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

import numpy as np
from av import AudioFrame

from realtime_sdk.audio import PCM24K, WireDecoder, WireEncoder, decode, to_fastrtc_frame
from realtime_sdk.transports.base import AudioTag
from realtime_sdk.transports.webrtc.peer_audio import PeerAudio, input_frame
from realtime_sdk.transports.webrtc.playout import PlayoutBuffer

RUNS = 5
FRAMES = 400  # per run: a fresh stream state each run, as a call would have


def tone(rate: int, n: int, start: int = 0) -> np.ndarray:
    t = (np.arange(n) + start) / rate
    return (5000 * np.sin(2 * np.pi * 440 * t)).astype(np.int16)


def decoded_frames(count: int) -> list[AudioFrame]:
    """What aiortc's Opus decoder gives: 20 ms of 48 kHz stereo s16, packed."""
    frames = []
    for k in range(count):
        both = np.repeat(tone(48000, 960, 960 * k), 2).reshape(1, -1)
        frame = AudioFrame.from_ndarray(both, format="s16", layout="stereo")
        frame.sample_rate = 48000
        frames.append(frame)
    return frames


def frames_for(samples: np.ndarray, rate: int) -> list[Any]:
    step = rate // 50
    return [to_fastrtc_frame(samples[i : i + step], rate) for i in range(0, len(samples), step)]


# -- in: peer -> session bytes + handler frames ------------------------------------------


def in_48k_before() -> Callable[[AudioFrame], Any]:
    hearing, mic, receiver = PeerAudio(24000), WireEncoder(24000, PCM24K), None

    def step(frame: AudioFrame) -> Any:
        nonlocal receiver
        heard = hearing.convert(frame)
        data = mic.process(heard.samples)
        receiver = receiver or WireDecoder(PCM24K, 48000)
        return data, frames_for(receiver.process(data), 48000)

    return step


def in_48k_after() -> Callable[[AudioFrame], Any]:
    mic = WireEncoder(48000, PCM24K)

    def step(frame: AudioFrame) -> Any:
        heard = input_frame(frame)
        return mic.process(heard.samples), frames_for(heard.samples, 48000)

    return step


def in_24k_before() -> Callable[[AudioFrame], Any]:
    hearing, mic, receiver = (
        PeerAudio(24000),
        WireEncoder(24000, PCM24K),
        WireDecoder(PCM24K, 24000),
    )

    def step(frame: AudioFrame) -> Any:
        data = mic.process(hearing.convert(frame).samples)
        return data, frames_for(receiver.process(data), 24000)

    return step


def in_24k_after() -> Callable[[AudioFrame], Any]:
    hearing, mic = PeerAudio(24000), WireEncoder(24000, PCM24K)

    def step(frame: AudioFrame) -> Any:
        heard = hearing.convert(frame)
        return mic.process(heard.samples), frames_for(heard.samples, 24000)

    return step


# -- out: back-end audio -> session bytes + the player --------------------------------------

TAG = AudioTag("resp_1", "item_1")


def out_before(rate: int) -> Callable[[np.ndarray], Any]:
    encoder, player = WireEncoder(rate, PCM24K), PlayoutBuffer(lambda notice: None)

    def step(chunk: np.ndarray) -> Any:
        data = encoder.process(chunk)
        player.push(decode(data, PCM24K), 24000, TAG)
        return data, player.take(960)

    return step


def out_after(rate: int) -> Callable[[np.ndarray], Any]:
    encoder, player = WireEncoder(rate, PCM24K), PlayoutBuffer(lambda notice: None)

    def step(chunk: np.ndarray) -> Any:
        data = encoder.process(chunk)
        player.push(chunk.copy(), rate, TAG)
        return data, player.take(960)

    return step


def per_frame_us(make: Callable[[], Callable[[Any], Any]], inputs: list[Any]) -> float:
    """Best of RUNS: CPU microseconds per frame, a fresh path (stream state) each run."""
    best = float("inf")
    for _ in range(RUNS):
        step = make()
        step(inputs[0])  # the first frame makes the resamplers
        t0 = time.process_time()
        for item in inputs[1:]:
            step(item)
        best = min(best, (time.process_time() - t0) / (len(inputs) - 1) * 1e6)
    return best


def main() -> None:
    peer = decoded_frames(FRAMES)
    out48 = [tone(48000, 960, 960 * k) for k in range(FRAMES)]
    out24 = [tone(24000, 480, 480 * k) for k in range(FRAMES)]
    paths = [
        ("in, 48 kHz handler", in_48k_before, in_48k_after, peer),
        ("in, 24 kHz handler", in_24k_before, in_24k_after, peer),
        ("out, 48 kHz handler", lambda: out_before(48000), lambda: out_after(48000), out48),
        ("out, 24 kHz back-end", lambda: out_before(24000), lambda: out_after(24000), out24),
    ]
    print(f"WebRTC frame paths: CPU per 20 ms frame, best of {RUNS} runs of {FRAMES} frames")
    print("  {:<24} {:>10} {:>10} {:>7}".format("", "before", "after", "ratio"))
    for name, before, after, inputs in paths:
        b = min(per_frame_us(before, inputs) for _ in range(2))
        a = min(per_frame_us(after, inputs) for _ in range(2))
        print(f"  {name:<24} {b:7.1f} us {a:7.1f} us {a / b:7.2f}")


if __name__ == "__main__":
    main()
