"""The `oai-events` data channel: its label, how full it may get, and the peer's message limit.

A peer says in its SDP how large a message it takes (`a=max-message-size`, RFC 8841). An
event over that limit cannot be sent; the server end then sends an `error` saying so, since
the client would otherwise wait for the event forever.
"""

from __future__ import annotations

import json
import re

from ..._generated._runtime import new_id

EVENTS_LABEL = "oai-events"
HIGH_WATER = 1 << 20  # bytes queued on the data channel before send() waits
LOW_WATER = 1 << 18
DEFAULT_MAX_MESSAGE = 65536  # what aiortc assumes when an offer names no max-message-size


def max_message_size(sdp: str) -> int:
    """The largest data-channel message the SDP's author accepts (`a=max-message-size`,
    RFC 8841; 0 means no limit). Chrome says 262144: an event carrying a few seconds
    of audio, such as `conversation.item.retrieved`, does not fit."""
    found = re.search(r"^a=max-message-size:(\d+)", sdp, re.MULTILINE)
    return int(found.group(1)) if found else DEFAULT_MAX_MESSAGE


def too_large_error(text: str, limit: int) -> str:
    """The `error` event sent instead of an event over the peer's message limit."""
    try:
        kind = str(json.loads(text).get("type", "event"))
    except (ValueError, AttributeError):
        kind = "event"
    size = len(text.encode())
    message = (
        f"The {kind} event is {size} bytes, over the {limit} bytes this peer's data channel "
        "accepts (its SDP's max-message-size), so it was not sent."
    )
    error = {
        "type": "invalid_request_error",
        "code": "event_too_large",
        "message": message,
        "param": None,
        "event_id": None,
    }
    return json.dumps({"type": "error", "event_id": new_id("event_"), "error": error})
