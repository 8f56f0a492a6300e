"""Each program in examples/ runs one bounded turn against a local server (127.0.0.1),
as its docstring says to run it, so the examples cannot rot."""

from __future__ import annotations

import asyncio
import base64
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import uvicorn
from helpers.need import need

from realtime_sdk.app import ServerConfig, create_app
from realtime_sdk.audio import read_wav, resample
from realtime_sdk.server.config import Backend

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
FIXTURES = ROOT / "tests" / "fixtures" / "audio"


def needs(*modules: str) -> None:
    for module in modules:
        try:
            __import__(module)
        except ImportError:
            need(False, f"{module} is not installed (make installs the fastrtc and agent extras)")


@contextmanager
def server(factory: Any) -> Iterator[str]:
    """Our app on 127.0.0.1 (a free port) in a thread; yields `http://127.0.0.1:P/v1`."""
    config = ServerConfig(backend_factory=factory)
    running = uvicorn.Server(
        uvicorn.Config(
            create_app(config),
            host="127.0.0.1",
            port=0,
            log_level="warning",
            ws="websockets-sansio",
        )
    )
    thread = threading.Thread(target=running.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not running.started:
        assert thread.is_alive() and time.monotonic() < deadline, "server did not start"
        time.sleep(0.02)
    port = running.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}/v1"
    finally:
        running.should_exit = True
        thread.join(10)


def example(name: str, *args: str, stdin: str = "", timeout: float = 120) -> str:
    """Run examples/NAME with ARGS; its stdout (it must exit 0)."""
    result = subprocess.run(
        [sys.executable, str(EXAMPLES / name), *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    assert result.returncode == 0, f"{name} exited {result.returncode}:\n{result.stderr[-3000:]}"
    return result.stdout


def agent() -> Backend:
    from realtime_sdk.backends.agent import OfflineAgent

    return OfflineAgent()


# -- talk_webrtc.py ------------------------------------------------------------------------


def test_talk_webrtc_says_a_recording_and_saves_the_reply(tmp_path: Path) -> None:
    needs("pocketsphinx", "espeakng_loader")
    reply = tmp_path / "reply.wav"
    with server(agent) as url:
        out = example(
            "talk_webrtc.py",
            *("--url", url, "--input", str(FIXTURES / "hello_world_16k.wav")),
            *("--output", str(reply), "--once"),
        )
        typed = example("talk_webrtc.py", "--url", url, "--once", stdin="good morning\n")
    print(out, typed)
    assert "user: hello world" in out
    assert 'assistant: You said: "hello world". That was 2 words.' in out
    rate, audio = read_wav(reply)
    loud = float(np.sqrt(np.mean(audio.astype(np.float64) ** 2)))
    assert len(audio) / rate > 1.5 and loud > 300, (len(audio) / rate, loud)
    assert 'assistant: You said: "good morning". That was 2 words.' in typed


# -- agents_tool_call.py --------------------------------------------------------------------


def test_agents_tool_call_against_the_agent_with_an_llm() -> None:
    needs("pocketsphinx", "espeakng_loader", "agents")
    from backends.test_llm import Call, ChatServer, start_chat_server, stop_chat_server

    from realtime_sdk.backends.agent import OfflineAgent

    chat = ChatServer()
    chat.replies.append([Call("get_weather", '{"city": "Oslo"}', "call_7")])
    chat.replies.append(["In Oslo it is ", "sunny and 21 degrees."])
    llm = start_chat_server(chat)
    try:
        with server(lambda: OfflineAgent(llm_base_url=chat.url, llm_model="m")) as url:
            ws = url.replace("http://", "ws://") + "/realtime"
            out = example("agents_tool_call.py", "--url", ws, "--message", "Weather in Oslo?")
    finally:
        stop_chat_server(llm)
    print(out)
    assert "tool call: get_weather" in out
    assert "tool output: Oslo: sunny, 21 degrees" in out
    assert "agent: In Oslo it is sunny and 21 degrees." in out
    asked, answered = chat.requests
    assert asked["messages"][0]["content"].startswith("Answer weather questions")
    assert [t["function"]["name"] for t in asked["tools"]] == ["get_weather"]
    assert answered["messages"][-1] == {
        "role": "tool",
        "tool_call_id": "call_7",
        "content": "Oslo: sunny, 21 degrees",
    }


def test_agents_tool_call_against_echo_with_audio() -> None:
    needs("agents")
    from realtime_sdk.backends.echo import EchoBackend

    with server(EchoBackend) as url:
        ws = url.replace("http://", "ws://") + "/realtime"
        message = 'call get_weather {"city": "Bergen"}'
        out = example("agents_tool_call.py", "--url", ws, "--message", message, "--audio")
    assert "tool output: Bergen: rain, 12 degrees" in out
    assert "agent: Bergen: rain, 12 degrees" in out


# -- serve_fastrtc_handler.py ----------------------------------------------------------------


@contextmanager
def example_server(name: str) -> Iterator[int]:
    """Run a serving example on port 0 until the test is done; yields its port."""
    process = subprocess.Popen(
        [sys.executable, str(EXAMPLES / name), "--host", "127.0.0.1", "--port", "0"],
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    log: list[str] = []
    port: list[int] = []
    bound = threading.Event()

    def read() -> None:
        assert process.stderr is not None
        for line in process.stderr:
            log.append(line)
            found = re.search(r"Uvicorn running on http://[\d.]+:(\d+)", line)
            if found:
                port.append(int(found.group(1)))
                bound.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        assert bound.wait(120), "".join(log)
        yield port[0]
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)
        reader.join(5)


def test_serve_fastrtc_handler_serves_gradio_fastrtc_and_realtime() -> None:
    needs("fastrtc", "gradio", "pocketsphinx", "espeakng_loader")
    from openai import AsyncOpenAI

    rate, samples = read_wav(FIXTURES / "hello_world_16k.wav")
    speech = np.concatenate([resample(samples, rate, 24000), np.zeros(24000, dtype=np.int16)])

    async def realtime_turn(port: int) -> list[Any]:
        client = AsyncOpenAI(base_url=f"http://127.0.0.1:{port}/v1", api_key="unused")
        async with client.realtime.connect(model="gpt-realtime") as conn:
            for start in range(0, len(speech), 480):
                chunk = speech[start : start + 480].tobytes()
                await conn.input_audio_buffer.append(audio=base64.b64encode(chunk).decode())
            events = []
            async for event in conn:
                events.append(event)
                if event.type == "response.done":
                    return events
        raise AssertionError("closed before response.done")

    with example_server("serve_fastrtc_handler.py") as port:
        base = f"http://127.0.0.1:{port}"
        config = httpx.get(f"{base}/gradio/config", timeout=30).json()
        kinds = {component["type"] for component in config["components"]}
        assert {"webrtc", "chatbot"} <= kinds, kinds
        offer = httpx.post(f"{base}/webrtc/offer", json={}, timeout=30)
        assert offer.status_code == 422 and "webrtc_id" in offer.text  # FastRTC's own route
        events = asyncio.run(asyncio.wait_for(realtime_turn(port), 90))
    kinds_seen = [e.type for e in events]
    assert "error" not in kinds_seen, [e for e in events if e.type == "error"]
    heard = next(
        e.transcript
        for e in events
        if e.type == "conversation.item.input_audio_transcription.completed"
    )
    said = next(e.transcript for e in events if e.type == "response.output_audio_transcript.done")
    assert heard == "hello world" and said == "You said: hello world."
    audio = b"".join(
        base64.b64decode(e.delta) for e in events if e.type == "response.output_audio.delta"
    )
    assert len(audio) / 2 / 24000 > 1.0


def test_every_example_says_how_to_run_it() -> None:
    for path in sorted(EXAMPLES.glob("*.py")):
        text = path.read_text()
        assert text.startswith('"""') and f"examples/{path.name}" in text.split('"""')[1], path
    assert {p.name for p in EXAMPLES.glob("*.py")} >= {
        "serve_fastrtc_handler.py",
        "talk_webrtc.py",
        "agents_tool_call.py",
    }
