"""Shared by the back-end tests: the chat-completions stand-in the LLM back-end streams from,
and the check that the agent extra is there."""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator

import pytest
from helpers.chat_server import ChatServer, start_chat_server, stop_chat_server
from helpers.need import need


@pytest.fixture(scope="module")
def chat() -> Iterator[ChatServer]:
    """One server per module (a module may override it with its own)."""
    server = ChatServer()
    running = start_chat_server(server)
    try:
        yield server
    finally:
        stop_chat_server(running)


@pytest.fixture
def agent_installed() -> None:
    """Skip unless the agent extra (pocketsphinx, espeak-ng) is installed."""
    for module in ("pocketsphinx", "espeakng_loader"):
        need(importlib.util.find_spec(module) is not None, f"{module} is not installed")
