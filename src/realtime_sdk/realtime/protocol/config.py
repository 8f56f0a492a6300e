"""The effective session configuration and its partial updates.

The session is kept as a plain JSON-shaped dict in the GA wire form, because that
is what `session.created`/`session.updated` carry in full and what back-ends read.
"""

from __future__ import annotations

import copy
from typing import Any

from ...audio import AudioFormat

DEFAULT_INSTRUCTIONS = (
    "You are a helpful, concise voice assistant. Answer in the language the user speaks."
)
SESSION_TTL_S = 30 * 60

SERVER_VAD_DEFAULTS: dict[str, Any] = {
    "type": "server_vad",
    "threshold": 0.5,
    "prefix_padding_ms": 300,
    "silence_duration_ms": 200,
    "idle_timeout_ms": None,
    "create_response": True,
    "interrupt_response": True,
}
SEMANTIC_VAD_DEFAULTS: dict[str, Any] = {
    "type": "semantic_vad",
    "eagerness": "auto",
    "create_response": True,
    "interrupt_response": True,
}

# Keys of nested objects that a partial update merges into rather than replaces.
_MERGED = {("audio",), ("audio", "input"), ("audio", "output")}


class ConfigError(ValueError):
    """A session.update the protocol refuses; carries the error code and parameter."""

    def __init__(self, code: str, message: str, param: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.param = param


DEFAULT_TRANSCRIPTION_MODEL = "gpt-4o-transcribe"


def default_session(session_id: str, model: str, now_s: int) -> dict[str, Any]:
    return {
        "type": "realtime",
        "object": "realtime.session",
        "id": session_id,
        "model": model,
        "output_modalities": ["audio"],
        "instructions": DEFAULT_INSTRUCTIONS,
        "tools": [],
        "tool_choice": "auto",
        "max_output_tokens": "inf",
        "tracing": None,
        "truncation": "auto",
        "prompt": None,
        "expires_at": now_s + SESSION_TTL_S,
        "audio": {
            "input": {
                "format": {"type": "audio/pcm", "rate": 24000},
                "transcription": None,
                "noise_reduction": None,
                "turn_detection": dict(SERVER_VAD_DEFAULTS),
            },
            "output": {
                "format": {"type": "audio/pcm", "rate": 24000},
                "voice": "alloy",
                "speed": 1.0,
            },
        },
        "include": None,
    }


def default_transcription_session(session_id: str, now_s: int) -> dict[str, Any]:
    """A session that only transcribes (`?intent=transcription` or `type: "transcription"`):
    turns are detected and committed and their audio transcribed; nothing answers."""
    return {
        "type": "transcription",
        "object": "realtime.transcription_session",
        "id": session_id,
        "expires_at": now_s + SESSION_TTL_S,
        "audio": {
            "input": {
                "format": {"type": "audio/pcm", "rate": 24000},
                "transcription": {"model": DEFAULT_TRANSCRIPTION_MODEL},
                "noise_reduction": None,
                "turn_detection": dict(SERVER_VAD_DEFAULTS),
            },
        },
        "include": None,
    }


def _turn_detection(value: Any) -> Any:
    """A turn_detection object is replaced whole, its unset settings taking defaults."""
    if value is None:
        return None
    defaults = SEMANTIC_VAD_DEFAULTS if value.get("type") == "semantic_vad" else SERVER_VAD_DEFAULTS
    return {**defaults, **value}


def _merge(target: dict[str, Any], update: dict[str, Any], path: tuple[str, ...]) -> None:
    for key, value in update.items():
        where = (*path, key)
        if where in _MERGED and isinstance(value, dict) and isinstance(target.get(key), dict):
            _merge(target[key], value, where)
        elif where == ("audio", "input", "turn_detection"):
            target[key] = _turn_detection(value)
        else:
            target[key] = copy.deepcopy(value)


def merge_partial(base: dict[str, Any], update: dict[str, Any]) -> dict[str, Any]:
    """The partial session `update` over the partial session `base`, merged at the levels
    `session.update` merges (`audio`, `audio.input`, `audio.output`) and replaced below
    them; neither is changed. (An `ek_` key's session under a call offer's.)"""
    return _merged_partial(base, update, ())


def _merged_partial(
    base: dict[str, Any], update: dict[str, Any], path: tuple[str, ...]
) -> dict[str, Any]:
    out = dict(base)
    for key, value in update.items():
        where = (*path, key)
        if where in _MERGED and isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merged_partial(out[key], value, where)
        else:
            out[key] = value
    return out


def apply_update(current: dict[str, Any], update: dict[str, Any]) -> dict[str, Any]:
    """The session after a partial update, or ConfigError; `current` is not changed.

    `update` is the client's session object as sent (fields left out stay as they are).
    """
    if update.get("type") != current["type"]:
        raise ConfigError(
            "invalid_value",
            f"Cannot change the session type from '{current['type']}' to '{update.get('type')}'.",
            "session.type",
        )
    merged = copy.deepcopy(current)
    # the model is the client's label here (one back-end serves every name), and clients
    # send their own default in their first update (`@openai/agents-realtime` sends
    # 'gpt-realtime-2.1' whatever the URL named): take it rather than refuse the session
    if isinstance(update.get("model"), str) and "model" in merged:
        merged["model"] = update["model"]
    _merge(merged, {k: v for k, v in update.items() if k not in ("type", "model")}, ())
    for direction in ("input", "output"):
        if direction not in merged["audio"]:
            continue  # a transcription session has no output
        fmt = merged["audio"][direction]["format"]
        try:
            AudioFormat.parse(fmt)
        except ValueError as exc:
            raise ConfigError(
                "invalid_value", str(exc), f"session.audio.{direction}.format"
            ) from None
    return merged


def voice_name(voice: Any) -> Any:
    """A voice as a response object (and a beta session) carries it: a name. A custom voice
    (`{"id": "voice_..."}`, which the GA session keeps as given) goes by its id there."""
    if isinstance(voice, dict) and isinstance(voice.get("id"), str):
        return voice["id"]
    return voice


def input_format(session: dict[str, Any]) -> AudioFormat:
    return AudioFormat.parse(session["audio"]["input"]["format"])


def output_format(session: dict[str, Any]) -> AudioFormat:
    return AudioFormat.parse(session["audio"]["output"]["format"])
