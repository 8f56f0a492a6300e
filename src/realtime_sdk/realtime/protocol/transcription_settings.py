"""What `audio.input.transcription` and `include` may ask of a back-end's recogniser.

Checked against the effective session whenever it is made or updated, so a setting the
back-end's recogniser cannot honour is an `unsupported_feature` naming it at
`session.update` (or a 400 where a session starts over HTTP), never accepted and dropped.
The model's name is taken as it is (every name runs the back-end's one recogniser, and
clients send a name by default), except the diarizing model, whose speaker segments no
recogniser here gives.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .capabilities import Capabilities

PARAM = "session.audio.input.transcription"
LOGPROBS = "item.input_audio_transcription.logprobs"
DIARIZING_MODELS = frozenset({"gpt-4o-transcribe-diarize"})


def _language_code(tag: str) -> str:
    """`en`, `en-US`, `EN_gb` -> `en`: the recogniser hears a language, not a region."""
    return tag.replace("_", "-").split("-", 1)[0].lower()


def transcription_refusal(session: Mapping[str, Any], caps: Capabilities) -> tuple[str, str] | None:
    """The first setting of `session` (a full GA session) the back-end cannot honour, as
    (param, why), or None."""
    include = session.get("include") or []
    if LOGPROBS in include and not caps.transcription_logprobs:
        index = include.index(LOGPROBS)
        why = "This server's back-end gives no log probabilities for its transcripts."
        return f"session.include[{index}]", why
    settings = session.get("audio", {}).get("input", {}).get("transcription")
    if not settings:
        return None
    if settings.get("model") in DIARIZING_MODELS and not caps.transcription_segments:
        why = "This server's back-end does not tell speakers apart; use another model name."
        return f"{PARAM}.model", why
    heard = caps.transcription_languages
    language = settings.get("language")
    if language is not None and _language_code(language) not in heard:
        return f"{PARAM}.language", _not_heard(language, heard)
    for index, tag in enumerate(settings.get("languages") or []):
        if _language_code(tag) not in heard:
            return f"{PARAM}.languages[{index}]", _not_heard(tag, heard)
    for name in ("prompt", "keywords"):
        if settings.get(name) and not caps.transcription_prompts:
            why = f"This server's back-end cannot steer its recogniser with '{name}'."
            return f"{PARAM}.{name}", why
    if settings.get("delay") is not None:
        why = "This server's recogniser has one speed: it transcribes each turn once committed."
        return f"{PARAM}.delay", why
    return None


def _not_heard(language: str, heard: frozenset[str]) -> str:
    if not heard:
        return f"This server's back-end cannot be told a language ('{language}')."
    return f"This server's back-end transcribes {', '.join(sorted(heard))} only, not '{language}'."


def wants_logprobs(session: Mapping[str, Any]) -> bool:
    """Whether the transcription events carry `logprobs` (`include` asks for them)."""
    return LOGPROBS in (session.get("include") or [])


def logprob(token: str, value: float) -> dict[str, Any]:
    """One entry of an event's `logprobs`: the token, its log probability, its UTF-8 bytes."""
    return {"token": token, "logprob": value, "bytes": list(token.encode())}
