"""The Live session resource: made from `session.start`'s config, changed by
`session.update` (delegation only), and what this server does not offer.

The strict client models have already refused unknown fields and wrong types; what
is checked here is what is valid Live but not served (decisions delegation, decision
triggers), refused with the field named rather than accepted and ignored.
"""

from __future__ import annotations

import copy
from typing import Any, Final

from ...audio import AudioFormat

DEFAULT_TTL_S: Final = 3600
DEFAULT_FORMAT: Final = {"type": "audio/pcm", "rate": 24000}
DEFAULT_VOICE: Final = "marin"

Refusal = tuple[str, str, str]  # (code, message, param)


def not_offered(config: dict[str, Any], prefix: str = "session") -> Refusal | None:
    """Why this server cannot serve `config`, naming the field; None if it can."""
    delegation = config.get("delegation") or {}
    if delegation.get("type") == "decisions":
        return (
            "unsupported_feature",
            "Decisions delegation is not offered by this server; use 'client' or 'responses'.",
            f"{prefix}.delegation.type",
        )
    if config.get("triggers"):
        return (
            "unsupported_feature",
            "Decision triggers are not offered by this server (they need decisions delegation).",
            f"{prefix}.triggers",
        )
    return None


def session_resource(session_id: str, config: dict[str, Any], expires_at: int) -> dict[str, Any]:
    """The full session as `session.started` shows it: the config with its defaults."""
    resource = copy.deepcopy(config)
    audio = resource.setdefault("audio", {})
    audio.setdefault("format", dict(DEFAULT_FORMAT))
    audio.setdefault("output", {}).setdefault("voice", DEFAULT_VOICE)
    resource.update(id=session_id, status="active", expires_at=expires_at)
    return resource


def apply_update(resource: dict[str, Any], update: dict[str, Any]) -> dict[str, Any]:
    """`resource` with `session.update`'s fields; a partial delegation of the same type
    merges into the current one, another type replaces it."""
    merged = copy.deepcopy(resource)
    given = update.get("delegation")
    if "delegation" in update:
        current = merged.get("delegation") or {}
        if given is not None and current.get("type") == given.get("type"):
            merged["delegation"] = {**current, **copy.deepcopy(given)}
        else:
            merged["delegation"] = copy.deepcopy(given)
    if "triggers" in update:
        merged["triggers"] = copy.deepcopy(update["triggers"])
    return merged


def audio_format(resource: dict[str, Any]) -> AudioFormat:
    """The session's format, both ways (Live has one format for input and output)."""
    return AudioFormat.from_ga(resource["audio"]["format"])


def delegation_target(resource: dict[str, Any]) -> str | None:
    delegation = resource.get("delegation") or {}
    target = delegation.get("type")
    return str(target) if target else None
