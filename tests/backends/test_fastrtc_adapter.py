"""FastRTC handlers (the real fastrtc classes) served end to end: a client sends JSON events over a
MemoryTransport to SessionDriver + Session, which run the handler through FastRTCBackend (or a reply
function through ReplyFunctionResponder).

Speech: tests/fixtures/audio/fastrtc-how-are-you-24k.wav (espeak-ng; fastrtc-README.md there).
Audio out is compared with audio in by normalized cross-correlation at the best lag, since every
path resamples (24 kHz wire <-> the handler's rates).
"""

from __future__ import annotations

import asyncio
import base64
import threading
import time
from collections import Counter, deque
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any

import numpy as np
import pytest
from helpers.memory_session import EventClient, drive
from helpers.need import need
from helpers.paths import AUDIO_FIXTURES

from realtime_sdk.audio import PCMU, encode, read_wav, resample
from realtime_sdk.backends.fastrtc import FastRTCBackend, RealtimeMessage, ReplyFunctionResponder

try:
    import fastrtc
except ImportError:
    fastrtc = None

try:
    from realtime_sdk.backends.fastrtc import LocalPauseDetectionModel
    from realtime_sdk.vad import SileroSpeechModel
except ImportError:  # written concurrently; ReplyOnPause tests need it
    LocalPauseDetectionModel = SileroSpeechModel = None  # type: ignore[assignment,misc]

FIXTURE = AUDIO_FIXTURES
SPEECH = FIXTURE / "fastrtc-how-are-you-24k.wav"
RATE = 24000
FRAME = RATE // 50  # 20 ms, as clients append
NO_VAD = {"audio": {"input": {"turn_detection": None}}}
RESPONSE_SHAPE = [
    "response.created",
    "response.output_item.added",
    "conversation.item.added",
    "response.content_part.added",
    "response.output_audio.delta",
    "response.output_audio.done",
    "response.output_audio_transcript.done",
    "response.content_part.done",
    "response.output_item.done",
    "conversation.item.done",
    "response.done",
]


@pytest.fixture
def fr() -> Any:
    need(fastrtc is not None, "fastrtc is not installed (pip install 'realtime-sdk[fastrtc]')")
    return fastrtc


@pytest.fixture
def local_vad() -> Any:
    need(LocalPauseDetectionModel is not None, "LocalPauseDetectionModel missing")
    return LocalPauseDetectionModel()


# -- a client, a server, and what to compare ----------------------------------------------------


class Client(EventClient):
    timeout = 10.0


Script = Callable[[Client], Awaitable[None]]


def serve(
    backend: Callable[[], Any],
    script: Script,
    sessions: int = 1,
    channel_size: int = 0,
    **session: Any,
) -> None:
    """Run `sessions` concurrent sessions, each with a fresh back-end, then check that no task
    and no thread outlived them. `channel_size`: frames in flight each way (0: no limit), as
    a socket's buffers would hold."""
    threads = set(threading.enumerate())

    async def one() -> None:
        await drive(backend(), script, Client, channel_size=channel_size, **session)

    async def main() -> None:
        await asyncio.gather(*(one() for _ in range(sessions)))
        leftovers = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        assert leftovers == [], leftovers

    asyncio.run(main())
    assert set(threading.enumerate()) == threads


def speech() -> np.ndarray:
    rate, samples = read_wav(SPEECH)
    assert rate == RATE
    return samples


def silence(ms: int) -> np.ndarray:
    return np.zeros(RATE * ms // 1000, dtype=np.int16)


def audio_out(events: list[dict[str, Any]]) -> np.ndarray:
    data = b"".join(
        base64.b64decode(e["delta"]) for e in events if e["type"] == "response.output_audio.delta"
    )
    return np.frombuffer(data, dtype="<i2").astype(np.int16)


def best_ncc(a: np.ndarray, b: np.ndarray) -> float:
    """Normalized cross-correlation of the shorter signal against the longer, at the best lag."""
    x, y = a.astype(np.float64), b.astype(np.float64)
    if len(x) > len(y):
        x, y = y, x
    assert len(x) > 0, "no audio"
    size = 1 << (len(x) + len(y)).bit_length()
    corr = np.fft.irfft(np.fft.rfft(y, size) * np.conj(np.fft.rfft(x, size)), size)
    corr = corr[: len(y) - len(x) + 1]
    energy = np.concatenate([[0.0], np.cumsum(y * y)])
    window = np.sqrt(np.maximum(energy[len(x) :] - energy[: -len(x)], 1e-9))
    return float((corr / (np.linalg.norm(x) * window)).max())


def shape(events: list[dict[str, Any]]) -> list[str]:
    """Event types with runs of the same type (deltas) collapsed to one."""
    out: list[str] = []
    for event in events:
        if not out or out[-1] != event["type"]:
            out.append(event["type"])
    return out


def from_response(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    start = next(i for i, e in enumerate(events) if e["type"] == "response.created")
    return events[start:]


# -- handlers, with the real fastrtc base classes ----------------------------------------------

if fastrtc is not None:

    class SyncEcho(fastrtc.StreamHandler):
        """receive stores frames, emit returns them; counts its lifecycle calls."""

        def __init__(self, counts: Counter[str], rate: int = 16000) -> None:
            super().__init__(input_sample_rate=rate, output_sample_rate=rate)
            self.counts = counts
            self.frames: deque[tuple[int, np.ndarray]] = deque()

        def receive(self, frame: tuple[int, np.ndarray]) -> None:
            rate, array = frame
            assert rate == self.input_sample_rate
            assert array.dtype == np.int16 and array.ndim == 2 and array.shape[0] == 1
            assert threading.current_thread() is not threading.main_thread()
            self.counts["receive"] += 1
            self.frames.append(frame)

        def emit(self) -> Any:
            self.counts["emit"] += 1
            return self.frames.popleft() if self.frames else None

        def copy(self) -> SyncEcho:
            self.counts["copy"] += 1
            return SyncEcho(self.counts, self.input_sample_rate)

        def start_up(self) -> None:
            self.counts["start_up"] += 1

        def shutdown(self) -> None:
            self.counts["shutdown"] += 1

    class AsyncEcho(fastrtc.AsyncStreamHandler):
        """The same echo as coroutines; emit awaits its queue (nothing to poll)."""

        def __init__(self, counts: Counter[str], rate: int = 48000) -> None:
            super().__init__(input_sample_rate=rate, output_sample_rate=rate)
            self.counts = counts
            self.queue: asyncio.Queue[tuple[int, np.ndarray]] = asyncio.Queue()

        async def receive(self, frame: tuple[int, np.ndarray]) -> None:
            await self.queue.put(frame)

        async def emit(self) -> Any:
            return await self.queue.get()

        def copy(self) -> AsyncEcho:
            self.counts["copy"] += 1
            return AsyncEcho(self.counts, self.input_sample_rate)

        async def start_up(self) -> None:
            self.counts["start_up"] += 1

        async def shutdown(self) -> None:  # type: ignore[override]
            self.counts["shutdown"] += 1

    class AsyncPollingEcho(AsyncEcho):
        """An async emit() that returns None at once when it has nothing (no awaiting), and
        fails once on its second frame: the adapter must back off, log, and go on."""

        async def emit(self) -> Any:
            self.counts["emit"] += 1
            if self.queue.empty():
                return None
            frame = self.queue.get_nowait()
            self.counts["frames"] += 1
            if self.counts["frames"] == 2:
                raise RuntimeError("emit failed once")
            return frame

        def copy(self) -> AsyncPollingEcho:
            self.counts["copy"] += 1
            return AsyncPollingEcho(self.counts, self.input_sample_rate)

    class Closing(SyncEcho):
        """Echoes the first frame it hears, then closes the stream."""

        def emit(self) -> Any:
            if not self.frames:
                return None
            return self.frames.popleft(), fastrtc.CloseStream("done talking")

        def copy(self) -> Closing:
            self.counts["copy"] += 1
            return Closing(self.counts, self.input_sample_rate)

    class CountingReplyOnPause(fastrtc.ReplyOnPause):
        """ReplyOnPause itself, counting copy/start_up/shutdown."""

        counts: Counter[str]

        def copy(self) -> CountingReplyOnPause:
            self.counts["copy"] += 1
            other = CountingReplyOnPause(
                self.fn, model=self.model, input_sample_rate=self.input_sample_rate
            )
            other.counts = self.counts
            return other

        def start_up(self) -> None:
            self.counts["start_up"] += 1
            super().start_up()

        def shutdown(self) -> None:
            self.counts["shutdown"] += 1


def echo_reply(audio: tuple[int, np.ndarray]) -> Iterator[Any]:
    """A ReplyOnPause reply function that says back what it heard, with transcripts."""
    rate, samples = audio
    yield RealtimeMessage.user_transcript("how are you doing today")
    step = rate // 50
    for index, start in enumerate(range(0, samples.shape[1], step)):
        frame = (rate, samples[:, start : start + step])
        yield (frame, RealtimeMessage.assistant_transcript_delta("fine")) if index == 0 else frame


async def async_echo_reply(audio: tuple[int, np.ndarray]) -> AsyncIterator[Any]:
    for output in echo_reply(audio):
        await asyncio.sleep(0)
        yield output


# -- FastRTCBackend ----------------------------------------------------------------------------


def test_sync_stream_handler_echo_two_sessions(fr: Any) -> None:
    counts: Counter[str] = Counter()
    prototype = SyncEcho(counts)
    sent = np.concatenate([speech(), silence(1000)])
    heard: list[np.ndarray] = []

    async def script(client: Client) -> None:
        await client.stream(sent)
        events = from_response(await client.until("response.done"))
        assert shape(events) == RESPONSE_SHAPE
        assert events[-1]["response"]["status"] == "completed"
        heard.append(audio_out(events))

    serve(lambda: FastRTCBackend(prototype), script, sessions=2, config=NO_VAD)
    assert counts["copy"] == counts["start_up"] == counts["shutdown"] == 2
    for out in heard:
        assert best_ncc(out, sent) > 0.9
        assert 0.8 < len(out) / RATE < len(sent) / RATE  # the speech, without the silence
    assert not prototype.frames  # only the copies heard anything


def test_async_stream_handler_echo(fr: Any) -> None:
    counts: Counter[str] = Counter()
    sent = np.concatenate([speech(), silence(1000)])

    async def script(client: Client) -> None:
        await client.stream(sent)
        events = from_response(await client.until("response.done"))
        assert shape(events) == RESPONSE_SHAPE
        assert best_ncc(audio_out(events), sent) > 0.9

    serve(lambda: FastRTCBackend(AsyncEcho(counts)), script, config=NO_VAD)
    assert counts["copy"] == counts["start_up"] == counts["shutdown"] == 1


def test_async_emit_returning_none_or_failing_still_echoes(fr: Any) -> None:
    """None from an async emit() is asked again when input comes; one failure loses one frame."""
    counts: Counter[str] = Counter()
    sent = np.concatenate([speech(), silence(1000)])

    async def script(client: Client) -> None:
        await client.stream(sent)
        events = from_response(await client.until("response.done"))
        assert best_ncc(audio_out(events), sent) > 0.9

    serve(lambda: FastRTCBackend(AsyncPollingEcho(counts)), script, config=NO_VAD)
    assert counts["frames"] * 0.02 >= len(sent) / RATE  # every frame was taken, one failed
    assert counts["shutdown"] == 1


def test_async_emit_faster_than_the_session_is_bounded(fr: Any) -> None:
    """An emit() that never waits gets ahead of the session by a bounded number of outputs."""
    made: list[int] = []

    class Flood(fastrtc.AsyncStreamHandler):
        def __init__(self) -> None:
            super().__init__(input_sample_rate=24000, output_sample_rate=24000)

        async def receive(self, frame: tuple[int, np.ndarray]) -> None:
            pass

        async def emit(self) -> Any:
            made.append(1)
            return (24000, np.full((1, 480), 3000, dtype=np.int16))

        def copy(self) -> Flood:
            return Flood()

    async def script(client: Client) -> None:
        seen = 0
        while seen < 100:
            frame = await asyncio.wait_for(client.channel.recv(), 10)
            seen += '"response.output_audio.delta"' in (frame or "")
        await asyncio.sleep(0.2)  # the client stops reading: the handler must stop too
        stalled = len(made)
        await asyncio.sleep(0.3)
        assert len(made) == stalled, f"{len(made) - stalled} more outputs made unread"

    serve(lambda: FastRTCBackend(Flood()), script, channel_size=8, config=NO_VAD)


@pytest.mark.parametrize("reply", [echo_reply, async_echo_reply], ids=["sync-fn", "async-fn"])
def test_reply_on_pause_with_local_vad(fr: Any, local_vad: Any, reply: Any) -> None:
    handler = CountingReplyOnPause(reply, model=local_vad, input_sample_rate=16000)
    handler.counts = Counter()
    sent = np.concatenate([speech(), silence(2000)])

    async def script(client: Client) -> None:
        await client.stream(sent)
        events = await client.until("response.done", timeout=20)
        assert shape(events)[:6] == [
            "input_audio_buffer.speech_started",
            "input_audio_buffer.speech_stopped",
            "input_audio_buffer.committed",
            "conversation.item.added",
            "conversation.item.done",
            "conversation.item.input_audio_transcription.completed",
        ]
        [done] = [e for e in events if e["type"].endswith("transcription.completed")]
        assert done["transcript"] == "how are you doing today"
        response = from_response(events)
        assert shape(response)[:4] == RESPONSE_SHAPE[:4]
        assert {"response.output_audio.delta", "response.output_audio_transcript.delta"} <= {
            e["type"] for e in response
        }
        assert shape(response)[-6:] == RESPONSE_SHAPE[-6:]
        assert response[-1]["response"]["status"] == "completed"
        [part] = [e for e in response if e["type"] == "response.content_part.done"]
        assert part["part"]["transcript"] == "fine"
        assert best_ncc(audio_out(response), sent) > 0.9

    serve(lambda: FastRTCBackend(handler), script, config=NO_VAD)
    assert handler.counts["copy"] == handler.counts["start_up"] == handler.counts["shutdown"] == 1


def test_reply_on_pause_barge_in_cancels_the_reply_talked_over(fr: Any, local_vad: Any) -> None:
    def slow_echo(audio: tuple[int, np.ndarray]) -> Iterator[Any]:
        rate, samples = audio
        for start in range(0, samples.shape[1], rate // 50):
            time.sleep(0.005)
            yield rate, samples[:, start : start + rate // 50]

    handler = fr.ReplyOnPause(slow_echo, model=local_vad, input_sample_rate=16000)
    sent = np.concatenate([speech(), silence(2000)])

    async def script(client: Client) -> None:
        await client.stream(sent)
        first = (await client.until("response.output_audio.delta"))[-1]["response_id"]
        await client.stream(sent)  # the user talks over the reply
        events = await client.until("response.done", timeout=20)
        assert events[-1]["response"]["id"] == first
        assert events[-1]["response"]["status"] == "cancelled"
        assert events[-1]["response"]["status_details"]["reason"] == "turn_detected"
        rest = await client.until("response.done", timeout=20)
        assert shape(rest)[:3] == [
            "input_audio_buffer.speech_started",
            "input_audio_buffer.speech_stopped",
            "input_audio_buffer.committed",
        ]
        assert all(e.get("response_id") in (None, rest[-1]["response"]["id"]) for e in rest)
        assert rest[-1]["response"]["status"] == "completed"
        assert best_ncc(audio_out(from_response(rest)), sent) > 0.9

    serve(lambda: FastRTCBackend(handler), script, config=NO_VAD)


@pytest.mark.parametrize("tells", [True, False], ids=["with-words", "without"])
def test_a_handler_turn_gets_one_transcription_event(fr: Any, local_vad: Any, tells: bool) -> None:
    """With `audio.input.transcription` asked for, the handler's own user transcript
    (RealtimeMessage) is the `.completed`; a reply without one ends in `.failed`, which
    is what the Realtime Console and livekit agents wait for."""

    def reply(audio: tuple[int, np.ndarray]) -> Iterator[Any]:
        for output in echo_reply(audio):
            if tells or not isinstance(output, RealtimeMessage):
                yield output

    handler = fr.ReplyOnPause(reply, model=local_vad, input_sample_rate=16000)
    asked = {"turn_detection": None, "transcription": {"model": "gpt-4o-transcribe"}}
    transcribed = {"audio": {"input": asked}}

    async def script(client: Client) -> None:
        await client.stream(np.concatenate([speech(), silence(2000)]))
        events = await client.until("response.done", timeout=20)
        await client.send({"type": "input_audio_buffer.clear"})  # then whatever follows the reply
        events += await client.until("input_audio_buffer.cleared")
        [item_id] = [e["item_id"] for e in events if e["type"] == "input_audio_buffer.committed"]
        settled = [e for e in events if "input_audio_transcription" in e["type"]]
        assert [e["item_id"] for e in settled] == [item_id]
        if tells:
            assert settled[0]["type"].endswith(".completed")
            assert settled[0]["transcript"] == "how are you doing today"
        else:
            assert settled[0]["type"].endswith(".failed")
            assert "no transcript" in settled[0]["error"]["message"]

    serve(lambda: FastRTCBackend(handler), script, config=transcribed)


def test_g711_input_reaches_the_handler_resampled(fr: Any) -> None:
    counts: Counter[str] = Counter()
    sent = np.concatenate([speech(), silence(1000)])
    ulaw = encode(resample(sent, RATE, 8000), PCMU)

    async def script(client: Client) -> None:
        for start in range(0, len(ulaw), 160):  # 20 ms of 8 kHz G.711
            chunk = base64.b64encode(ulaw[start : start + 160]).decode()
            await client.send({"type": "input_audio_buffer.append", "audio": chunk})
        events = from_response(await client.until("response.done"))
        assert best_ncc(audio_out(events), sent) > 0.9  # 24 kHz PCM out

    g711 = {"audio": {"input": {"format": {"type": "audio/pcmu"}, "turn_detection": None}}}
    serve(lambda: FastRTCBackend(SyncEcho(counts, rate=48000)), script, config=g711)


def test_handler_waiting_for_inputs_gets_additional_inputs_and_its_context(
    fr: Any, local_vad: Any
) -> None:
    seen: list[tuple[str, str]] = []

    def greet(audio: tuple[int, np.ndarray], name: str) -> Iterator[Any]:
        seen.append((name, fr.get_current_context().webrtc_id))
        yield RealtimeMessage.assistant_transcript_delta(f"hello {name}")
        yield audio

    handler = fr.ReplyOnPause(greet, model=local_vad, input_sample_rate=16000)

    async def script(client: Client) -> None:
        await client.stream(np.concatenate([speech(), silence(2000)]))
        events = await client.until("response.done", timeout=20)
        [done] = [e for e in events if e["type"] == "response.output_audio_transcript.done"]
        assert done["transcript"] == "hello Ada"

    serve(lambda: FastRTCBackend(handler, additional_inputs=["Ada"]), script, config=NO_VAD)
    assert seen == [("Ada", "sess_0001")]  # the session id, as FastRTC's webrtc_id


def test_reply_on_pause_greeting_from_start_up(fr: Any, local_vad: Any) -> None:
    """startup_fn's generator is a reply nobody asked for: a response with no user turn."""
    tone = (RATE, (3000 * np.sin(np.arange(RATE // 2) / 8)).astype(np.int16).reshape(1, -1))

    def greeting() -> Iterator[Any]:
        yield tone, RealtimeMessage.assistant_transcript_delta("Hello!")

    handler = fr.ReplyOnPause(echo_reply, startup_fn=greeting, model=local_vad)

    async def script(client: Client) -> None:
        events = await client.until("response.done")
        assert shape(events)[0] == "response.created"
        assert shape(events)[-6:] == RESPONSE_SHAPE[-6:]
        assert best_ncc(audio_out(events), tone[1][0]) > 0.9

    serve(lambda: FastRTCBackend(handler), script, config=NO_VAD)


def test_close_stream_closes_the_session(fr: Any) -> None:
    counts: Counter[str] = Counter()

    async def script(client: Client) -> None:
        await client.stream(speech()[RATE // 2 : RATE])
        events = from_response(await client.until("response.done"))
        assert events[-1]["response"]["status"] == "completed"
        assert await asyncio.wait_for(client.channel.recv(), 5) is None  # closed by the server

    serve(lambda: FastRTCBackend(Closing(counts)), script, config=NO_VAD)
    assert counts["shutdown"] == 1


def test_what_a_handler_cannot_do_is_refused_and_the_session_goes_on(fr: Any) -> None:
    counts: Counter[str] = Counter()

    async def script(client: Client) -> None:
        await client.send({"type": "response.create"})
        [error] = await client.until("error")
        assert error["error"]["code"] == "unsupported_feature"
        item = {
            "type": "message",
            "role": "user",
            "content": [{"type": "input_text", "text": "hi"}],
        }
        await client.send({"type": "conversation.item.create", "item": item})
        [error] = await client.until("error")
        assert "text input" in error["error"]["message"]
        await client.send({"type": "input_audio_buffer.clear"})
        await client.until("input_audio_buffer.cleared")

    serve(lambda: FastRTCBackend(SyncEcho(counts)), script, config=NO_VAD)


@pytest.mark.parametrize("kind", ["stream-handler", "async-returning-none", "reply-on-pause"])
def test_idle_sync_handler_does_not_poll(fr: Any, local_vad: Any, kind: str) -> None:
    """No busy loop: an idle session costs a few emit() calls a second (ReplyOnPause: none)."""
    counts: Counter[str] = Counter()
    calls: list[int] = []
    cpu: list[float] = []

    class Idle(CountingReplyOnPause):
        def emit(self) -> Any:
            counts["emit"] += 1
            return super().emit()

        def copy(self) -> Idle:
            other = Idle(self.fn, model=self.model)
            other.counts = counts
            return other

    if kind == "stream-handler":
        handler: Any = SyncEcho(counts)
    elif kind == "async-returning-none":
        handler = AsyncPollingEcho(counts)
    else:
        handler = Idle(echo_reply, model=local_vad)
        handler.counts = counts

    async def script(client: Client) -> None:
        await asyncio.sleep(0.3)  # past start-up and the first backoff steps
        before, cpu_before = counts["emit"], time.process_time()
        await asyncio.sleep(1.0)
        calls.append(counts["emit"] - before)
        cpu.append(time.process_time() - cpu_before)

    serve(lambda: FastRTCBackend(handler), script, config=NO_VAD)
    print(f"idle {kind}: {calls[0]} emit calls, {cpu[0] * 1000:.1f} ms CPU in 1 s")
    assert cpu[0] < 0.05, f"{cpu[0] * 100:.1f}% of a core while idle"
    assert calls[0] <= (0 if kind == "reply-on-pause" else 15)


# -- ReplyFunctionResponder: the same reply function under our turns (no fastrtc needed) --------


def test_reply_function_under_manual_turns() -> None:
    sent = speech()

    async def script(client: Client) -> None:
        await client.stream(sent)
        await client.send({"type": "input_audio_buffer.commit"})
        await client.until("conversation.item.done")
        await client.send({"type": "response.create"})
        events = await client.until("response.done")
        assert shape(events)[:4] == RESPONSE_SHAPE[:4]
        assert shape(events)[-6:] == RESPONSE_SHAPE[-6:]
        assert events[-1]["response"]["status"] == "completed"
        assert best_ncc(audio_out(events), sent) > 0.9

    serve(
        lambda: ReplyFunctionResponder(echo_reply, input_sample_rate=16000), script, config=NO_VAD
    )


def test_reply_function_under_server_vad() -> None:
    need(SileroSpeechModel is not None, "realtime_sdk.vad.SileroSpeechModel missing")
    sent = np.concatenate([speech(), silence(1000)])

    async def script(client: Client) -> None:
        await client.stream(sent)
        events = await client.until("response.done")
        assert shape(events)[:3] == [
            "input_audio_buffer.speech_started",
            "input_audio_buffer.speech_stopped",
            "input_audio_buffer.committed",
        ]
        assert best_ncc(audio_out(from_response(events)), sent) > 0.9

    serve(
        lambda: ReplyFunctionResponder(async_echo_reply),
        script,
        speech_model=SileroSpeechModel(),
    )


def test_reply_function_gets_text_turns_when_it_takes_text() -> None:
    def reply(audio: tuple[int, np.ndarray], text: str | None = None) -> Iterator[Any]:
        assert audio[1].shape == (1, 0)
        yield RealtimeMessage.text_delta(f"you said: {text}")

    async def script(client: Client) -> None:
        text_only = {"type": "realtime", "output_modalities": ["text"]}
        await client.send({"type": "session.update", "session": text_only})
        await client.until("session.updated")
        item = {
            "type": "message",
            "role": "user",
            "content": [{"type": "input_text", "text": "hi"}],
        }
        await client.send({"type": "conversation.item.create", "item": item})
        await client.send({"type": "response.create"})
        events = await client.until("response.done")
        [done] = [e for e in events if e["type"] == "response.output_text.done"]
        assert done["text"] == "you said: hi"

    serve(lambda: ReplyFunctionResponder(reply), script, config=NO_VAD)


def test_audio_only_reply_function_refuses_text_items() -> None:
    async def script(client: Client) -> None:
        item = {
            "type": "message",
            "role": "user",
            "content": [{"type": "input_text", "text": "hi"}],
        }
        await client.send({"type": "conversation.item.create", "item": item})
        [error] = await client.until("error")
        assert error["error"]["code"] == "unsupported_feature"

    serve(lambda: ReplyFunctionResponder(echo_reply), script, config=NO_VAD)


def test_cancel_stops_a_sync_reply_generator_promptly() -> None:
    closed = threading.Event()
    steps: list[int] = []

    def slow(audio: tuple[int, np.ndarray]) -> Iterator[Any]:
        try:
            for step in range(1000):
                steps.append(step)
                time.sleep(0.02)
                yield (RATE, np.full((1, FRAME), 1000, dtype=np.int16))
        finally:
            closed.set()

    async def script(client: Client) -> None:
        await client.stream(speech()[:RATE])
        await client.send({"type": "input_audio_buffer.commit"})
        await client.send({"type": "response.create"})
        await client.until("response.output_audio.delta")
        await client.send({"type": "response.cancel"})
        events = await client.until("response.done")
        assert events[-1]["response"]["status"] == "cancelled"
        for _ in range(100):  # the generator is closed after the step in progress
            if closed.is_set():
                break
            await asyncio.sleep(0.01)
        assert closed.is_set()
        count = len(steps)
        await asyncio.sleep(0.1)
        assert len(steps) == count < 100  # it stopped, well before its end

    serve(lambda: ReplyFunctionResponder(slow), script, config=NO_VAD)


# -- the turn rules for plain handlers, on their own --------------------------------------------


def test_plain_handler_turns_hold_silence_and_end_on_a_gap() -> None:
    from realtime_sdk.backends.base import AudioChunk, ResponseEnded, ResponseStarted
    from realtime_sdk.backends.fastrtc.turns import TurnPolicy

    def chunk(level: int, ms: int = 100) -> AudioChunk:
        return AudioChunk(np.full(16 * ms, level, dtype=np.int16), 16000)

    turns = TurnPolicy(by_generator=False, gap_s=0.5, silence_level=64)
    quiet, loud = chunk(10), chunk(1000)
    assert turns.output(quiet, [], None, now=0.0) == []  # silence opens nothing
    assert turns.output(loud, [], None, now=0.1) == [ResponseStarted(), loud]
    assert turns.output(quiet, [], None, now=0.2) == []  # held back...
    assert turns.output(loud, [], None, now=0.3) == [quiet, loud]  # ...and sent when sound follows
    for step in range(4):
        assert turns.output(quiet, [], None, now=0.4 + step / 10) == []
    assert turns.output(quiet, [], None, now=0.8) == [ResponseEnded()]  # 0.5 s of silence
    assert turns.output(loud, [], None, now=0.9) == [ResponseStarted(), loud]
    # Nothing more: the response ends 0.5 s after its audio would have finished playing.
    assert turns.expire(now=0.9 + 0.1 + 0.4) == []
    assert turns.expire(now=0.9 + 0.1 + 0.5) == [ResponseEnded()]
