"""A sans-I/O session and what it sent, for the protocol tests: every event it sends is
validated with openai-python's GA models, as openai-agents does with every event it receives.
"""

from __future__ import annotations

import json
from typing import Any

from openai.types.realtime import RealtimeServerEvent
from pydantic import TypeAdapter

from realtime_sdk.realtime.protocol.ids import Ids
from realtime_sdk.realtime.protocol.outputs import Send, StartResponse
from realtime_sdk.realtime.protocol.session import Session

OPENAI_EVENTS: TypeAdapter[Any] = TypeAdapter(RealtimeServerEvent)


class Harness:
    """A session plus the events it sent, as JSON dicts, checked against openai-python."""

    def __init__(self, **kwargs: Any) -> None:
        self.session = Session(ids=Ids.counting(), now_s=1_700_000_000, **kwargs)
        self.session.start()
        self.work: list[Any] = []
        self.events: list[dict[str, Any]] = []
        self.drain()

    def drain(self) -> list[dict[str, Any]]:
        new: list[dict[str, Any]] = []
        for out in self.session.take():
            if isinstance(out, Send):
                text = out.text()
                OPENAI_EVENTS.validate_json(text)
                new.append(json.loads(text))
            else:
                self.work.append(out)
        self.events.extend(new)
        return new

    def send(self, event: dict[str, Any]) -> list[dict[str, Any]]:
        self.session.receive(json.dumps(event))
        return self.drain()

    def types(self, events: list[dict[str, Any]]) -> list[str]:
        return [e["type"] for e in events]

    def error(self, event: dict[str, Any]) -> dict[str, Any]:
        [answer] = self.send(event)
        assert answer["type"] == "error"
        error: dict[str, Any] = answer["error"]
        return error

    def start_response(self, **params: Any) -> str:
        out = self.send({"type": "response.create", **({"response": params} if params else {})})
        assert self.types(out) == ["response.created"]
        work = self.work.pop()
        assert isinstance(work, StartResponse)
        return work.response_id


def pcm(ms: int, rate: int = 24000) -> bytes:
    return b"\x01\x00" * (rate * ms // 1000)


def user_text(text: str) -> dict[str, Any]:
    return {
        "type": "conversation.item.create",
        "item": {
            "type": "message",
            "role": "user",
            "content": [{"type": "input_text", "text": text}],
        },
    }
