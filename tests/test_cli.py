"""`realtime-sdk serve`: what `--handler` resolves to, what reaches uvicorn, and a real
server process answering the official Python SDK with a FastRTC handler."""

from __future__ import annotations

import asyncio
import base64
import gc
import json
import os
import re
import signal
import ssl
import subprocess
import sys
import threading
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from helpers.need import need
from helpers.paths import AUDIO_FIXTURES, TESTS
from helpers.selfsigned import make_self_signed
from openai import AsyncOpenAI
from websockets.asyncio.client import connect

from realtime_sdk import cli
from realtime_sdk.audio import read_wav
from realtime_sdk.backends.echo import EchoBackend
from realtime_sdk.backends.fastrtc import ReplyFunctionResponder

SPEECH = AUDIO_FIXTURES / "fastrtc-how-are-you-24k.wav"


def best_ncc(a: np.ndarray, b: np.ndarray) -> float:
    """Normalized cross-correlation of the shorter signal in the longer, at the best lag
    (every path resamples, so samples do not line up one to one)."""
    x, y = a.astype(np.float64), b.astype(np.float64)
    if len(x) > len(y):
        x, y = y, x
    size = 1 << (len(x) + len(y)).bit_length()
    corr = np.fft.irfft(np.fft.rfft(y, size) * np.conj(np.fft.rfft(x, size)), size)
    corr = corr[: len(y) - len(x) + 1]
    energy = np.concatenate([[0.0], np.cumsum(y * y)])
    window = np.sqrt(np.maximum(energy[len(x) :] - energy[: -len(x)], 1e-9))
    return float((corr / (np.linalg.norm(x) * window)).max())


def fastrtc_needed() -> None:
    try:
        import fastrtc  # noqa: F401
    except ImportError:
        need(False, "fastrtc is not installed (pip install 'realtime-sdk[fastrtc]')")


# -- --handler ------------------------------------------------------------------------------


def test_built_in_and_native_backends() -> None:
    assert isinstance(cli.backend_factory("echo")(), EchoBackend)
    factory = cli.backend_factory("realtime_sdk.backends.echo:EchoBackend")
    first, second = factory(), factory()
    assert isinstance(first, EchoBackend) and first is not second  # a class: one per session
    from helpers import cli_handlers

    assert cli.backend_factory("helpers.cli_handlers:echo_instance")() is cli_handlers.echo_instance


def test_fastrtc_handler_instance_and_class() -> None:
    fastrtc_needed()
    from realtime_sdk.backends.fastrtc import FastRTCBackend

    for name in ("pause_echo", "EchoHandler"):
        backend = cli.backend_factory(f"helpers.cli_handlers:{name}")()
        assert isinstance(backend, FastRTCBackend), name


def test_reply_function() -> None:
    backend = cli.backend_factory("helpers.cli_handlers:echo_reply")()
    assert isinstance(backend, ReplyFunctionResponder)


@pytest.mark.parametrize(
    ("spec", "says"),
    [
        ("nonsense", "expected a built-in name or module:attr"),
        ("no_such_module_here:x", "cannot import no_such_module_here"),
        ("helpers.cli_handlers:missing", "has no 'missing'"),
        ("helpers.cli_handlers:NOT_A_BACKEND", "not a back-end, FastRTC handler or reply function"),
    ],
)
def test_bad_handlers_exit_with_a_message(spec: str, says: str) -> None:
    with pytest.raises(SystemExit) as exited:
        cli.backend_factory(spec)
    assert says in str(exited.value)


def test_serve_hands_tls_keys_and_limits_to_uvicorn(monkeypatch: pytest.MonkeyPatch) -> None:
    import uvicorn

    seen: dict[str, Any] = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, **kwargs: seen.update(app=app, **kwargs))
    monkeypatch.setenv(cli.API_KEYS_ENV, "sk-env-1, sk-env-2")
    argv = ["serve", "--port", "9999", "--api-key", "sk-arg", "--no-turn-detection"]
    argv += ["--ssl-certfile", "c.pem", "--ssl-keyfile", "k.pem"]
    assert cli.main(argv) == 0
    assert (seen["ssl_certfile"], seen["ssl_keyfile"], seen["port"]) == ("c.pem", "k.pem", 9999)
    assert seen["ws"] == "websockets-sansio"
    auth = seen["app"].state.realtime_auth
    assert auth.api_keys == {"sk-arg", "sk-env-1", "sk-env-2"}
    assert cli.main([*argv, "--cors-origin", "https://a.example", "--cors-origin", "http://b"]) == 0
    cors = next(m for m in seen["app"].user_middleware if "CORS" in m.cls.__name__)
    assert cors.kwargs["allow_origins"] == ["https://a.example", "http://b"]


@pytest.fixture(autouse=True)
def unfrozen() -> Iterator[None]:
    """`serve` freezes the heap it loaded; the test process gets it back afterwards."""
    yield
    gc.unfreeze()


def test_serve_freezes_what_it_loaded_before_the_first_session(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import uvicorn

    seen: dict[str, int] = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, **_: seen.update(frozen=gc.get_freeze_count()))
    gc.unfreeze()
    assert cli.main(["serve", "--handler", "echo", "--port", "9999"]) == 0
    assert seen["frozen"] > 10_000  # the libraries and the app: out of every full collection

    class Node:
        link: object = None

    cycle = Node()
    cycle.link = cycle  # garbage a session leaves behind later is still collected
    gone = weakref.ref(cycle)
    del cycle
    gc.collect()
    assert gone() is None


def test_keyfile_without_certfile_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        cli.main(["serve", "--ssl-keyfile", "k.pem"])
    assert "--ssl-keyfile needs --ssl-certfile" in capsys.readouterr().err


# -- a real `realtime-sdk serve` process ------------------------------------------------------


def _command() -> list[str]:
    script = Path(sys.executable).with_name("realtime-sdk")
    return [str(script)] if script.exists() else [sys.executable, "-m", "realtime_sdk.cli"]


@contextmanager
def serve_process(*args: str, cwd: Path = TESTS) -> Iterator[tuple[int, list[str]]]:
    """`realtime-sdk serve --port 0 ARGS` in `cwd`; yields the port it bound and its log."""
    process = subprocess.Popen(
        [*_command(), "serve", "--port", "0", *args],
        cwd=cwd,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    log: list[str] = []
    bound = threading.Event()
    port: list[int] = []

    def read() -> None:
        assert process.stderr is not None
        for line in process.stderr:  # drained to the end, so the pipe never fills
            log.append(line)
            found = re.search(r"Uvicorn running on https?://[\d.]+:(\d+)", line)
            if found:
                port.append(int(found.group(1)))
                bound.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        assert bound.wait(60), "".join(log)
        yield port[0], log
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)
        reader.join(5)


def test_serve_a_fastrtc_handler_to_the_python_sdk() -> None:
    """ReplyOnPause(echo, model=local VAD) named as module:attr, found in the working
    directory like uvicorn's apps; the SDK streams speech, the handler says it back."""
    fastrtc_needed()
    rate, speech = read_wav(SPEECH)
    assert rate == 24000
    sent = np.concatenate([speech, np.zeros(rate * 2, dtype=np.int16)])

    async def talk(port: int) -> list[Any]:
        client = AsyncOpenAI(base_url=f"http://127.0.0.1:{port}/v1", api_key="sk-cli")
        async with client.realtime.connect(model="gpt-realtime") as conn:
            for start in range(0, len(sent), 480):
                chunk = sent[start : start + 480].tobytes()
                await conn.input_audio_buffer.append(audio=base64.b64encode(chunk).decode())
            events = []
            async for event in conn:
                events.append(event)
                if event.type == "response.done":
                    return events
        raise AssertionError("closed before response.done")

    with serve_process("--handler", "helpers.cli_handlers:pause_echo", "--api-key", "sk-cli") as (
        port,
        log,
    ):
        events = asyncio.run(asyncio.wait_for(talk(port), 60))
    types = [e.type for e in events]
    assert "error" not in types, [e for e in events if e.type == "error"]
    for expected in ("input_audio_buffer.speech_started", "input_audio_buffer.speech_stopped"):
        assert expected in types
    assert events[-1].response.status == "completed", (events[-1], "".join(log))
    audio = b"".join(
        base64.b64decode(e.delta) for e in events if e.type == "response.output_audio.delta"
    )
    back = np.frombuffer(audio, dtype=np.int16)
    # the utterance said back (ReplyOnPause clips its first ~250 ms and adds some of the pause)
    loud = np.nonzero(np.abs(back) > 64)[0]
    said = back[: loud[-1] + 1] if len(loud) else back[:0]
    assert len(said) > 24000 // 2
    assert best_ncc(said, speech) > 0.9
    assert any("session" in line and "opened" in line for line in log)  # per-session logs


def test_serve_over_tls(tmp_path: Path) -> None:
    """--ssl-certfile/--ssl-keyfile: the same server over wss://, with a key required."""
    tls = make_self_signed(tmp_path)
    context = ssl.create_default_context(cafile=str(tls.certfile))

    async def hello(port: int) -> dict[str, Any]:
        async with connect(
            f"wss://127.0.0.1:{port}/v1/realtime?model=gpt-realtime",
            ssl=context,
            additional_headers={"Authorization": "Bearer sk-tls"},
        ) as ws:
            created: dict[str, Any] = json.loads(await ws.recv())
            return created

    args = ["--ssl-certfile", str(tls.certfile), "--ssl-keyfile", str(tls.keyfile)]
    with serve_process(*args, "--api-key", "sk-tls", "--no-turn-detection") as (port, log):
        created = asyncio.run(asyncio.wait_for(hello(port), 20))
    assert created["type"] == "session.created"
    assert any("https://" in line for line in log)


@pytest.mark.parametrize("flag", [[], ["--ws-deflate"]], ids=["default", "ws-deflate"])
def test_websocket_compression_only_when_asked_for(flag: list[str]) -> None:
    """Clients built on `websockets` (openai-python among them) offer permessage-deflate;
    the server declines unless `--ws-deflate` (deflating base64 audio costs more than it saves)."""

    async def negotiate(port: int) -> tuple[str | None, str]:
        url = f"ws://127.0.0.1:{port}/v1/realtime?model=gpt-realtime"
        async with connect(url) as ws:  # offers permessage-deflate, as openai-python does
            assert "permessage-deflate" in (
                ws.request.headers.get("Sec-WebSocket-Extensions") or ""
            )
            assert ws.response is not None
            first = json.loads(await ws.recv())
            return ws.response.headers.get("Sec-WebSocket-Extensions"), first["type"]

    with serve_process("--handler", "echo", "--no-turn-detection", *flag) as (port, _log):
        extensions, first = asyncio.run(asyncio.wait_for(negotiate(port), 30))
    assert first == "session.created"
    if flag:
        assert extensions is not None and "permessage-deflate" in extensions
    else:
        assert extensions is None
