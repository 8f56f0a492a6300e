"""The README, run as a newcomer would run it: a README that drifts fails here.

Every line of its `sh` blocks must be a command this module knows how to run, and is
run: `make serve ...` and `realtime-sdk serve ...` start a real server (on a free port
of 127.0.0.1 instead of the README's 8000 or 9000) that must answer a turn; `realtime-sdk
talk ...` runs against such a server; `openssl ...` makes the certificate the TLS lines
use; `make test` is what `.ci/run` runs, so here it is only checked to be a target.
Every `python` block runs against `make serve` (a block that starts with `# app.py` is
written to that file and served with the `--handler app:handler` line), and every `js`
block runs under Node from the project's folder, where its packages are.
"""

from __future__ import annotations

import asyncio
import base64
import os
import re
import shlex
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import numpy as np
import pytest
from helpers.need import need
from openai import AsyncOpenAI

from realtime_sdk.audio import read_wav, resample

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()
BIN = Path(sys.executable).parent
SPEECH = ROOT / "tests" / "fixtures" / "audio" / "hello_world_16k.wav"
SPEECH_S = 1.1  # hello_world_16k.wav's speech
FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.MULTILINE | re.DOTALL)
README_PORTS = re.compile(r"(127\.0\.0\.1:|localhost:|--port |PORT=)(8000|9000)\b")


def blocks(language: str) -> list[str]:
    return [body for lang, body in FENCE.findall(README) if lang == language]


def commands() -> list[str]:
    """The README's shell lines, comments cut off."""
    lines = []
    for body in blocks("sh"):
        for line in body.splitlines():
            line = re.split(r"\s+#\s", line, maxsplit=1)[0].strip()
            if line and not line.startswith("#"):
                lines.append(line)
    return lines


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def on_port(text: str, port: int) -> str:
    return README_PORTS.sub(lambda m: f"{m.group(1)}{port}", text)


def environment(**extra: str) -> dict[str, str]:
    env = {**os.environ, **extra}
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"  # `realtime-sdk` as after `make`
    return env


@contextmanager
def running(argv: list[str], port: int, cwd: Path = ROOT, **env: str) -> Iterator[str]:
    """A server command, until its page answers on `port`; yields its base URL's origin."""
    scheme = "https" if "--ssl-certfile" in argv else "http"
    origin = f"{scheme}://127.0.0.1:{port}"
    process = subprocess.Popen(
        argv, cwd=cwd, env=environment(**env), start_new_session=True,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 120  # `make serve` may first check the venv
        while True:
            assert process.poll() is None, f"{argv} exited:\n{process.communicate()[0]}"
            assert time.monotonic() < deadline, f"{argv} did not start"
            try:
                if httpx.get(origin + "/", verify=False, timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        yield origin
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(5)
        if process.stdout is not None:
            process.stdout.close()


def talk(origin: str, *args: str, **env: str) -> str:
    done = subprocess.run(
        [str(BIN / "realtime-sdk"), "talk", f"{origin}/v1", *args, "--timeout", "60"],
        cwd=ROOT, env=environment(**env), capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


async def spoken_turn(origin: str) -> float:
    """openai-python streams the recorded speech and a pause; seconds of audio said back."""
    rate, speech = read_wav(SPEECH)
    sent = resample(speech, rate, 24000)
    sent = np.concatenate([sent, np.zeros(24000 * 2, dtype=np.int16)])
    client = AsyncOpenAI(base_url=f"{origin}/v1", api_key="anything")
    async with asyncio.timeout(60), client.realtime.connect(model="gpt-realtime") as conn:
        for start in range(0, len(sent), 4800):
            chunk = sent[start : start + 4800].tobytes()
            await conn.input_audio_buffer.append(audio=base64.b64encode(chunk).decode())
        back = 0
        async for event in conn:
            if event.type == "response.output_audio.delta":
                back += len(base64.b64decode(event.delta)) // 2
            elif event.type == "error":
                raise AssertionError(event.error.message)
            elif event.type == "response.done":
                return back / 24000
    raise AssertionError("closed before response.done")


def test_every_command_is_one_this_module_runs() -> None:
    targets = set(re.findall(r"^([\w.-]+):", (ROOT / "Makefile").read_text(), re.MULTILINE))
    assert commands()
    for line in commands():
        word = shlex.split(line)[0]
        assert word in ("make", "realtime-sdk", "openssl"), f"README line not run: {line}"
        if word == "make":
            target = shlex.split(line)[1]
            assert target in targets, f"README names make {target}: not in the Makefile"
            assert target in ("serve", "test"), f"README line not run: {line}"


@pytest.fixture(scope="module")
def served() -> Iterator[str]:
    """The quick start's `make serve`, on a free port."""
    port = free_port()
    with running(["make", "--no-print-directory", "serve", f"PORT={port}"], port) as origin:
        yield origin


def test_make_serve_lines(served: str) -> None:
    page = httpx.get(served + "/")
    assert page.headers["content-type"].startswith("text/html")
    assert "You said" in talk(served, "--text", "hello there")
    for line in commands():
        argv = shlex.split(line)
        if argv[:2] == ["make", "serve"] and len(argv) > 2:
            port = free_port()
            argv = shlex.split(on_port(line, port))
            with running(["make", "--no-print-directory", *argv[1:]], port) as origin:
                assert talk(origin, "--text", "hello there")


PROGRAMS = [code for code in blocks("python") if not code.startswith("# app.py")]
ECHO_FIRST = "# against: realtime-sdk serve --handler echo"


@pytest.fixture(scope="module")
def echo_served() -> Iterator[str]:
    """`realtime-sdk serve --handler echo`, for the programs that say they run against it."""
    port = free_port()
    argv = [str(BIN / "realtime-sdk"), "serve", "--handler", "echo", "--port", str(port)]
    with running(argv, port) as origin:
        yield origin


@pytest.mark.parametrize("index", range(len(PROGRAMS)))
def test_python_block(index: int, served: str, echo_served: str, tmp_path: Path) -> None:
    """Each program (a handler module, `# app.py`, is served by test_serve_and_talk_lines)."""
    code = PROGRAMS[index]
    port = int((echo_served if code.startswith(ECHO_FIRST) else served).rsplit(":", 1)[1])
    done = subprocess.run(
        [sys.executable, "-c", on_port(code, port)],
        cwd=tmp_path, env=environment(), capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip(), "the example printed nothing"


@pytest.mark.parametrize("index", range(len(blocks("js"))))
def test_js_block(index: int, served: str) -> None:
    need((ROOT / "node_modules" / "@openai" / "agents-realtime").exists(), "npm ci not run")
    port = int(served.rsplit(":", 1)[1])
    folder = ROOT / "tests" / "artifacts"  # inside the project, so Node finds node_modules
    folder.mkdir(parents=True, exist_ok=True)
    script = folder / f"readme_{index}.mjs"
    script.write_text(on_port(blocks("js")[index], port))
    done = subprocess.run(
        ["node", str(script)], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip(), "the example printed nothing"


def test_translate_lines(echo_served: str, tmp_path: Path) -> None:
    """`talk --translate` lines, against `--handler echo` (the agent needs an LLM for them)."""
    lines = [line for line in commands() if "--translate" in line]
    assert lines
    for line in lines:
        argv = shlex.split(
            line.replace("/tmp/speech.wav", str(SPEECH)).replace("/tmp/", f"{tmp_path}/")
        )
        said = talk(echo_served, *argv[3:])
        assert "translation (" in said, said
        output = Path(argv[argv.index("--output") + 1])
        assert output.stat().st_size > 44, line


def test_serve_and_talk_lines(served: str, tmp_path: Path) -> None:
    """The `realtime-sdk` and `openssl` lines, in order, in a folder of their own: its
    /tmp paths become that folder, `app.py` is the README's handler, and an LLM URL
    points at a local chat-completions server."""
    from backends.test_llm import ChatServer, start_chat_server, stop_chat_server

    handler = next(code for code in blocks("python") if code.startswith("# app.py"))
    (tmp_path / "app.py").write_text(handler)
    chat = ChatServer(replies=[["Hi from ", "the LLM."]] * 3)
    chat_running = start_chat_server(chat)
    cert = tmp_path / "cert.pem"
    try:
        for line in commands():
            line = line.replace("/tmp/", f"{tmp_path}/")
            argv = shlex.split(line)
            if argv[0] == "openssl":
                subprocess.run(argv, cwd=tmp_path, check=True, capture_output=True, timeout=60)
            elif argv[:2] == ["realtime-sdk", "talk"] and "--translate" in argv:
                continue  # test_translate_lines
            elif argv[:2] == ["realtime-sdk", "talk"]:
                port = int(served.rsplit(":", 1)[1])
                argv = shlex.split(on_port(line, port))
                done = subprocess.run(
                    [str(BIN / "realtime-sdk"), *argv[1:], "--timeout", "60"],
                    cwd=ROOT, env=environment(), capture_output=True, text=True, timeout=120,
                )  # fmt: skip
                assert done.returncode == 0, line + "\n" + done.stdout + done.stderr
                assert "response.done" in done.stdout, done.stdout
                for i, arg in enumerate(argv[:-1]):
                    if arg == "--output":
                        assert Path(argv[i + 1]).stat().st_size > 44, line
            elif argv[:2] == ["realtime-sdk", "serve"]:
                port = free_port()
                argv = [str(BIN / "realtime-sdk"), *argv[1:], "--port", str(port)]
                argv = [a.replace("http://127.0.0.1:11434/v1", chat.url) for a in argv]
                key = argv[argv.index("--api-key") + 1] if "--api-key" in argv else ""
                extra = {"SSL_CERT_FILE": str(cert)} if "--ssl-certfile" in argv else {}
                # a FastRTC handler takes its own turns: it is spoken to, not typed to
                own = "--handler" in argv and ":" in argv[argv.index("--handler") + 1]
                with running(argv, port, cwd=tmp_path) as origin:
                    if own:
                        assert asyncio.run(spoken_turn(origin)) > SPEECH_S / 2
                        said = talk(origin, "--server-vad", "--input", str(SPEECH))
                        assert "completed" in said, said
                        continue
                    args = ["--text", "hello there"] + (["--api-key", key] if key else [])
                    said = talk(origin, *args, **extra)
                    assert "response.done" in said, said
                    if chat.url in argv:
                        assert "the LLM" in said, said
    finally:
        stop_chat_server(chat_running)
