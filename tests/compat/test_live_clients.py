"""pipecat's OpenAILiveLLMService and livekit-agents' GPTLiveModel, unmodified, against
real servers (uvicorn on 127.0.0.1: the offline agent, echo, and the agent on the
chat-completions stand-in for responses delegation), driven with no audio device by the
scripts in `live_clients/`. They cannot share the test environment (see its requirements.txt), so
the first run makes one for them under tests/artifacts/ and runs them there."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers.chat_server import Call, ChatServer, start_chat_server, stop_chat_server
from helpers.need import need
from helpers.paths import AUDIO_FIXTURES
from helpers.servers import Running, serve

from realtime_sdk.app import ServerConfig
from realtime_sdk.backends.echo import EchoBackend

HERE = Path(__file__).resolve().parent / "live_clients"
VENV = Path(__file__).resolve().parents[1] / "artifacts" / "live-clients-venv"
KEY = "sk-live-clients"
SPEECH = AUDIO_FIXTURES / "fastrtc-how-are-you-24k.wav"


@pytest.fixture(scope="module")
def python() -> Path:
    """The clients' interpreter, made once from requirements.txt with uv."""
    exe = VENV / "bin" / "python"
    stamp = VENV / "requirements.txt"
    wanted = (HERE / "requirements.txt").read_text()
    if not exe.exists() or not stamp.exists() or stamp.read_text() != wanted:
        uv = Path(sys.executable).parent / "uv"
        need(uv.exists(), "uv is not installed in the test environment")
        subprocess.run(
            [uv, "venv", "--python", sys.executable, VENV], check=True, capture_output=True
        )
        made = subprocess.run(
            [uv, "pip", "install", "--python", exe, "-r", HERE / "requirements.txt"],
            capture_output=True,
            text=True,
            timeout=600,
        )
        need(made.returncode == 0, f"the Live clients did not install: {made.stderr[-500:]}")
        stamp.write_text(wanted)
    return exe


@pytest.fixture(scope="module")
def agent() -> Iterator[Running]:
    from realtime_sdk.backends.agent import OfflineAgent

    with serve(ServerConfig(backend_factory=OfflineAgent, api_keys=frozenset({KEY}))) as running:
        yield running


@pytest.fixture(scope="module")
def echo() -> Iterator[Running]:
    with serve(ServerConfig(backend_factory=EchoBackend, api_keys=frozenset({KEY}))) as running:
        yield running


@pytest.fixture(scope="module")
def llm_agent() -> Iterator[tuple[Running, ChatServer]]:
    """The offline agent on the chat-completions stand-in: it delegates the weather."""
    from realtime_sdk.backends.agent import OfflineAgent

    chat = ChatServer()
    chat_running = start_chat_server(chat)
    config = ServerConfig(
        backend_factory=lambda: OfflineAgent(llm_base_url=chat.url), api_keys=frozenset({KEY})
    )
    try:
        with serve(config) as running:
            yield running, chat
    finally:
        stop_chat_server(chat_running)


def run_client(python: Path, script: str, *args: str) -> dict[str, object]:
    done = subprocess.run(
        [python, HERE / script, *args], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def live_url(server: Running) -> str:
    return f"ws://{server.host}:{server.port}/v1/live/sessions"


WEATHER = [
    [Call("delegate", '{"task": "the weather in Paris"}', "call_d")],
    [Call("get_weather", '{"city": "Paris"}', "call_w")],
    ["It is sunny in Paris."],  # the Responses model, with the tool's output
    ["It is sunny in Paris."],  # the voice, saying it
]


def check_weather(result: dict[str, object], chat: ChatServer, output: str) -> None:
    """The responses delegation: the model's call of the app's tool, answered by the client
    with `output` (as the client writes the tool's result: pipecat sends it as JSON)."""
    assert result["responses_errors"] == []
    assert result["responses_said"] == "It is sunny in Paris."
    tool_turn = chat.requests[2]["messages"][-1]
    assert tool_turn == {"role": "tool", "tool_call_id": "call_w", "content": output}


def test_pipecat_open_ai_live_llm_service(
    python: Path, agent: Running, echo: Running, llm_agent: tuple[Running, ChatServer]
) -> None:
    with_llm, chat = llm_agent
    chat.requests.clear()
    chat.replies = [list(r) for r in WEATHER]
    urls = (live_url(agent), live_url(echo), live_url(with_llm))
    result = run_client(python, "pipecat_live.py", *urls, KEY, str(SPEECH))
    check_weather(result, chat, '"sunny"')
    assert result["tool_calls"] == ['{"city": "Paris"}']
    assert result["errors"] == [] and result["delegate_errors"] == []
    # with no delegation back-end of its own, pipecat answers with a spoken decline
    assert result["delegations"] == 1
    assert result["answer"] == "No backend is available to handle delegated work in this session."
    assert result["heard"] == "how are you doing today"
    assert result["said"] == 'You said: "how are you doing today". That was 5 words.'
    assert isinstance(result["audio_s"], float) and result["audio_s"] > 4
    assert isinstance(result["peak"], int) and result["peak"] > 1000


def test_livekit_gpt_live_model(
    python: Path, agent: Running, echo: Running, llm_agent: tuple[Running, ChatServer]
) -> None:
    with_llm, chat = llm_agent
    chat.requests.clear()
    chat.replies = [list(r) for r in WEATHER]
    urls = (agent.base_url, echo.base_url, with_llm.base_url)
    result = run_client(python, "livekit_live.py", *urls, KEY, str(SPEECH))
    assert result["errors"] == [] and result["delegate_errors"] == []
    assert result["heard"] == "how are you doing today"
    assert result["said"] == 'You said: "how are you doing today". That was 5 words.'
    assert isinstance(result["peak"], int) and result["peak"] > 1000
    assert (result["delegations"], result["answer"]) == (1, "it is sunny")
    check_weather(result, chat, "sunny")
    assert result["tool_calls"] == [["get_weather", '{"city": "Paris"}']]
