"""A `null` the spec does not allow is an error event naming the field, and the session goes on
(it used to pass validation and fail the next response: `"output_modalities": null`)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from realtime_sdk.realtime.protocol.ids import Ids
from realtime_sdk.realtime.protocol.outputs import Send
from realtime_sdk.realtime.protocol.session import Session


class Harness:
    def __init__(self) -> None:
        self.session = Session(ids=Ids.counting(), now_s=1_700_000_000)
        self.session.start()
        self.send_raw(None)

    def send_raw(self, event: dict[str, Any] | None) -> list[dict[str, Any]]:
        if event is not None:
            self.session.receive(json.dumps(event))
        return [json.loads(out.text()) for out in self.session.take() if isinstance(out, Send)]

    def update(self, **fields: Any) -> list[dict[str, Any]]:
        return self.send_raw({"type": "session.update", "session": {"type": "realtime", **fields}})


@pytest.mark.parametrize(
    ("fields", "param"),
    [
        ({"audio": None}, "session.audio"),
        ({"audio": {"input": None}}, "session.audio.input"),
        ({"audio": {"output": None}}, "session.audio.output"),
        ({"instructions": None}, "session.instructions"),
        ({"tools": None}, "session.tools"),
        ({"output_modalities": None}, "session.output_modalities"),
    ],
)
def test_a_refused_null_leaves_the_session_as_it_was(fields: dict[str, Any], param: str) -> None:
    harness = Harness()
    [error] = harness.update(**fields)
    assert error["type"] == "error"
    assert (error["error"]["code"], error["error"]["param"]) == ("invalid_type", param)
    answer = harness.send_raw({"type": "response.create"})
    assert answer[0]["type"] == "response.created"


def test_nullable_fields_still_take_null_and_client_nulls_are_read_as_sent() -> None:
    harness = Harness()
    [updated] = harness.update(
        tracing={"workflow_name": "wf", "group_id": None, "metadata": None},
        audio={"input": {"turn_detection": None, "transcription": {"model": "whisper-1"}}},
    )
    assert updated["type"] == "session.updated"
    assert updated["session"]["tracing"] == {"workflow_name": "wf"}
    assert updated["session"]["audio"]["input"]["turn_detection"] is None
    [updated] = harness.update(audio={"input": {"transcription": None}})
    assert updated["session"]["audio"]["input"]["transcription"] is None
