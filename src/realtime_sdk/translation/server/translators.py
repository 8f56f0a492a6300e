"""Which translator serves `/v1/realtime/translations` for the back-end a server runs, so
that `serve --handler ...` offers translation with the same back-end: echo with echo, the
agent's pipeline with the agent (and its LLM), a FastRTC handler with that handler. Other
back-ends (a reply function, a native responder) have no translation side: None."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ...backends.translation import Translator


def translator_factory_for(backend_factory: Callable[[], Any]) -> Callable[[], Translator] | None:
    """A translator factory matching what `backend_factory` makes (one made to look)."""
    sample = backend_factory()
    module = type(sample).__module__
    if module == "realtime_sdk.backends.echo":
        from ...backends.translation_echo import EchoTranslator

        return EchoTranslator
    translator: Translator
    if module.startswith("realtime_sdk.backends.fastrtc") and hasattr(sample, "prototype"):
        from ...backends.fastrtc.translator import FastRTCTranslator

        translator = FastRTCTranslator(sample.prototype)
    elif module.startswith("realtime_sdk.backends.agent"):
        from ...backends.agent.translator import AgentTranslator

        translator = AgentTranslator(getattr(sample, "llm", None))
    else:
        return None
    return lambda: translator
