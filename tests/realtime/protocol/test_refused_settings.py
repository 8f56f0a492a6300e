"""Settings no back-end here can honour are refused by name, wherever they come from."""

from __future__ import annotations

import pytest
from helpers.session_harness import Harness

from realtime_sdk.realtime.protocol.config import ConfigError
from realtime_sdk.realtime.protocol.session import Session

PROMPT = {"id": "pmpt_123", "version": "2"}


def test_a_stored_prompt_is_refused_in_session_update_and_response_create() -> None:
    h = Harness()
    error = h.error({"type": "session.update", "session": {"type": "realtime", "prompt": PROMPT}})
    assert (error["code"], error["param"]) == ("unsupported_feature", "session.prompt")
    assert h.session.config["prompt"] is None
    error = h.error({"type": "response.create", "response": {"prompt": PROMPT}})
    assert (error["code"], error["param"]) == ("unsupported_feature", "response.prompt")
    h.send({"type": "session.update", "session": {"type": "realtime", "prompt": None}})
    assert h.events[-1]["type"] == "session.updated"  # no prompt: nothing to refuse


def test_a_stored_prompt_in_a_starting_session_is_refused() -> None:
    with pytest.raises(ConfigError) as refused:
        Session(config={"prompt": PROMPT})
    assert refused.value.param == "session.prompt"
