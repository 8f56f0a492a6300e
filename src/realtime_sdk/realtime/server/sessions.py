"""How the server starts a session: one way for a websocket and for a WebRTC call.

A session starts from the server's defaults (a realtime or a transcription session, as the
key, the offer or the URL's `intent` says), then the session of the `ek_` key it came with
(if any), then the offer's `session` part (calls only). It gets the back-end made
for it, that back-end's capabilities (set here, once) and, when the server runs turn
detection for it, a VAD model of its own.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from ...backends.base import TurnTakingBackend
from ...server.auth import Grant
from ...server.config import Backend, ServerConfig
from ...server.errors import ApiError, config_refusal
from ..protocol.capabilities import Capabilities
from ..protocol.config import ConfigError, merge_partial
from ..protocol.session import Session
from ..protocol.turn_detection import SpeechModel, VadConfigError


def speech_model(config: ServerConfig, backend: Backend) -> SpeechModel | None:
    """The per-session VAD model for server_vad, or None.

    None for a back-end that takes its own turns (a FastRTC handler): the session's
    VAD would end turns too and ask it for responses it cannot give.
    """
    if not config.turn_detection or isinstance(backend, TurnTakingBackend):
        return None
    from ...vad import SileroSpeechModel

    return SileroSpeechModel()


def capabilities_of(config: ServerConfig) -> Callable[[], Capabilities]:
    """What the server's back-end honours, for routes that issue keys before any session:
    read off one back-end made the first time it is asked (and kept: a factory makes
    back-ends alike), so a key whose session the back-end would refuse is not issued."""
    known: list[Capabilities] = []

    def capabilities() -> Capabilities:
        if not known:
            known.append(config.backend_factory().capabilities)
        return known[0]

    return capabilities


def chosen_model(config: ServerConfig, grant: Grant, *asked: str | None) -> str:
    """An `ek_` key that names a model pins it; else the first model asked for (the
    offer's session, the URL), else the server's default."""
    return grant.model or next((m for m in asked if m), None) or config.default_model


def partial_session(update: dict[str, Any]) -> dict[str, Any]:
    """What a session applies over its defaults: `update` minus `type` and `model`,
    which the connection decides."""
    return {k: v for k, v in update.items() if k not in ("type", "model")}


def key_session(update: dict[str, Any], kind: str) -> dict[str, Any]:
    """What an `ek_` key keeps of the session it was issued for: the partial session, and
    `type` when that is transcription, so the key opens that kind on every transport."""
    kept = partial_session(update)
    return {**kept, "type": kind} if kind == "transcription" else kept


def session_kind(keyed: dict[str, Any], offer: dict[str, Any], intent: str | None) -> str:
    """Which session a connection opens: the key's kind where it names one (an offer of
    another kind is a 400 naming `session.type`), else the offer's, else the URL's intent."""
    key_kind, offered = keyed.get("type"), offer.get("type")
    if key_kind is not None and offered is not None and offered != key_kind:
        raise ApiError(
            400,
            f"This key opens {key_kind} sessions; the offer's session is of type '{offered}'.",
            code="invalid_value",
            param="session.type",
        )
    kind = key_kind or offered or ("transcription" if intent == "transcription" else "realtime")
    return str(kind)


def new_session(
    config: ServerConfig,
    model: str,
    key_session: dict[str, Any],
    *,
    offer: dict[str, Any] | None = None,
    transport: str = "websocket",
    intent: str | None = None,
) -> tuple[Backend, Session]:
    """A back-end made for the session, and the session over it; a session config the
    protocol refuses is an ApiError naming the parameter."""
    kind = session_kind(key_session, offer or {}, intent)
    backend = config.backend_factory()
    start = partial_session(merge_partial(key_session, offer or {}))
    try:
        session = Session(
            model=model,
            now_s=int(time.time()),
            capabilities=backend.capabilities,
            config=start or None,
            speech_model=speech_model(config, backend),
            transport=transport,
            intent=kind,
        )
    except (ConfigError, VadConfigError) as exc:
        raise config_refusal(exc) from None
    return backend, session
