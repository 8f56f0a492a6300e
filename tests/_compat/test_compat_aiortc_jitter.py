"""The receive buffer for a peer's audio, fed real aiortc RTP packets as the receiver does."""

from __future__ import annotations

from collections.abc import Callable, Iterable

import pytest
from aiortc.jitterbuffer import JitterBuffer
from aiortc.rtp import RtpPacket

from realtime_sdk._compat.aiortc import AUDIO_PREFETCH, MAX_SPAN, AudioJitterBuffer

SAMPLES = 960  # 20 ms of Opus at 48 kHz: each packet's timestamp moves this much


def arrivals(count: int, lost: Iterable[int] = (), swapped: Iterable[int] = ()) -> list[int]:
    """Packet numbers in the order they arrive: `lost` never do, each of `swapped` comes
    after the packet that followed it."""
    order = list(range(count))
    for k in swapped:
        order[k], order[k + 1] = order[k + 1], order[k]
    gone = set(lost)
    return [n for n in order if n not in gone]


def behind(
    buffer: JitterBuffer | AudioJitterBuffer, order: list[int], first_seq: int = 0
) -> list[int]:
    """For each frame handed on: how many packets had arrived since it (0 = none)."""
    out = []
    for arrived, n in enumerate(order):
        packet = RtpPacket(
            payload_type=111, sequence_number=(first_seq + n) % 65536, timestamp=n * SAMPLES
        )
        packet._data = b"\xfc"  # what the buffer joins into the frame's data
        frame = buffer.add(packet)[1]
        if frame is not None:
            out.append(arrived - order.index(frame.timestamp // SAMPLES))
    return out


Aiortc = Callable[[], JitterBuffer]
AIORTC: Aiortc = lambda: JitterBuffer(capacity=16, prefetch=AUDIO_PREFETCH)  # noqa: E731


@pytest.mark.parametrize("first_seq", [0, 65530])  # and across the sequence number's wrap
def test_a_lost_packet_costs_a_few_frames_once_not_a_delay_for_good(first_seq: int) -> None:
    order = arrivals(300, lost=[20])
    ours = AudioJitterBuffer()
    lag = behind(ours, order, first_seq)
    assert lag[:19] == [1] * 19  # each frame leaves when the next packet arrives
    assert max(lag) <= MAX_SPAN and lag[-100:] == [1] * 100
    assert ours.dropped == 3  # the lost one and the two that waited behind it
    assert len(lag) == 299 - 3
    # aiortc's own buffer, prefetch alike: 14 packets (280 ms) late for the rest of the call
    assert behind(AIORTC(), order, first_seq)[-100:] == [14] * 100


def test_a_burst_of_losses_and_then_another() -> None:
    order = arrivals(300, lost=[*range(30, 35), 100])
    ours = AudioJitterBuffer()
    lag = behind(ours, order)
    assert lag[-100:] == [1] * 100 and max(lag) <= MAX_SPAN
    assert ours.dropped <= 6 + 2 * 2  # the lost six, and two waiting behind each gap at most


def test_reordered_packets_all_leave_in_order() -> None:
    order = arrivals(300, swapped=range(20, 280, 10))
    ours = AudioJitterBuffer()
    lag = behind(ours, order)
    assert ours.dropped == 0 and len(lag) == 299 - 1  # the last two wait for a next one
    # a swap leaves the queue one packet longer (one frame out per packet in), and 26 swaps
    # leave it no longer than one did
    assert max(lag) <= MAX_SPAN and max(lag[-100:]) <= max(lag[:40])
