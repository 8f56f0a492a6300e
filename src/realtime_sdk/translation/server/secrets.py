"""`POST /v1/realtime/translations/client_secrets`: an `ek_` key for one translation
session, as `client.realtime.translations.client_secrets.create(...)` asks for it.

The body is checked strictly (an unknown field is a 400 naming it); the key carries the
session's model and audio settings, and the reply shows the full session a connection
with it starts from. Keys go to the same store as the Realtime route's, marked as
translation keys so that each route takes only its own.
"""

from __future__ import annotations

import json
import time
from typing import Any, Final

from pydantic import BaseModel, ConfigDict, ValidationError
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from ..._generated._runtime import refusal
from ..._generated.translation import client_events as c
from ..._generated.translation.http_models import TranslationClientSecretCreateRequestExpiresAfter
from ...server.auth import authenticator, authorize_http
from ...server.errors import ApiError
from ...server.http import read_body
from ..protocol import TranslationSession

KEY_KIND: Final = "translation"  # the key record's `dialect`: whose route takes it
DEFAULT_TTL_S: Final = 600


class _ExpiresAfter(TranslationClientSecretCreateRequestExpiresAfter):
    model_config = ConfigDict(extra="forbid")


class _SessionRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    model: str
    audio: c.TranslationSessionUpdateRequestAudio | None = None


class _SecretRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    session: _SessionRequest
    expires_after: _ExpiresAfter | None = None


def _request(raw: bytes) -> _SecretRequest:
    try:
        data = json.loads(raw or b"{}")
    except ValueError as exc:
        raise ApiError(400, f"The body is not valid JSON: {exc}.", code="invalid_json") from None
    if not isinstance(data, dict):
        raise ApiError(400, "The request body must be a JSON object.", code="invalid_type")
    try:
        return _SecretRequest.model_validate(data, strict=True)
    except ValidationError as exc:
        raise ApiError.from_validation(refusal(exc, data)) from None


def translation_secret_routes() -> list[Route]:
    async def create(request: Request) -> JSONResponse:
        await authorize_http(request, ephemeral=False, kinds=frozenset({KEY_KIND}))
        parsed = _request(await read_body(request))
        start: dict[str, Any] = parsed.session.model_dump(
            mode="json", exclude_unset=True, exclude={"model"}
        )
        keys = authenticator(request).keys
        expires = parsed.expires_after
        ttl = expires.seconds if expires is not None and expires.seconds else DEFAULT_TTL_S
        key = await keys.issue(
            ttl_s=ttl, session=start, model=parsed.session.model, dialect=KEY_KIND
        )
        session = TranslationSession(
            model=parsed.session.model, now_s=int(time.time()), start=start
        )
        return JSONResponse(
            {"value": key.value, "expires_at": key.expires_at, "session": session.config}
        )

    return [Route("/v1/realtime/translations/client_secrets", create, methods=["POST"])]
