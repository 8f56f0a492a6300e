"""The protocol's `error` event, as the session sends it."""

from __future__ import annotations

from pydantic import BaseModel

from ..._generated.ga import server_stub as ev


def error_event(
    code: str,
    message: str,
    param: str | None,
    event_id: str | None,
    kind: str = "invalid_request_error",
) -> BaseModel:
    """`{type: "error", error: {type, code, message, param, event_id}}`; `event_id` echoes
    the client event the error answers, None when it answers none."""
    return ev.error(
        error={"type": kind, "code": code, "message": message, "param": param, "event_id": event_id}
    )
