"""The translation session object: its defaults and how `session.update` changes it.

Only three things may change after connecting (`audio.output.language`,
`audio.input.transcription`, `audio.input.noise_reduction`); the strict client models
already refuse anything else, so applying an update is a merge of what was given.
"""

from __future__ import annotations

import copy
from typing import Any, Final

DEFAULT_LANGUAGE: Final = "en"
DEFAULT_TTL_S: Final = 3600  # how long a session may last, as `expires_at` says


def default_session(session_id: str, model: str, expires_at: int) -> dict[str, Any]:
    """The full session before any update: transcription and noise reduction off."""
    return {
        "id": session_id,
        "type": "translation",
        "model": model,
        "expires_at": expires_at,
        "audio": {
            "input": {"transcription": None, "noise_reduction": None},
            "output": {"language": DEFAULT_LANGUAGE},
        },
    }


def apply_update(session: dict[str, Any], update: dict[str, Any]) -> dict[str, Any]:
    """`session` with the fields `update` gives (a partial session, already validated);
    an explicit null turns transcription or noise reduction off."""
    merged = copy.deepcopy(session)
    audio = update.get("audio") or {}
    for side in ("input", "output"):
        given = audio.get(side)
        if given:
            merged["audio"][side].update(copy.deepcopy(given))
    given_nr = (audio.get("input") or {}).get("noise_reduction")
    if given_nr is not None and given_nr.get("strength") is None:
        # a strength left out keeps the current one; 1 when first turned on
        before = session["audio"]["input"].get("noise_reduction") or {}
        merged["audio"]["input"]["noise_reduction"]["strength"] = before.get("strength", 1.0)
    if merged["audio"]["output"].get("language") is None:
        merged["audio"]["output"]["language"] = DEFAULT_LANGUAGE
    return merged


def target_language(session: dict[str, Any]) -> str:
    return str(session["audio"]["output"].get("language") or DEFAULT_LANGUAGE)


def transcribing(session: dict[str, Any]) -> bool:
    """Whether the client asked for the source-language transcript."""
    return session["audio"]["input"].get("transcription") is not None
