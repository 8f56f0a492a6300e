"""The WebRTC transport against a real aiortc peer over 127.0.0.1.

The server side is what `POST /v1/realtime/calls` builds (transport, Session over
"webrtc", driver, echo back-end) without the HTTP; the client is `rtc_peer.RtcClient`,
plain aiortc behaving like a browser (offer without candidates, `oai-events`).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import numpy as np
import pytest
from helpers.paths import AUDIO_FIXTURES
from helpers.rtc_peer import RATE, Heard, RtcClient, rms, run, speech_48k

from realtime_sdk import _compat
from realtime_sdk.backends.echo import EchoBackend
from realtime_sdk.realtime.protocol.session import Session
from realtime_sdk.realtime.server.driver import SessionDriver
from realtime_sdk.transports.base import InputFrame
from realtime_sdk.transports.webrtc.ice import IceConfig
from realtime_sdk.transports.webrtc.limits import Limits
from realtime_sdk.transports.webrtc.transport import WebRTCTransport
from realtime_sdk.vad import SileroSpeechModel

FIXTURES = AUDIO_FIXTURES
LOOPBACK = IceConfig(loopback="only")


@pytest.fixture(autouse=True, scope="module")
def _patched_as_a_server_starts() -> None:
    """What `create_app` does first: aiortc's and aioice's patches (`_compat`)."""
    _compat.apply()


@dataclass
class Call:
    client: RtcClient
    server: WebRTCTransport
    session: Session


@asynccontextmanager
async def call(codecs: tuple[str, ...] = (), limits: Limits | None = None) -> AsyncIterator[Call]:
    """A connected call; on exit both ends are closed and no task may be left."""
    client = RtcClient(codecs)
    server = await WebRTCTransport.answer(await client.offer(), LOOPBACK, limits=limits)
    session = Session(speech_model=SileroSpeechModel(), transport="webrtc")
    driver = asyncio.create_task(SessionDriver(server, session, EchoBackend()).run())
    await client.accept(server.local_sdp)
    try:
        await client.wait_for("session.created")
        yield Call(client, server, session)
    finally:
        await client.close()
        await asyncio.wait_for(driver, 10)
        await server.close()
        await asyncio.sleep(0.1)  # aiortc's own send callbacks finish
        left = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        assert left == [], left


def best_lag(heard: np.ndarray, sent: np.ndarray) -> tuple[int, float]:
    """Where `sent` sits in `heard` (cross-correlation) and the correlation there."""
    a = heard.astype(np.float64)
    b = sent.astype(np.float64)
    n = len(a) + len(b)
    spectrum = np.fft.irfft(np.fft.rfft(a, n) * np.conj(np.fft.rfft(b, n)), n)
    lag = int(np.argmax(spectrum[: len(a)]))
    part = a[lag : lag + len(b)]
    corr = float(np.corrcoef(part, b[: len(part)])[0, 1])
    return lag, corr


@pytest.mark.parametrize("codec", ["audio/opus", "audio/PCMU"])
def test_audio_turn_over_rtp_with_server_vad(codec: str) -> None:
    """Speech in over RTP, server VAD, the echo back over RTP; G.711 when that is all
    the offer allows."""
    voice = speech_48k(FIXTURES / "hello_world_16k.wav", tail_s=1.5)

    async def main() -> None:
        async with call((codec,)) as c:
            assert f"{codec.split('/')[1]}/" in c.server.local_sdp
            assert c.client.types()[0] == "session.created"
            c.client.mic.say(voice)
            stopped = await c.client.wait_for("output_audio_buffer.stopped", 20)
            types = c.client.types()
            turn = [
                "session.created",
                "input_audio_buffer.speech_started",
                "input_audio_buffer.speech_stopped",
                "input_audio_buffer.committed",
                "response.created",
                "response.content_part.added",
                "response.done",
                "output_audio_buffer.stopped",
            ]
            playback = ["response.content_part.added", "output_audio_buffer.started"]
            for chain in (turn, playback, ["output_audio_buffer.started", *turn[-1:]]):
                positions = [types.index(kind) for kind in chain]
                assert positions == sorted(positions), types
            assert "response.output_audio.delta" not in types
            started = await c.client.wait_for("output_audio_buffer.started")
            response_id = started["response_id"]
            assert stopped["response_id"] == response_id
            end_ms = (await c.client.wait_for("input_audio_buffer.speech_stopped"))["audio_end_ms"]

            # the reply is the committed turn, played in real time, back over Opus
            t0, t1 = c.client.time_of(started), c.client.time_of(stopped)
            assert abs((t1 - t0) * 1000 - end_ms) < 250, (t1 - t0, end_ms)
            heard = c.client.audio_between(t0 - 0.2, t1 + 0.5)
            speech = voice[int(0.5 * RATE) : int(1.5 * RATE)]  # "hello world" itself
            lag, corr = best_lag(heard, speech)
            level = rms(heard[lag : lag + len(speech)]) / rms(speech)
            print(f"reply {t1 - t0:.3f} s for {end_ms} ms; corr {corr:.3f}, level {level:.2f}")
            assert corr > (0.8 if codec == "audio/opus" else 0.6), corr
            assert c.client.rates == {48000 if codec == "audio/opus" else 8000}
            assert c.server.hearing_rate == 24000  # the session's rate: converted once
            # the echo comes back at the level it arrived at: aiortc's mono peer loses 3 dB on
            # its way in (its Opus encoder's upmix), our stereo track nothing on the way out
            expected = 0.71 if codec == "audio/opus" else 1.0
            assert abs(level - expected) < 0.1, level

    run(main)


def words(n: int) -> str:
    return " ".join(f"w{i % 7}" for i in range(n))  # echo: 200 ms of tone and silence a word


def say_text(client: RtcClient, text: str) -> None:
    client.send({"type": "conversation.item.create", "item": {"type": "message", "role": "user",
                 "content": [{"type": "input_text", "text": text}]}})  # fmt: skip
    client.send({"type": "response.create"})


def voiced(frames: list[Heard], floor: float = 300.0) -> list[Heard]:
    return [h for h in frames if rms(h.samples) > floor]


def test_output_is_paced_by_the_audio_clock() -> None:
    """A 10 s reply made all at once arrives in real time: no burst, no falling behind."""

    async def main() -> None:
        async with call() as c:
            say_text(c.client, words(50))
            started = await c.client.wait_for("output_audio_buffer.started")
            stopped = await c.client.wait_for("output_audio_buffer.stopped", 20)
            t0, t1 = c.client.time_of(started), c.client.time_of(stopped)
            frames = [h for h in c.client.heard if t0 - 0.1 <= h.at <= t1 + 0.2]
            tones = voiced(frames)
            first, last = frames.index(tones[0]), frames.index(tones[-1])
            # frame k of the reply should arrive k * 20 ms after the first one: fit a line to
            # the arrival times; its slope gives the drift (one late first frame does not)
            index = np.arange(last - first + 1)
            arrived = np.array([frames[k].at for k in range(first, last + 1)])
            slope, offset = np.polyfit(index, arrived, 1)
            drift = (slope - 0.02) * len(index)  # over the whole reply
            jitter = arrived - (offset + slope * index)
            audio_s = len(index) * 0.02
            track = c.server.track
            # read the clock just after the track hands out a frame: read at any other moment,
            # a deadline may have passed while this coroutine held the loop, not the track
            track.pulled.clear()
            await track.pulled.wait()
            ahead = track.sent / RATE - (asyncio.get_running_loop().time() - track.started_at)
            print(
                f"reply {audio_s:.2f} s of audio over {t1 - t0:.2f} s;"
                f" drift {drift * 1000:+.1f} ms, arrival jitter {np.abs(jitter).max() * 1000:.1f}"
                f" ms; server clock {ahead * 1000:+.1f} ms ahead, {track.resyncs} restarts"
            )
            assert 9.7 < audio_s < 10.1, audio_s
            assert abs(drift) < 0.05, drift
            # a burst would put many frames early; one stall of the shared machine moves a few
            assert np.percentile(np.abs(jitter), 98) < 0.1
            assert abs((t1 - t0) - 10.0) < 0.3, t1 - t0
            # on the next frame's deadline: never ahead by more, behind by less than a frame
            assert -0.02 < ahead <= 0.021, ahead
            assert track.resyncs == 0

    run(main)


def test_barge_in_clears_unplayed_audio_and_truncates_at_what_was_played() -> None:
    interruption = speech_48k(FIXTURES / "hello_world_16k.wav")

    async def main() -> None:
        async with call() as c:
            say_text(c.client, words(40))  # an 8 s reply
            started = await c.client.wait_for("output_audio_buffer.started")
            done = await c.client.wait_for("response.done")
            item_id = done["response"]["output"][0]["id"]
            await asyncio.sleep(1.0)
            c.client.mic.say(interruption)
            truncated = await c.client.wait_for("conversation.item.truncated", 10)
            cleared = await c.client.wait_for("output_audio_buffer.cleared")
            types = c.client.types()
            assert types.index("input_audio_buffer.speech_started") < types.index(
                "conversation.item.truncated"
            )
            assert types.index("conversation.item.truncated") < types.index(
                "output_audio_buffer.cleared"
            )
            assert cleared["response_id"] == started["response_id"]
            assert (truncated["item_id"], truncated["content_index"]) == (item_id, 0)
            assert "output_audio_buffer.stopped" not in types
            # truncated at what went out: the reply audio the client got, counting the frames
            # still in flight (in its jitter buffer) when `cleared` arrived on the data channel
            await asyncio.sleep(0.5)
            t0, t_cut = c.client.time_of(started), c.client.time_of(cleared)
            reply = voiced([h for h in c.client.heard if t0 - 0.1 <= h.at <= t_cut + 0.3])
            sent_ms = (reply[-1].at - reply[0].at) * 1000 + 20
            print(f"truncated at {truncated['audio_end_ms']} ms; client got {sent_ms:.0f} ms")
            assert 1000 <= truncated["audio_end_ms"] < 8000
            # a cut in a word's 50 ms pause reads short here; frames arrive +-20 ms
            assert sent_ms - 40 <= truncated["audio_end_ms"] <= sent_ms + 100
            assert c.session.conversation.get(item_id).audio_ms(0) == truncated["audio_end_ms"]
            # and the rest of the reply is not played
            after = [h for h in c.client.heard if h.at > t_cut + 0.3]
            assert after and max(rms(h.samples) for h in after) < 300

    run(main)


def test_client_clear_and_transport_only_events() -> None:
    async def main() -> None:
        async with call() as c:
            say_text(c.client, words(20))
            started = await c.client.wait_for("output_audio_buffer.started")
            await asyncio.sleep(0.5)
            mark = len(c.client.events)
            c.client.send({"type": "output_audio_buffer.clear", "event_id": "evt_clear"})
            truncated = await c.client.wait_for("conversation.item.truncated", after=mark)
            cleared = await c.client.wait_for("output_audio_buffer.cleared", after=mark)
            assert cleared["response_id"] == started["response_id"]
            assert 300 <= truncated["audio_end_ms"] <= 1000
            # no appends over WebRTC: audio comes over RTP
            mark = len(c.client.events)
            c.client.send({"type": "input_audio_buffer.append", "audio": "AAAA", "event_id": "e1"})
            error = await c.client.wait_for("error", after=mark)
            assert error["error"]["code"] == "invalid_event"
            assert error["error"]["event_id"] == "e1"
            # a clear with nothing playing is still answered
            mark = len(c.client.events)
            c.client.send({"type": "output_audio_buffer.clear"})
            again = await c.client.wait_for("output_audio_buffer.cleared", after=mark)
            assert again["response_id"] == started["response_id"]

    run(main)


def test_a_back_end_ahead_of_playback_waits_and_barge_in_cancels_it() -> None:
    """With room for 1 s of audio, a 10 s reply is still being made while it plays:
    speech then cancels the response (turn_detected) as well as clearing the audio."""
    interruption = speech_48k(FIXTURES / "hello_world_16k.wav")

    async def main() -> None:
        async with call(limits=Limits(max_buffered_s=1.0)) as c:
            say_text(c.client, words(50))
            await c.client.wait_for("output_audio_buffer.started")
            await asyncio.sleep(2.0)
            assert c.server.buffer.buffered <= 1.5 * RATE  # held back, not all made at once
            assert c.session.active is not None
            c.client.mic.say(interruption)
            truncated = await c.client.wait_for("conversation.item.truncated", 10)
            done = await c.client.wait_for("response.done")
            await c.client.wait_for("output_audio_buffer.cleared")
            assert done["response"]["status"] == "cancelled"
            assert done["response"]["status_details"]["reason"] == "turn_detected"
            assert 2000 <= truncated["audio_end_ms"] < 4000

    run(main)


def test_the_server_hears_each_packet_one_packet_later() -> None:
    """Audio reaches the session a packet (20 ms) after it left the peer, not the 80 ms
    aiortc's audio receiver holds by default (_compat/aiortc.py)."""
    burst = (np.sin(np.arange(4800) * 2 * np.pi * 440 / RATE) * 8000).astype(np.int16)
    period = np.concatenate([burst, np.zeros(19200, dtype=np.int16)])  # 0.1 s on, 0.4 s off

    async def main() -> None:
        client = RtcClient()
        server = await WebRTCTransport.answer(await client.offer(), LOOPBACK)
        await client.accept(server.local_sdp)

        async def heard() -> InputFrame:
            while not isinstance(got := await asyncio.wait_for(server.recv(), 10), InputFrame):
                pass
            return got

        try:
            await heard()  # connected, the microphone's silence arriving
            first = len(client.mic.left_at)  # the next frame it sends starts the bursts
            client.mic.say(np.tile(period, 5))
            onsets: list[float] = []
            loud = False
            while len(onsets) < 5:
                level = rms((await heard()).samples)
                if level > 1000 and not loud:
                    onsets.append(asyncio.get_running_loop().time())
                loud = level > 1000
            sent = [client.mic.left_at[first + k * 25] for k in range(5)]  # 25 frames: 0.5 s
            delays = [at - left for at, left in zip(onsets, sent, strict=True)]
            print("heard after", [f"{d * 1000:.0f} ms" for d in delays])
            assert float(np.median(delays)) < 0.055, delays  # aiortc's default: ~90 ms
        finally:
            await client.close()
            await server.close()
            await asyncio.sleep(0.1)

    run(main)


def test_the_same_transport_class_is_the_client_end() -> None:
    """`WebRTCTransport.offer()` + `accept()`: events from recv(), our speech out with
    send_audio(), the reply's audio back from recv() as InputFrames."""
    voice = speech_48k(FIXTURES / "hello_world_16k.wav", tail_s=1.5)

    async def main() -> None:
        client = await WebRTCTransport.offer(LOOPBACK)
        server = await WebRTCTransport.answer(client.local_sdp, LOOPBACK)
        session = Session(speech_model=SileroSpeechModel(), transport="webrtc")
        driver = asyncio.create_task(SessionDriver(server, session, EchoBackend()).run())
        await client.accept(server.local_sdp)
        try:
            assert json.loads(str(await client.recv()))["type"] == "session.created"
            await client.send_audio(voice, RATE, None)
            kinds: list[str] = []
            loud = 0
            while "output_audio_buffer.stopped" not in kinds:
                got = await client.recv()
                if isinstance(got, InputFrame):
                    loud += rms(got.samples) > 300
                elif isinstance(got, str):
                    kinds.append(json.loads(got)["type"])
            assert "input_audio_buffer.speech_started" in kinds
            assert loud * 0.02 > 0.5  # over half a second of the echoed speech came back
        finally:
            await client.close()
            await asyncio.wait_for(driver, 10)
            await server.close()

    run(main)


def test_a_sideband_faster_than_the_session_is_slowed_not_the_call_ended() -> None:
    """Injected events past half the event limit wait for the session to take some;
    every one arrives, in order, and the call is still up."""

    async def main() -> None:
        async with call(limits=Limits(max_events=8)) as c:
            sent = [
                json.dumps({"type": "input_audio_buffer.clear", "event_id": f"s{i}"})
                for i in range(40)
            ]

            async def sideband() -> None:
                for text in sent:
                    await c.server.inject(text)

            await asyncio.wait_for(sideband(), 20)

            def cleared() -> int:
                return c.client.types().count("input_audio_buffer.cleared")

            async def answered(count: int) -> None:
                while cleared() < count:
                    await asyncio.sleep(0.02)

            await asyncio.wait_for(answered(40), 20)
            assert c.server.connected and c.client.channel.readyState == "open"
            c.client.send({"type": "input_audio_buffer.clear"})  # the peer's own events too
            await asyncio.wait_for(answered(41), 5)

    run(main)
