"""`serve --handler X` translates with the same back-end: which translator each kind of
back-end gets (what `realtime-sdk serve` puts in its ServerConfig)."""

from __future__ import annotations

import importlib.util

import pytest
from helpers.need import need

from realtime_sdk.backends.echo import EchoBackend
from realtime_sdk.backends.translation_echo import EchoTranslator
from realtime_sdk.cli import backend_factory
from realtime_sdk.translation.server.translators import translator_factory_for


def test_echo_translates_with_echo() -> None:
    assert translator_factory_for(EchoBackend) is EchoTranslator
    assert translator_factory_for(backend_factory("echo")) is EchoTranslator


def test_a_fastrtc_handler_translates_with_the_same_handler() -> None:
    need(importlib.util.find_spec("fastrtc") is not None, "fastrtc is not installed")
    from realtime_sdk.backends.fastrtc import FastRTCTranslator

    factory = translator_factory_for(backend_factory("helpers.cli_handlers:EchoHandler"))
    assert factory is not None
    translator = factory()
    assert isinstance(translator, FastRTCTranslator)
    assert type(translator.prototype).__name__ == "EchoHandler"
    assert factory() is translator  # one per server; a handler copy() per session


def test_the_agent_translates_with_its_llm() -> None:
    need(importlib.util.find_spec("pocketsphinx") is not None, "the agent extra is missing")
    from realtime_sdk.backends.agent import OfflineAgent
    from realtime_sdk.backends.agent.translator import AgentTranslator

    factory = translator_factory_for(lambda: OfflineAgent(llm_base_url="http://127.0.0.1:9/v1"))
    assert factory is not None
    translator = factory()
    assert isinstance(translator, AgentTranslator)
    assert translator.llm is not None and translator.llm.base_url == "http://127.0.0.1:9/v1"
    assert translator_factory_for(OfflineAgent)().check({}) is not None  # type: ignore[misc]


@pytest.mark.parametrize("spec", ["helpers.cli_handlers:echo_reply"])
def test_a_reply_function_has_no_translation_side(spec: str) -> None:
    need(importlib.util.find_spec("fastrtc") is not None, "fastrtc is not installed")
    assert translator_factory_for(backend_factory(spec)) is None
