"""The `param` of a refused client event names a field of the payload, never a union
member's name that pydantic puts at the end of its error location."""

from __future__ import annotations

import json

import pytest

from realtime_sdk._generated._runtime import EventValidationError
from realtime_sdk._generated.ga import parse_client_event


def refused(event: dict[str, object]) -> EventValidationError:
    with pytest.raises(EventValidationError) as caught:
        parse_client_event(json.dumps(event))
    return caught.value


def test_a_wrong_type_in_a_union_field_names_the_field() -> None:
    session = {"type": "realtime", "audio": {"input": {"transcription": {"model": 5}}}}
    error = refused({"type": "session.update", "session": session})
    assert error.code == "invalid_type"
    assert error.param == "session.audio.input.transcription.model"


def test_a_missing_field_is_still_named() -> None:
    error = refused({"type": "conversation.item.delete"})
    assert (error.code, error.param) == ("missing_required_parameter", "item_id")
