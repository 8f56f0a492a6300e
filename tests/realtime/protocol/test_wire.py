"""The audio delta written directly is what the generated model would have sent."""

from __future__ import annotations

import base64
import json
import os

from realtime_sdk._generated._runtime import to_json
from realtime_sdk._generated.ga import parse_server_event
from realtime_sdk._generated.ga import server_stub as ev
from realtime_sdk.realtime.protocol.outputs import Send
from realtime_sdk.realtime.protocol.wire import AudioDelta


def test_audio_delta_equals_the_generated_event() -> None:
    for size in (0, 3, 960, 48_000):
        delta = base64.b64encode(os.urandom(size)).decode()
        cases = [("resp_abc", "item_x-1", 0, 0), ('resp "odd"', "item\\\u00e9\n", 3, 1)]
        for response_id, item_id, output_index, content_index in cases:
            fields = {
                "response_id": response_id,
                "item_id": item_id,
                "output_index": output_index,
                "content_index": content_index,
                "delta": delta,
            }
            fast = AudioDelta(**fields)
            model = ev.response_output_audio_delta(**fields, event_id="event_x")
            ours, theirs = json.loads(fast.text), json.loads(to_json(model))
            assert ours.pop("event_id").startswith("event_")
            theirs.pop("event_id")
            assert ours == theirs
            assert list(json.loads(fast.text)) == list(json.loads(to_json(model)))  # key order
            parsed = parse_server_event(fast.text)  # strict clients read it as the model
            assert parsed.type == "response.output_audio.delta"
            assert Send(fast).text() == fast.text == to_json(fast)  # type: ignore[arg-type]
