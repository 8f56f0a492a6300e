"""Events as a legacy beta client receives them, checked with openai-python's beta models
and our generated beta server models."""

from __future__ import annotations

import json
from typing import Any

from openai import AsyncOpenAI
from pydantic import TypeAdapter

from helpers.need import need
from realtime_sdk._generated._runtime import UnknownServerEvent
from realtime_sdk._generated.beta import parse_server_event as parse_beta_server_event

try:
    from openai.types.beta.realtime import RealtimeServerEvent as OpenAIBetaServerEvent
except ImportError:  # gone from some future openai-python
    OpenAIBetaServerEvent = None


def check_beta(raw: str | bytes) -> dict[str, Any]:
    """One event as a beta client receives it, validated by both beta model sets."""
    need(OpenAIBetaServerEvent is not None, "openai-python has no beta realtime types")
    TypeAdapter(OpenAIBetaServerEvent).validate_json(raw)
    ours = parse_beta_server_event(raw)
    event: dict[str, Any] = json.loads(raw)
    assert not isinstance(ours, UnknownServerEvent), (event.get("type"), ours.problem)
    return event


def need_beta_client() -> None:
    need(
        hasattr(AsyncOpenAI(api_key="x").beta, "realtime"),
        "openai-python no longer has client.beta.realtime",
    )
