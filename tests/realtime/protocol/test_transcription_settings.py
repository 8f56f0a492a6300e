"""Transcription settings a back-end's recogniser cannot honour are refused by name at
`session.update` (and when a session starts with them); the ones it can are taken."""

from __future__ import annotations

from typing import Any

import pytest
from helpers.session_harness import Harness

from realtime_sdk.backends.agent.agent import OfflineAgent
from realtime_sdk.backends.echo import EchoBackend
from realtime_sdk.realtime.protocol.config import ConfigError
from realtime_sdk.realtime.protocol.session import Session

AGENT = OfflineAgent.capabilities
PARAM = "session.audio.input.transcription"


def update(h: Harness, transcription: dict[str, Any], **more: Any) -> dict[str, Any]:
    audio = {"input": {"transcription": transcription}}
    [answer] = h.send(
        {"type": "session.update", "session": {"type": "realtime", "audio": audio, **more}}
    )
    return answer


@pytest.mark.parametrize("model", ["gpt-4o-transcribe", "whisper-1", "gpt-realtime-whisper"])
def test_the_agent_takes_any_model_name_and_english(model: str) -> None:
    h = Harness(capabilities=AGENT)
    for language in ("en", "en-US"):
        answer = update(h, {"model": model, "language": language})
        assert answer["type"] == "session.updated", answer
        assert answer["session"]["audio"]["input"]["transcription"]["language"] == language
    assert update(h, {"model": model, "languages": ["en", "en-GB"]})["type"] == "session.updated"


@pytest.mark.parametrize(
    ("settings", "param"),
    [
        ({"model": "whisper-1", "language": "fr"}, f"{PARAM}.language"),
        ({"model": "whisper-1", "languages": ["en", "de"]}, f"{PARAM}.languages[1]"),
        ({"model": "whisper-1", "prompt": "Names: Ada"}, f"{PARAM}.prompt"),
        ({"model": "whisper-1", "keywords": ["Ada"]}, f"{PARAM}.keywords"),
        ({"model": "gpt-transcribe", "delay": "low"}, f"{PARAM}.delay"),
        ({"model": "gpt-4o-transcribe-diarize"}, f"{PARAM}.model"),
    ],
)
def test_what_the_agent_cannot_honour_is_refused_by_name(
    settings: dict[str, Any], param: str
) -> None:
    h = Harness(capabilities=AGENT)
    before = h.session.config
    answer = update(h, settings)
    assert answer["type"] == "error", answer
    assert (answer["error"]["code"], answer["error"]["param"]) == ("unsupported_feature", param)
    assert h.session.config == before


def test_logprobs_are_taken_where_the_recogniser_gives_them_and_refused_elsewhere() -> None:
    include = ["item.input_audio_transcription.logprobs"]
    agent = Harness(capabilities=AGENT)
    assert update(agent, {"model": "whisper-1"}, include=include)["type"] == "session.updated"
    h = Harness(capabilities=EchoBackend.capabilities)
    answer = update(h, {"model": "whisper-1"}, include=include)
    assert (answer["error"]["code"], answer["error"]["param"]) == (
        "unsupported_feature",
        "session.include[0]",
    )


def test_a_back_end_without_a_recogniser_takes_a_model_name_only() -> None:
    """Clients (openai-agents) send a transcription model by default, so echo takes it (each
    turn's transcription then fails, naming why); a language it cannot be told is refused."""
    h = Harness(capabilities=EchoBackend.capabilities)
    assert update(h, {"model": "gpt-4o-mini-transcribe"})["type"] == "session.updated"
    answer = update(h, {"model": "gpt-4o-mini-transcribe", "language": "en"})
    assert answer["error"]["param"] == f"{PARAM}.language"


def test_a_transcription_session_starting_with_a_refused_language_is_refused() -> None:
    config = {"type": "transcription", "audio": {"input": {"transcription": {"language": "fr"}}}}
    with pytest.raises(ConfigError) as refused:
        Session(capabilities=AGENT, config=config)
    assert refused.value.param == f"{PARAM}.language"
