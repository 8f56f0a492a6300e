"""Ephemeral keys over HTTP: `POST /v1/realtime/client_secrets` (a realtime or a
transcription session) and the legacy beta `POST /v1/realtime/sessions` (the legacy
transcription route is `transcription_secrets`).

Both validate the requested session strictly (unknown fields are a 400 naming the
parameter, as the service answers), build the effective session over the defaults,
and issue an `ek_…` key whose connections start from that session. Only an API key
(or an open server) may call them.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Annotated, Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from ..._generated._runtime import refusal
from ..._generated.ga import client_events as c
from ..._generated.http_models import CreateClientSecretRequestExpiresAfter
from ...server.auth import authenticator, authorize_http
from ...server.errors import ApiError, config_refusal
from ...server.http import read_body
from ..protocol.beta import BetaRefusal, BetaTranslator, session_to_beta, session_to_ga
from ..protocol.capabilities import Capabilities
from ..protocol.config import (
    ConfigError,
    apply_update,
    default_session,
    default_transcription_session,
)
from ..protocol.ids import Ids
from ..protocol.mcp_tools import split_secrets
from ..protocol.transcription_settings import transcription_refusal
from ..protocol.turn_detection import VadConfig, VadConfigError
from .sessions import key_session, partial_session

DEFAULT_TTL_S = 600  # GA default (the bounds, 10..7200, come from the generated model)
BETA_DEFAULT_TTL_S = 60  # the beta service's keys lived one minute unless asked otherwise

M = TypeVar("M", bound=BaseModel)


class ExpiresAfter(CreateClientSecretRequestExpiresAfter):
    model_config = ConfigDict(extra="forbid")


class _ClientSecretRequest(BaseModel):
    """The request body, strict at every level (the generated HTTP models keep extras)."""

    model_config = ConfigDict(extra="forbid")
    expires_after: ExpiresAfter | None = None
    session: (
        Annotated[
            c.RealtimeSessionConfig | c.TranscriptionSessionConfig, Field(discriminator="type")
        ]
        | None
    ) = None


class _BetaClientSecret(BaseModel):
    model_config = ConfigDict(extra="forbid")
    expires_after: ExpiresAfter | None = None


class _BetaSessionRequest(BaseModel):
    """What beta clients post (openai-python's `beta.realtime.sessions.create`).

    Written here because the spec's `BetaSessionConfig` is the beta *response*
    (it requires `client_secret.value` and has no `model`); nested parts reuse the
    strict GA models, which share their shape with beta.
    """

    model_config = ConfigDict(extra="forbid")
    model: str | None = None
    client_secret: _BetaClientSecret | None = None
    modalities: list[Literal["text", "audio"]] | None = None
    instructions: str | None = None
    voice: c.VoiceIdsOrCustomVoice | None = None
    input_audio_format: Literal["pcm16", "g711_ulaw", "g711_alaw"] | None = None
    output_audio_format: Literal["pcm16", "g711_ulaw", "g711_alaw"] | None = None
    input_audio_transcription: c.AudioTranscription | None = None
    input_audio_noise_reduction: c.RealtimeSessionConfigAudioInputNoiseReduction | None = None
    turn_detection: c.TurnDetection | None = None
    tools: list[c.FunctionTool] | None = None
    tool_choice: str | None = None
    temperature: float | None = None
    max_response_output_tokens: int | Literal["inf"] | None = None
    speed: Annotated[float | None, Field(ge=0.25, le=1.5)] = None
    tracing: Literal["auto"] | c.RealtimeSessionConfigTracing | None = None


async def json_body(request: Request) -> dict[str, Any]:
    """The body as a JSON object (an empty body is `{}`), read up to a size limit."""
    body = await read_body(request)
    if not body.strip():
        return {}
    try:
        data = json.loads(body)
    except ValueError as exc:
        raise ApiError(
            400, f"We could not parse the JSON body of your request: {exc}.", code="invalid_json"
        ) from None
    if not isinstance(data, dict):
        raise ApiError(400, "The request body must be a JSON object.", code="invalid_type")
    return data


def strict(model: type[M], data: dict[str, Any]) -> M:
    try:
        return model.model_validate(data, strict=True)
    except ValidationError as exc:
        raise ApiError.from_validation(refusal(exc, data)) from None


def ttl(expires: ExpiresAfter | None, default: int) -> int:
    if expires is None or expires.seconds is None:
        return default
    return expires.seconds


def effective_session(
    update: dict[str, Any],
    model: str,
    now_s: int,
    param_prefix: str = "session.",
    kind: str = "realtime",
) -> dict[str, Any]:
    """The full GA session a connection would start from: `update` over the defaults of a
    session of `kind` (realtime, or transcription)."""
    if kind == "transcription":
        base = default_transcription_session(Ids().session(), now_s)
        update = {**update, "type": kind}
    else:
        base = default_session(Ids().session(), model, now_s)
        update = {**update, "type": kind, "model": model}
    try:
        session = apply_update(base, update)
        VadConfig.from_turn_detection(session["audio"]["input"]["turn_detection"])
    except (ConfigError, VadConfigError) as exc:
        raise config_refusal(exc, param_prefix) from None
    session["tools"] = split_secrets(session.get("tools") or [])[0]  # MCP keys: never echoed
    return session


def refuse_unhonoured(
    session: dict[str, Any],
    capabilities: Callable[[], Capabilities] | None,
    rename: Callable[[str], str] = str,
) -> None:
    """A 400 naming the first setting of `session` (a full GA session) the back-end cannot
    honour; `rename` turns its GA param into the request's own path."""
    if capabilities is None:
        return
    refused = transcription_refusal(session, capabilities())
    if refused is not None:
        raise ApiError(400, refused[1], code="unsupported_feature", param=rename(refused[0]))


def client_secret_routes(
    default_model: str,
    clock: Callable[[], float] = time.time,
    capabilities: Callable[[], Capabilities] | None = None,
) -> list[Route]:
    """`capabilities`: what the back-end honours, to refuse a key for a session it would
    refuse (None: checked only when a session opens)."""

    async def create_client_secret(request: Request) -> JSONResponse:
        await authorize_http(request, ephemeral=False)
        data = await json_body(request)
        parsed = strict(_ClientSecretRequest, data)
        update: dict[str, Any] = {}
        if parsed.session is not None:
            update = parsed.session.model_dump(mode="json", exclude_unset=True, by_alias=True)
        kind = update.get("type", "realtime")
        model = update.get("model") or default_model
        session = effective_session(update, model, int(clock()), kind=kind)
        refuse_unhonoured(session, capabilities)
        key = await authenticator(request).keys.issue(
            ttl_s=ttl(parsed.expires_after, DEFAULT_TTL_S),
            session=key_session(update, kind),
            model=update.get("model"),
        )
        return JSONResponse({"value": key.value, "expires_at": key.expires_at, "session": session})

    async def create_beta_session(request: Request) -> JSONResponse:
        await authorize_http(request, ephemeral=False)
        data = await json_body(request)
        parsed = strict(_BetaSessionRequest, data)
        beta = parsed.model_dump(mode="json", exclude_unset=True, by_alias=True)
        beta.pop("client_secret", None)  # about the key, not the session
        edge = BetaTranslator()  # the one beta <-> GA mapping the websocket edge uses
        try:
            update = session_to_ga(beta, edge)
        except BetaRefusal as exc:
            raise ApiError(400, exc.message, code=exc.code, param=exc.param) from None
        model = update.get("model") or default_model
        session = effective_session(update, model, int(clock()), param_prefix="")
        secret = parsed.client_secret
        key = await authenticator(request).keys.issue(
            ttl_s=ttl(secret.expires_after if secret else None, BETA_DEFAULT_TTL_S),
            session=partial_session(update),
            model=update.get("model"),
            dialect="beta",
        )
        body = session_to_beta(session, edge)
        body["client_secret"] = {"value": key.value, "expires_at": key.expires_at}
        return JSONResponse(body)

    return [
        Route("/v1/realtime/client_secrets", create_client_secret, methods=["POST"]),
        Route("/v1/realtime/sessions", create_beta_session, methods=["POST"]),
    ]
