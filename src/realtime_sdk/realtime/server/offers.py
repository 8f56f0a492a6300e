"""A WebRTC offer as clients post it: a raw `application/sdp` body (also to
`POST /v1/realtime?model=`, as beta clients post it), or `multipart/form-data` with
parts `sdp` and `session`.

The `session` part is checked by the strict generated model, so an unknown field is a
400 naming it (`session.<field>`), as the service answers.
"""

from __future__ import annotations

import json
from collections.abc import AsyncGenerator
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartException, MultiPartParser
from starlette.requests import Request

from ..._generated._runtime import refusal
from ..._generated.ga import client_events as c
from ...server.errors import ApiError
from ...server.http import read_body


class _CallRequest(BaseModel):
    """The `session` part, strict, so that a refusal names `session.<field>`; a realtime
    or a transcription session."""

    model_config = ConfigDict(extra="forbid")
    session: Annotated[
        c.RealtimeSessionConfig | c.TranscriptionSessionConfig, Field(discriminator="type")
    ]


async def read_offer(request: Request) -> tuple[str, dict[str, Any]]:
    """The SDP offer and the session update (unset fields left out), from either body shape."""
    body = await read_body(request)
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind == "multipart/form-data":
        parts = await _parts(request, body)
        if "sdp" not in parts:
            raise ApiError(
                400, "Missing required parameter: 'sdp'.", code="missing_required_parameter",
                param="sdp",
            )  # fmt: skip
        return parts["sdp"], _session_update(parts.get("session"))
    if kind not in ("application/sdp", "text/plain", ""):
        raise ApiError(
            415, f"Unsupported content type '{kind}': send application/sdp or multipart/form-data."
        )
    try:
        return body.decode(), {}
    except UnicodeDecodeError:
        raise ApiError(400, "The SDP offer is not UTF-8 text.", param="sdp") from None


async def _parts(request: Request, body: bytes) -> dict[str, str]:
    """The text of each multipart part (`sdp`, `session`), whether sent as file or field."""

    async def stream() -> AsyncGenerator[bytes, None]:
        yield body

    parser = MultiPartParser(request.headers, stream(), max_files=4, max_fields=16)
    try:
        form = await parser.parse()
    except MultiPartException as exc:
        raise ApiError(400, f"Unreadable multipart body: {exc.message}") from None
    parts: dict[str, str] = {}
    try:
        for name, value in form.multi_items():
            raw = await value.read() if isinstance(value, UploadFile) else value
            parts[name] = raw.decode() if isinstance(raw, bytes) else raw
    except UnicodeDecodeError:
        raise ApiError(400, "Multipart parts must be UTF-8 text.") from None
    finally:
        await form.close()
    return parts


def _session_update(text: str | None) -> dict[str, Any]:
    """The `session` part as a GA partial session (unset fields left out)."""
    if text is None or not text.strip():
        return {}
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise ApiError(400, f"The 'session' part is not JSON: {exc}.", param="session") from None
    try:
        parsed = _CallRequest.model_validate({"session": data}, strict=True)
    except ValidationError as exc:
        raise ApiError.from_validation(refusal(exc, {"session": data})) from None
    update: dict[str, Any] = parsed.session.model_dump(
        mode="json", exclude_unset=True, by_alias=True
    )
    return update
