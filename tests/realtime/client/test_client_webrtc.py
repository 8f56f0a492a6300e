"""Our typed client over WebRTC against our own server (echo back-end, uvicorn on
127.0.0.1): the call is made over HTTP, events travel on `oai-events`, audio on RTP.
ICE gathers on 127.0.0.1 only, so nothing leaves loopback."""

from __future__ import annotations

import asyncio
import json
import statistics
import time
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import httpx
import numpy as np
import pytest
from helpers.paths import AUDIO_FIXTURES
from helpers.servers import Running, serve

import realtime_sdk
from realtime_sdk.app import ServerConfig
from realtime_sdk.audio import read_wav, resample
from realtime_sdk.backends.echo import EchoBackend
from realtime_sdk.client import IceConfig

FIXTURES = AUDIO_FIXTURES
KEY = "sk-test-client-webrtc"
LOOPBACK = IceConfig(loopback="only")
RATE = 48000


@pytest.fixture(scope="module")
def server() -> Iterator[Running]:
    with serve(ServerConfig(backend_factory=EchoBackend, api_keys=frozenset({KEY}))) as running:
        yield running


def said(text: str) -> dict[str, Any]:
    return {"type": "message", "role": "user", "content": [{"type": "input_text", "text": text}]}


def run(script: Callable[[], Awaitable[None]], timeout: float = 60) -> None:
    """Run a script on a fresh loop; afterwards the client must have left no task."""

    async def main() -> None:
        async with asyncio.timeout(timeout):
            await script()
        await asyncio.sleep(0.2)  # aiortc's own send callbacks finish
        left = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        assert left == [], left

    asyncio.run(main())


def call(server: Running, **kwargs: Any) -> Any:
    return realtime_sdk.connect(
        base_url=server.base_url,
        api_key=kwargs.pop("api_key", KEY),
        transport="webrtc",
        ice=LOOPBACK,
        **kwargs,
    )


def best_lag(heard: np.ndarray, sent: np.ndarray) -> tuple[int, float]:
    """Where `sent` sits in `heard` (cross-correlation) and the correlation there."""
    a, b = heard.astype(np.float64), sent.astype(np.float64)
    n = len(a) + len(b)
    spectrum = np.fft.irfft(np.fft.rfft(a, n) * np.conj(np.fft.rfft(b, n)), n)
    lag = int(np.argmax(spectrum[: len(a)]))
    part = a[lag : lag + len(b)]
    return lag, float(np.corrcoef(part, b[: len(part)])[0, 1])


def tones(audio: np.ndarray, rate: int = RATE) -> int:
    """How many separate tones (echo says a word as a 150 ms tone, then 50 ms of silence)."""
    frames = audio[: len(audio) // (rate // 100) * (rate // 100)].reshape(-1, rate // 100)
    loud = np.abs(frames).max(axis=1) > 2000
    return int(np.sum(loud[1:] & ~loud[:-1]) + loud[0]) if len(loud) else 0


def test_text_turn_heard_on_the_incoming_track(server: Running) -> None:
    async def main() -> None:
        seen: list[str] = []
        async with call(server) as conn:
            conn.on("*", lambda event: seen.append(event.type))
            created = await conn.wait_for("session.created", timeout=10)
            assert created.session.id.startswith("sess_")
            assert conn.transport.call_id.startswith("rtc_")
            await conn.conversation.item.create(item=said("one two three"))
            await conn.response.create()
            reply = await conn.reply(timeout=15)
            assert reply.done.response.status == "completed"
            assert reply.transcript == "one two three"
            assert reply.audio_rate == conn.output_rate == RATE
            seconds = len(reply.audio) / RATE
            print(f"heard {seconds:.3f} s for 3 words (0.55 s sent)")
            assert 0.45 < seconds < 0.75, seconds
            assert tones(reply.audio) == 3
            # the playback events come through; no audio deltas over WebRTC
            await conn.wait_for("output_audio_buffer.stopped", timeout=5)
            assert "output_audio_buffer.started" in seen
            assert "response.output_audio.delta" not in seen
            assert conn.state.transcript() == [
                ("user", "one two three"),
                ("assistant", "one two three"),
            ]
            # a text-only response has no audio to wait for
            await conn.session.update(session={"type": "realtime", "output_modalities": ["text"]})
            await conn.conversation.item.create(item=said("quiet now"))
            await conn.response.create()
            text = await conn.reply(timeout=5)
            assert (text.text, len(text.audio)) == ("quiet now", 0)

    run(main)


def test_audio_turn_through_the_outgoing_track(server: Running) -> None:
    rate, speech = read_wav(FIXTURES / "hello_world_16k.wav")
    manual = {"audio": {"input": {"turn_detection": None}}}

    async def main() -> None:
        async with call(server, session=manual) as conn:
            created = await conn.wait_for("session.created", timeout=10)
            assert created.session.audio.input.turn_detection is None  # the multipart session
            half = len(speech) // 2
            for start in range(0, half, rate // 10):  # numpy at 16 kHz, 100 ms a time
                await conn.append_audio(speech[start : min(start + rate // 10, half)], rate=rate)
            # then bytes in the session's input format (audio/pcm at 24 kHz)
            await conn.append_audio(resample(speech[half:], rate, 24000).tobytes())
            await conn.flush_audio()
            assert conn.audio_pending_s > 0.5  # played in real time, not sent at once
            await conn.audio_sent()
            assert conn.audio_pending_s == 0
            await asyncio.sleep(0.3)  # the last packets reach the server
            await conn.input_audio_buffer.commit()
            committed = await conn.wait_for("input_audio_buffer.committed", timeout=5)
            await conn.response.create()
            chunks = []

            async def collect() -> None:
                async for chunk in conn.audio_chunks():
                    chunks.append(chunk)

            collector = asyncio.create_task(collect())
            reply = await conn.reply(timeout=15)
            await asyncio.wait_for(collector, 5)
            item_id = reply.done.response.output[0].id
            assert {c.item_id for c in chunks} == {item_id}
            assert {c.response_id for c in chunks} == {reply.done.response.id}
            assert np.array_equal(np.concatenate([c.samples for c in chunks]), reply.audio)
            # the echo is the whole committed turn: the file (0.6 s of silence, 0.9 s of
            # speech, 0.55 s of silence) and the track's silence around it
            speech_only = resample(speech, rate, RATE)[int(0.6 * RATE) : int(1.45 * RATE)]
            lag, corr = best_lag(reply.audio, speech_only)
            seconds = len(reply.audio) / RATE
            print(f"echo: heard {seconds:.2f} s, speech {lag / RATE:.2f} s in, corr {corr:.3f}")
            assert corr > 0.8, corr
            assert 2.0 < seconds < 3.5
            # after the turn's padding and the track's silence before the reply reached it
            assert 0.2 < lag / RATE < seconds - 1.3
            assert committed.item_id != item_id

    run(main)


def test_tool_helper_over_webrtc(server: Running) -> None:
    async def main() -> None:
        async with call(server) as conn:
            await conn.wait_for("session.created", timeout=10)

            @conn.tool
            async def weather(city: str) -> dict[str, str]:
                """The weather in a city."""
                return {"city": city, "sky": "clear"}

            await conn.update_tools(output_modalities=["text"])
            await conn.wait_for("session.updated", timeout=5)
            await conn.conversation.item.create(item=said('call weather {"city": "Oslo"}'))
            await conn.response.create()
            first = await conn.reply(timeout=10)
            assert first.done.response.output[0].name == "weather"
            second = await conn.reply(timeout=10)
            assert json.loads(second.text) == {"city": "Oslo", "sky": "clear"}

    run(main)


def test_clear_truncates_at_what_was_heard(server: Running) -> None:
    words = " ".join(f"w{i}" for i in range(20))  # 4 s of tones

    async def main() -> None:
        async with call(server) as conn:
            await conn.wait_for("session.created", timeout=10)
            await conn.conversation.item.create(item=said(words))
            await conn.response.create()
            done = await conn.wait_for("response.done", timeout=10)
            item_id = done.response.output[0].id
            heard = 0
            async for chunk in conn.audio_chunks(done.response.id):
                heard += len(chunk.samples)
                if heard >= RATE:  # about a second in: stop it
                    await conn.output_audio_buffer.clear()
                    break
            truncated = await conn.wait_for("conversation.item.truncated", timeout=5)
            cleared = await conn.wait_for("output_audio_buffer.cleared", timeout=5)
            assert (truncated.item_id, cleared.response_id) == (item_id, done.response.id)
            await conn.wait_audio(done.response.id, timeout=5)
            heard_ms = len(conn.response_audio(done.response.id)) * 1000 // RATE
            print(f"server cut at {truncated.audio_end_ms} ms, client heard {heard_ms} ms")
            assert 900 < truncated.audio_end_ms < 2000
            assert abs(truncated.audio_end_ms - heard_ms) < 150
            assert conn.state.items[item_id].transcript == ""

    run(main)


def test_cancel_then_clear(server: Running) -> None:
    """A long reply, cancelled as soon as it starts playing, then its queued audio
    cleared (what an app does on barge-in): the response ends cancelled, the audio
    stops, and any cut is where the client stopped hearing it."""
    words = " ".join(f"w{i}" for i in range(650))  # 130 s: more than the player holds

    async def main() -> None:
        async with call(server) as conn:
            await conn.wait_for("session.created", timeout=10)
            await conn.conversation.item.create(item=said(words))
            await conn.response.create()
            started = await conn.wait_for("output_audio_buffer.started", timeout=20)
            await conn.response.cancel()
            done = await conn.wait_for("response.done", timeout=10)
            assert done.response.id == started.response_id
            assert done.response.status == "cancelled"
            assert done.response.status_details.reason == "client_cancelled"
            await conn.output_audio_buffer.clear()
            cut = None
            async for event in conn:  # a cut, if audio was still playing; then cleared
                if event.type == "conversation.item.truncated":
                    cut = event.audio_end_ms
                if event.type == "output_audio_buffer.cleared":
                    break
            await conn.wait_audio(done.response.id, timeout=5)
            heard_ms = len(conn.response_audio(done.response.id)) * 1000 // RATE
            print(f"cancelled: cut at {cut} ms, heard {heard_ms} ms")
            assert heard_ms < 5000  # not the 130 s asked for
            if cut is not None:
                assert abs(cut - heard_ms) < 150
            await conn.response.cancel()
            error = await conn.wait_for("error", timeout=5)
            assert error.error.code == "response_cancel_not_active"

    run(main, timeout=90)


def test_ephemeral_key_over_both_transports(server: Running) -> None:
    async def main() -> None:
        secret = await realtime_sdk.create_client_secret(
            base_url=server.base_url,
            api_key=KEY,
            session={"type": "realtime", "instructions": "from the key"},
        )
        key = secret["value"]
        assert key.startswith("ek_")
        async with call(server, api_key=key, model=None) as conn:
            created = await conn.wait_for("session.created", timeout=10)
            assert created.session.instructions == "from the key"
            await conn.conversation.item.create(item=said("hi"))
            await conn.response.create()
            assert (await conn.reply(timeout=10)).transcript == "hi"
        async with realtime_sdk.connect(base_url=server.base_url, api_key=key) as conn:
            created = await conn.wait_for("session.created", timeout=10)
            assert created.session.instructions == "from the key"
        with pytest.raises(httpx.HTTPStatusError) as refused:
            async with call(server, api_key="ek_not_a_real_key"):
                pass
        assert refused.value.response.status_code == 401
        # an ek_ key cannot mint keys
        with pytest.raises(httpx.HTTPStatusError) as forbidden:
            await realtime_sdk.create_client_secret(base_url=server.base_url, api_key=key)
        assert forbidden.value.response.status_code == 403

    run(main)


def test_close_hangs_up(server: Running) -> None:
    async def main() -> None:
        async with realtime_sdk.connect(
            url=f"{server.base_url}/realtime/calls",  # the offer's URL given whole
            api_key=KEY,
            transport="webrtc",
            ice=LOOPBACK,
        ) as conn:
            await conn.wait_for("session.created", timeout=10)
            call_id = conn.transport.call_id
        async with httpx.AsyncClient() as http:
            gone = await http.post(
                f"{server.base_url}/realtime/calls/{call_id}/hangup",
                headers={"Authorization": f"Bearer {KEY}"},
            )
        assert gone.status_code == 404  # the call had already ended

    run(main)


async def _time_to_session_created(open_conn: Callable[[], Any]) -> float:
    start = time.perf_counter()
    async with open_conn() as conn:
        await conn.wait_for("session.created", timeout=10)
        elapsed = time.perf_counter() - start
    return elapsed


def test_connect_to_session_created_time(server: Running) -> None:
    """Median of 10, each transport (the figure we report)."""

    async def main() -> None:
        figures = {}
        for transport in ("websocket", "webrtc"):

            def opener(transport: str = transport) -> Any:
                return (
                    call(server)
                    if transport == "webrtc"
                    else realtime_sdk.connect(base_url=server.base_url, api_key=KEY)
                )

            times = [await _time_to_session_created(opener) for _ in range(10)]
            figures[transport] = statistics.median(times)
            print(
                f"connect -> session.created over {transport}: median "
                f"{figures[transport] * 1000:.1f} ms, max {max(times) * 1000:.1f} ms"
            )
        assert figures["websocket"] < 2.0 and figures["webrtc"] < 5.0

    run(main, timeout=120)


def test_sync_client_over_webrtc(server: Running) -> None:
    from realtime_sdk import sync

    with sync.connect(
        base_url=server.base_url, api_key=KEY, transport="webrtc", ice=LOOPBACK
    ) as conn:
        conn.wait_for("session.created", timeout=10)
        conn.conversation.item.create(item=said("sync call"))
        conn.response.create()
        reply = conn.reply(timeout=15)
        assert reply.transcript == "sync call"
        assert tones(reply.audio) == 2 and conn.output_rate == RATE


def test_barge_in_while_the_reply_plays(server: Running) -> None:
    """Full duplex: the user speaks over a reply (server VAD on); the server clears what
    is unplayed, truncates at what was played, and answers the new turn."""
    rate, speech = read_wav(FIXTURES / "hello_world_16k.wav")
    words = " ".join(f"w{i}" for i in range(30))  # 6 s of tones

    async def main() -> None:
        async with call(server) as conn:
            await conn.wait_for("session.created", timeout=10)
            await conn.conversation.item.create(item=said(words))
            await conn.response.create()
            done = await conn.wait_for("response.done", timeout=10)
            first = done.response.id
            heard = 0
            async for chunk in conn.audio_chunks(first):
                heard += len(chunk.samples)
                if heard >= RATE:  # a second in, the user speaks
                    await conn.append_audio(speech, rate=rate)
                    break
            started = await conn.wait_for("input_audio_buffer.speech_started", timeout=10)
            truncated = await conn.wait_for("conversation.item.truncated", timeout=5)
            cleared = await conn.wait_for("output_audio_buffer.cleared", timeout=5)
            assert cleared.response_id == first
            assert truncated.item_id == done.response.output[0].id
            await conn.wait_audio(first, timeout=5)
            heard_ms = len(conn.response_audio(first)) * 1000 // RATE
            print(f"barge-in: cut at {truncated.audio_end_ms} ms, heard {heard_ms} ms")
            assert 1000 < truncated.audio_end_ms < 3000
            assert abs(truncated.audio_end_ms - heard_ms) < 150
            # the user's turn is answered with its own audio
            echo = await conn.reply(timeout=15)
            assert echo.done.response.id != first
            assert echo.done.response.output[0].id != started.item_id
            speech_only = resample(speech, rate, RATE)[int(0.6 * RATE) : int(1.45 * RATE)]
            _, corr = best_lag(echo.audio, speech_only)
            assert corr > 0.8, corr

    run(main)


def test_same_events_as_an_openai_python_sideband(server: Running) -> None:
    """openai-python attaches to our call (`realtime.connect(call_id=...)`) and drives a
    turn; our client, on the data channel, sees the same event types in the same order."""
    from openai import AsyncOpenAI

    async def main() -> None:
        async with call(server) as conn:
            await conn.wait_for("session.created", timeout=10)
            openai = AsyncOpenAI(base_url=server.base_url, api_key=KEY)
            async with openai.realtime.connect(call_id=conn.transport.call_id) as sideband:
                await sideband.conversation.item.create(item=said("both of us"))  # type: ignore[arg-type]
                await sideband.response.create()
                theirs = []
                async for event in sideband:
                    theirs.append(event.type)
                    if event.type == "output_audio_buffer.stopped":
                        break
            ours = []
            async for event in conn:
                ours.append(event.type)
                if event.type == "output_audio_buffer.stopped":
                    break
            assert ours == theirs
            assert theirs[0] == "conversation.item.added" and "response.done" in theirs

    run(main)


def test_an_app_that_stops_reading_events_ends_the_call(server: Running) -> None:
    """Events have no back-pressure on a data channel: past a bound the client hangs up
    rather than grow without end."""
    from realtime_sdk import _compat
    from realtime_sdk.client import ConnectionClosedError, RealtimeConnection
    from realtime_sdk.transports.webrtc.client import WebRTCClientTransport

    async def main() -> None:
        _compat.apply()  # what connect() does first
        rtc = await WebRTCClientTransport.dial(
            f"{server.base_url}/realtime/calls",
            headers={"Authorization": f"Bearer {KEY}"},
            ice=LOOPBACK,
        )
        conn = RealtimeConnection(rtc, max_pending_events=20)
        try:
            await conn.session.update(session={"type": "realtime", "output_modalities": ["text"]})
            for _ in range(5):  # 5 turns, about 10 events each, none of them read
                await conn.conversation.item.create(item=said("unread"))
                await conn.response.create()
            while not rtc.ended:  # the events pile up unread until the bound
                await asyncio.sleep(0.05)
            kinds = []
            with pytest.raises(ConnectionClosedError):
                while True:
                    kinds.append((await asyncio.wait_for(conn.recv(), 10)).type)
            assert len(kinds) == 20 and kinds[0] == "session.created"
        finally:
            await conn.close()

    run(main)
