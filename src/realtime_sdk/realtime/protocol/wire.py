"""`response.output_audio.delta` written as JSON directly: it is sent for every 20 ms of
audio of every session, and a model built, validated and dumped for each cost 6.6 us
against 2.4 here. tests/protocol/test_wire.py holds it equal to the generated model's form.
"""

from __future__ import annotations

import json
import re
from typing import Any, Final

from ..._generated._runtime import new_event_id

_PLAIN: Final = re.compile(r"[A-Za-z0-9_\-]*")


def _string(value: str) -> str:
    """A JSON string literal; ids (ours are plain) need no escaping."""
    return f'"{value}"' if _PLAIN.fullmatch(value) else json.dumps(value)


class AudioDelta:
    """A `response.output_audio.delta` event, already in its wire form; `delta` is base64
    (`b64encode_audio`'s output: nothing in it to escape)."""

    __slots__ = ("text",)
    type: Final = "response.output_audio.delta"

    def __init__(
        self, *, response_id: str, item_id: str, output_index: int, content_index: int, delta: str
    ) -> None:
        self.text = (
            f'{{"event_id":"{new_event_id()}","type":"response.output_audio.delta",'
            f'"response_id":{_string(response_id)},"item_id":{_string(item_id)},'
            f'"output_index":{int(output_index)},"content_index":{int(content_index)},'
            f'"delta":"{delta}"}}'
        )

    def model_dump_json(self, **_: Any) -> str:
        """The generated models' spelling, so `to_json` takes this event as it takes them."""
        return self.text
