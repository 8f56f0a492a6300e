"""The fields the 2026-08-21 sync added, as the session takes them: accepted and echoed,
passed on to the back-end, or refused by name where this server cannot honour them."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from helpers.session_harness import Harness, pcm

from realtime_sdk._generated import ga
from realtime_sdk._generated._runtime import EventValidationError
from realtime_sdk.realtime.protocol.capabilities import Capabilities
from realtime_sdk.realtime.protocol.outputs import Transcribe

MCP = {"type": "mcp", "server_label": "tools", "server_url": "http://127.0.0.1:9/mcp"}


def session_update(h: Harness, **session: Any) -> list[dict[str, Any]]:
    return h.send({"type": "session.update", "session": {"type": "realtime", **session}})


def test_transcription_languages_and_keywords_reach_the_transcriber() -> None:
    """Like `language` and `prompt`, they are the transcriber's to use: echoed in the
    session and handed on with each transcription job, for a back-end whose recogniser
    declares it hears those languages and takes keywords (others refuse them by name:
    test_transcription_settings)."""
    hears = frozenset({"en", "fr"})
    caps = Capabilities(
        transcription=True, transcription_languages=hears, transcription_prompts=True
    )
    h = Harness(capabilities=caps)
    wanted = {"model": "gpt-transcribe", "languages": ["en", "fr"], "keywords": ["Pipecat"]}
    audio = {"input": {"transcription": wanted, "turn_detection": None}}
    [updated] = session_update(h, audio=audio)
    assert updated["type"] == "session.updated"
    assert updated["session"]["audio"]["input"]["transcription"] == wanted
    h.send({"type": "input_audio_buffer.append", "audio": base64.b64encode(pcm(200)).decode()})
    h.send({"type": "input_audio_buffer.commit"})
    [job] = [w for w in h.work if isinstance(w, Transcribe)]
    assert job.config == wanted


def test_an_empty_languages_list_is_refused_by_name() -> None:
    h = Harness()
    audio = {"input": {"transcription": {"model": "gpt-transcribe", "languages": []}}}
    error = h.error({"type": "session.update", "session": {"type": "realtime", "audio": audio}})
    assert error["param"] == "session.audio.input.transcription.languages"


def test_the_new_models_are_accepted() -> None:
    h = Harness()
    for model in ("gpt-realtime-2.1", "gpt-realtime-2.1-mini"):
        [updated] = session_update(h, model=model)
        assert updated["session"]["model"] == model


def test_an_mcp_tunnel_is_refused_by_name() -> None:
    """Only OpenAI's service can reach a tunnel; a server_url is what this server calls."""
    h = Harness()
    [answer] = session_update(h, tools=[{**MCP, "tunnel_id": "tunnel_" + "0" * 32}])
    assert answer["error"]["code"] == "unsupported_feature"
    assert answer["error"]["param"] == "session.tools[0].tunnel_id"


def test_mcp_tools_only_a_program_may_call_are_refused_by_name() -> None:
    """Here the model calls tools directly; there is no programmatic caller to leave
    `["programmatic"]` tools to, so offering them to the model would break the setting."""
    h = Harness()
    [answer] = session_update(h, tools=[{**MCP, "allowed_callers": ["programmatic"]}])
    assert answer["error"]["code"] == "unsupported_feature"
    assert answer["error"]["param"] == "session.tools[0].allowed_callers"
    for callers in (["direct"], ["direct", "programmatic"], None):
        out = session_update(h, tools=[{**MCP, "allowed_callers": callers}])
        assert "session.updated" in h.types(out), out


def test_prompt_variables_take_a_cache_breakpoint() -> None:
    """The strict parser takes the cache hint in a prompt's variables (what the session
    then does with a stored prompt is its own rule, the same with or without the hint)."""
    text = {"type": "input_text", "text": "hi", "prompt_cache_breakpoint": {"mode": "explicit"}}
    prompt = {"id": "pmpt_1", "variables": {"greeting": text}}
    event = {"type": "session.update", "session": {"type": "realtime", "prompt": prompt}}
    parsed = ga.parse_client_event(event)
    assert parsed.model_dump(mode="json", exclude_unset=True)["session"]["prompt"] == prompt
    bad = {**text, "prompt_cache_breakpoint": {"mode": "implicit"}}
    event["session"]["prompt"] = {"id": "pmpt_1", "variables": {"greeting": bad}}
    with pytest.raises(EventValidationError) as refused:
        ga.parse_client_event(event)
    assert refused.value.param == "session.prompt.variables.greeting.prompt_cache_breakpoint.mode"
