"""The legacy `POST /v1/realtime/transcription_sessions`: an `ek_` key for a transcription
session, asked for and answered in the flat beta shape (openai-python's
`client.beta.realtime.transcription_sessions.create`).

The request is the spec's `LegacyTranscriptionSessionConfig`, read strictly (an unknown
field is a 400 naming it), plus the two fields openai-python sends beside it: `client_secret`
(`expires_at: {anchor, seconds}`) and `modalities` (echoed: a transcription session answers
in text whatever it says). The key opens a GA transcription session on either transport.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from ..._generated.ga import client_events as c
from ...audio import AudioFormat
from ...server.auth import authenticator, authorize_http
from ..protocol.capabilities import Capabilities
from .secrets import (
    BETA_DEFAULT_TTL_S,
    ExpiresAfter,
    effective_session,
    json_body,
    refuse_unhonoured,
    strict,
    ttl,
)
from .sessions import key_session

KIND = "transcription"


class _ClientSecret(BaseModel):
    model_config = ConfigDict(extra="forbid")
    expires_at: ExpiresAfter | None = None


class LegacyTranscriptionRequest(BaseModel):
    """The spec's `LegacyTranscriptionSessionConfig` closed to unknown fields at every level
    (a test holds the two to the same fields), and openai-python's two. Its parts are the
    strict GA session's: the spec's legacy `turn_detection` is `server_vad` only, while
    openai-python sends `semantic_vad` and the GA settings there too."""

    model_config = ConfigDict(extra="forbid")
    turn_detection: c.TurnDetection | None = None
    input_audio_noise_reduction: c.RealtimeSessionConfigAudioInputNoiseReduction | None = None
    input_audio_format: Literal["pcm16", "g711_ulaw", "g711_alaw"] | None = None
    input_audio_transcription: c.AudioTranscription | None = None
    include: list[Literal["item.input_audio_transcription.logprobs"]] | None = None
    client_secret: _ClientSecret | None = None
    modalities: list[Literal["text", "audio"]] | None = None


def ga_update(legacy: dict[str, Any]) -> dict[str, Any]:
    """The flat legacy request as a GA transcription session's partial update."""
    audio_input: dict[str, Any] = {}
    if "input_audio_format" in legacy:
        audio_input["format"] = AudioFormat.from_beta(legacy["input_audio_format"]).to_ga()
    for flat, nested in (
        ("input_audio_transcription", "transcription"),
        ("input_audio_noise_reduction", "noise_reduction"),
        ("turn_detection", "turn_detection"),
    ):
        if flat in legacy:
            audio_input[nested] = legacy[flat]
    update: dict[str, Any] = {"type": KIND}
    if audio_input:
        update["audio"] = {"input": audio_input}
    if "include" in legacy:
        update["include"] = legacy["include"]
    return update


def legacy_body(session: dict[str, Any], modalities: Sequence[str] | None) -> dict[str, Any]:
    """A GA transcription session in the flat shape the legacy route answers with."""
    audio_input = session["audio"]["input"]
    return {
        "object": "realtime.transcription_session",
        "id": session["id"],
        "expires_at": session["expires_at"],
        "modalities": list(modalities or ["text"]),
        "input_audio_format": AudioFormat.parse(audio_input["format"]).to_beta(),
        "input_audio_transcription": audio_input["transcription"],
        "input_audio_noise_reduction": audio_input["noise_reduction"],
        "turn_detection": audio_input["turn_detection"],
        "include": session.get("include"),
    }


def flat_param(param: str) -> str:
    """A GA transcription session's param as the legacy request names it."""
    for nested, flat in (
        ("session.audio.input.transcription", "input_audio_transcription"),
        ("session.audio.input.noise_reduction", "input_audio_noise_reduction"),
        ("session.audio.input.turn_detection", "turn_detection"),
        ("session.audio.input.format", "input_audio_format"),
        ("session.", ""),
    ):
        if param.startswith(nested):
            return flat + param[len(nested) :]
    return param


def transcription_session_routes(
    clock: Callable[[], float] = time.time,
    capabilities: Callable[[], Capabilities] | None = None,
) -> list[Route]:
    async def create_transcription_session(request: Request) -> JSONResponse:
        await authorize_http(request, ephemeral=False)
        data = await json_body(request)
        parsed = strict(LegacyTranscriptionRequest, data)
        legacy = parsed.model_dump(mode="json", exclude_unset=True, by_alias=True)
        update = ga_update(legacy)
        session = effective_session(update, "", int(clock()), param_prefix="", kind=KIND)
        refuse_unhonoured(session, capabilities, flat_param)
        secret = parsed.client_secret
        key = await authenticator(request).keys.issue(
            ttl_s=ttl(secret.expires_at if secret else None, BETA_DEFAULT_TTL_S),
            session=key_session(update, KIND),
        )
        body = legacy_body(session, parsed.modalities)
        body["client_secret"] = {"value": key.value, "expires_at": key.expires_at}
        return JSONResponse(body)

    return [
        Route("/v1/realtime/transcription_sessions", create_transcription_session, methods=["POST"])
    ]
