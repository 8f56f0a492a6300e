"""`realtime-sdk serve` with no --handler: the offline voice agent, as `make serve` runs it.

A real `realtime-sdk serve` process on 127.0.0.1 and the unmodified openai-python client
send recorded speech with input transcription on; the transcript has the recorded words
and the reply is speech whose transcript is the template reply. Also: the LLM options
reach the agent from the environment, a missing agent extra is a one-line message, and
over WebRTC a reply being played stops when the user talks over it.
"""

from __future__ import annotations

import asyncio
import base64
import difflib
import os
import re
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from helpers.need import need
from helpers.paths import AUDIO_FIXTURES
from helpers.rtc_peer import RtcClient, rms, run, speech_48k
from helpers.servers import serve
from openai import AsyncOpenAI

from realtime_sdk.app import ServerConfig
from realtime_sdk.audio import read_wav, resample
from realtime_sdk.backends.agent import OfflineAgent, template_reply

FIXTURES = AUDIO_FIXTURES
RATE = 24000


@pytest.fixture(scope="module", autouse=True)
def agent_extra() -> None:
    for module in ("pocketsphinx", "espeakng_loader"):
        try:
            __import__(module)
        except ImportError:
            need(False, f"{module} is not installed (pip install 'realtime-sdk[agent]')")


def _command() -> list[str]:
    script = Path(sys.executable).with_name("realtime-sdk")
    return [str(script)] if script.exists() else [sys.executable, "-m", "realtime_sdk.cli"]


@contextmanager
def serve_process(*args: str, env: dict[str, str] | None = None) -> Iterator[tuple[int, list[str]]]:
    """`realtime-sdk serve --host 127.0.0.1 --port 0 ARGS`; yields its port and its log."""
    process = subprocess.Popen(
        [*_command(), "serve", "--host", "127.0.0.1", "--port", "0", *args],
        env={**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    log: list[str] = []
    bound = threading.Event()
    port: list[int] = []

    def read() -> None:
        assert process.stderr is not None
        for line in process.stderr:
            log.append(line)
            found = re.search(r"Uvicorn running on https?://[\d.]+:(\d+)", line)
            if found:
                port.append(int(found.group(1)))
                bound.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        assert bound.wait(90), "".join(log)
        yield port[0], log
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)
        reader.join(5)


@pytest.fixture(scope="module")
def default_server() -> Iterator[tuple[int, list[str]]]:
    with serve_process() as running:
        yield running


def speech_24k(name: str, tail_s: float = 1.0) -> np.ndarray:
    rate, samples = read_wav(FIXTURES / name)
    voice = resample(samples, rate, RATE)
    return np.concatenate([voice, np.zeros(int(RATE * tail_s), dtype=np.int16)])


def voiced_seconds(x: np.ndarray) -> float:
    """Time in 20 ms frames louder than -40 dBFS."""
    size = RATE // 50
    frames = x[: len(x) // size * size].astype(np.float64).reshape(-1, size)
    return float((np.sqrt((frames**2).mean(1)) > 328).sum() * 0.02)


async def spoken_turns(port: int, name: str, turns: int = 1) -> list[Any]:
    """Stream a recording with input transcription on; the events up to the last
    `response.done` and the transcription of every user item."""
    client = AsyncOpenAI(base_url=f"http://127.0.0.1:{port}/v1", api_key="anything")
    async with client.realtime.connect(model="gpt-realtime") as conn:
        await conn.session.update(
            session={
                "type": "realtime",
                "audio": {"input": {"transcription": {"model": "whisper-1"}}},
            }
        )
        audio = speech_24k(name)
        for start in range(0, len(audio), 480):
            chunk = audio[start : start + 480].tobytes()
            await conn.input_audio_buffer.append(audio=base64.b64encode(chunk).decode())
        events: list[Any] = []
        items: set[str] = set()
        transcribed: set[str] = set()
        responses = 0
        async for event in conn:
            events.append(event)
            if event.type == "input_audio_buffer.committed":
                items.add(event.item_id)
            elif event.type == "conversation.item.input_audio_transcription.completed":
                transcribed.add(event.item_id)
            elif event.type == "response.done":
                responses += 1
            if responses >= turns and transcribed == items and len(items) >= turns:
                return events
    raise AssertionError("closed early")


def test_hello_world_is_heard_and_answered_in_speech(
    default_server: tuple[int, list[str]],
) -> None:
    port, log = default_server
    events = asyncio.run(asyncio.wait_for(spoken_turns(port, "hello_world_16k.wav"), 90))
    kinds = [e.type for e in events]
    assert "error" not in kinds, [e for e in events if e.type == "error"]
    assert "input_audio_buffer.speech_stopped" in kinds
    done = next(
        e for e in events if e.type == "conversation.item.input_audio_transcription.completed"
    )
    deltas = [e for e in events if e.type == "conversation.item.input_audio_transcription.delta"]
    assert "".join(d.delta for d in deltas) == done.transcript
    heard = done.transcript.lower()
    assert "hello" in heard and "world" in heard, heard

    response = next(e for e in events if e.type == "response.done").response
    assert response.status == "completed", "".join(log)
    said = next(e for e in events if e.type == "response.output_audio_transcript.done").transcript
    assert said == template_reply(done.transcript)
    audio = np.frombuffer(
        b"".join(
            base64.b64decode(e.delta) for e in events if e.type == "response.output_audio.delta"
        ),
        dtype="<i2",
    )
    loud = float(np.sqrt(np.mean(audio.astype(np.float64) ** 2)))
    voiced = voiced_seconds(audio)
    print(f"reply {len(audio) / RATE:.2f} s, rms {loud:.0f}, voiced {voiced:.2f} s: {said!r}")
    assert loud > 500 and voiced > 1.0


@pytest.mark.parametrize(
    ("name", "words"),
    [("fastrtc-how-are-you-24k.wav", ["how are you doing today"])],
)
def test_other_recordings_are_transcribed(
    default_server: tuple[int, list[str]], name: str, words: list[str]
) -> None:
    port, _ = default_server
    events = asyncio.run(asyncio.wait_for(spoken_turns(port, name), 90))
    heard = [
        e.transcript
        for e in events
        if e.type == "conversation.item.input_audio_transcription.completed"
    ]
    ratio = difflib.SequenceMatcher(None, " ".join(heard).lower(), " ".join(words)).ratio()
    print(f"{name}: heard {heard!r}, ratio {ratio:.2f}")
    assert ratio > 0.7


def test_two_utterances_are_two_turns(default_server: tuple[int, list[str]]) -> None:
    port, _ = default_server
    events = asyncio.run(asyncio.wait_for(spoken_turns(port, "two_utterances_16k.wav", 2), 90))
    committed = [e.item_id for e in events if e.type == "input_audio_buffer.committed"]
    heard = {
        e.item_id: e.transcript.lower()
        for e in events
        if e.type == "conversation.item.input_audio_transcription.completed"
    }
    assert len(committed) == 2
    assert "hello" in heard[committed[0]] and "goodbye" in heard[committed[1]], heard


def test_llm_settings_come_from_the_environment() -> None:
    """REALTIME_SDK_LLM_BASE_URL set: the agent streams its replies from that server."""
    from backends.test_llm import ChatServer, start_chat_server, stop_chat_server

    chat = ChatServer()
    chat.replies.append(["Hi from ", "the model."])
    running = start_chat_server(chat)

    async def turn(port: int) -> str:
        client = AsyncOpenAI(base_url=f"http://127.0.0.1:{port}/v1", api_key="anything")
        async with client.realtime.connect(model="gpt-realtime") as conn:
            await conn.session.update(
                session={"type": "realtime", "output_modalities": ["text"], "instructions": "Hi."}
            )
            await conn.conversation.item.create(
                item={
                    "type": "message",
                    "role": "user",
                    "content": [{"type": "input_text", "text": "hello"}],
                }
            )
            await conn.response.create()
            async for event in conn:
                if event.type == "response.output_text.done":
                    return event.text
        raise AssertionError("closed early")

    env = {
        "REALTIME_SDK_LLM_BASE_URL": chat.url,
        "REALTIME_SDK_LLM_MODEL": "env-model",
        "REALTIME_SDK_LLM_API_KEY": "sk-env-llm",
    }
    try:
        with serve_process(env=env) as (port, _):
            text = asyncio.run(asyncio.wait_for(turn(port), 60))
    finally:
        stop_chat_server(running)
    assert text == "Hi from the model."
    assert chat.requests[0]["model"] == "env-model"
    assert chat.requests[0]["messages"][0] == {"role": "system", "content": "Hi."}
    assert chat.headers[0]["authorization"] == "Bearer sk-env-llm"


def test_without_the_agent_extra_serve_says_what_to_install(tmp_path: Path) -> None:
    """pocketsphinx made unimportable: one line naming the extra, no traceback."""
    blocked = tmp_path / "pocketsphinx"
    blocked.mkdir()
    (blocked / "__init__.py").write_text("raise ImportError('pocketsphinx blocked by the test')\n")
    path = os.pathsep.join(p for p in (str(tmp_path), os.environ.get("PYTHONPATH")) if p)
    result = subprocess.run(
        [*_command(), "serve", "--host", "127.0.0.1", "--port", "0"],
        env={**os.environ, "PYTHONPATH": path},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "pip install 'realtime-sdk[agent]'" in result.stderr, result.stderr
    assert "Traceback" not in result.stderr, result.stderr
    assert "Uvicorn running" not in result.stderr


def test_over_webrtc_a_reply_stops_when_the_user_talks_over_it() -> None:
    """Barge-in where the server plays the audio: the reply is cut within a moment."""
    first = speech_48k(FIXTURES / "hello_world_16k.wav", tail_s=0.6)
    second = speech_48k(FIXTURES / "fastrtc-how-are-you-24k.wav", tail_s=1.0)

    async def main() -> None:
        rtc = RtcClient()
        try:
            with serve(ServerConfig(backend_factory=OfflineAgent)) as running:
                import httpx

                async with httpx.AsyncClient() as http:
                    answer = await http.post(
                        f"{running.base_url}/realtime/calls",
                        content=await rtc.offer(),
                        headers={"Content-Type": "application/sdp"},
                    )
                assert answer.status_code == 201, answer.text
                await rtc.accept(answer.text)
                await rtc.wait_for("session.created")
                rtc.mic.say(first)
                started = await rtc.wait_for("output_audio_buffer.started", 30)
                await asyncio.sleep(0.8)  # the reply (about 3 s) is being played
                rtc.mic.say(second)
                after = rtc.events.index(started)
                cleared = await rtc.wait_for("output_audio_buffer.cleared", 20, after)
                # the reply may have been made in full already (it is played in real
                # time): what matters is that its playing stops
                done = await rtc.wait_for("response.done", 20, after)
                status = done["response"]["status"]
                if status == "cancelled":
                    assert done["response"]["status_details"]["reason"] == "turn_detected"
                else:
                    assert status == "completed", done
                barge = await rtc.wait_for("input_audio_buffer.speech_started", 5, after)
                t_barge, t_cleared = rtc.time_of(barge), rtc.time_of(cleared)
                playing = rtc.audio_between(rtc.time_of(started) + 0.2, t_barge)
                quiet = rtc.audio_between(t_cleared + 0.3, t_cleared + 1.0)
                lag_ms = 1000 * (t_cleared - t_barge)
                print(
                    f"reply {status}; speech_started -> cleared {lag_ms:.0f} ms;"
                    f" rms while playing {rms(playing):.0f}, after clearing {rms(quiet):.0f}"
                )
                assert rms(playing) > 300
                assert rms(quiet) < 0.1 * rms(playing)
                truncated = [e for e in rtc.events if e["type"] == "conversation.item.truncated"]
                assert truncated and 0 < truncated[0]["audio_end_ms"] < 3000, truncated
        finally:
            await rtc.close()

    run(main, 90)


def test_serve_flags_reach_the_agent_and_win_over_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import uvicorn

    from realtime_sdk import app as server_app
    from realtime_sdk import cli

    configs: list[ServerConfig] = []
    real_create_app = server_app.create_app

    def create_app(config: ServerConfig) -> Any:
        configs.append(config)
        return real_create_app(config)

    monkeypatch.setattr(server_app, "create_app", create_app)
    monkeypatch.setattr(uvicorn, "run", lambda app, **kwargs: None)
    monkeypatch.setenv("REALTIME_SDK_LLM_BASE_URL", "http://127.0.0.1:9/v1")
    monkeypatch.setenv("REALTIME_SDK_LLM_MODEL", "env-model")
    argv = ["serve", "--llm-base-url", "http://127.0.0.1:11434/v1/", "--llm-api-key", "sk-flag"]
    assert cli.main(argv) == 0
    agent = configs[-1].backend_factory()
    assert isinstance(agent, OfflineAgent) and agent.llm is not None
    assert (agent.llm.base_url, agent.llm.model, agent.llm.api_key) == (
        "http://127.0.0.1:11434/v1",
        "env-model",
        "sk-flag",
    )
    # echo keeps working, and says it ignores the agent's options
    assert cli.main(["serve", "--handler", "echo"]) == 0
    from realtime_sdk.backends.echo import EchoBackend

    assert isinstance(configs[-1].backend_factory(), EchoBackend)
    monkeypatch.delenv("REALTIME_SDK_LLM_BASE_URL")
    assert cli.main(["serve"]) == 0
    assert configs[-1].backend_factory().llm is None  # type: ignore[attr-defined]
