"""The Realtime protocol's sans-I/O core: the session (client events, input audio and back-end
results in; server events and work out), its turn detection and what it asks of the world.
No sockets, no tasks, no clock."""

from __future__ import annotations

from .capabilities import Capabilities
from .config import ConfigError
from .conversation import ItemError
from .ids import Ids
from .outputs import (
    AudioDone,
    CancelResponse,
    ClearOutputAudio,
    InputAudio,
    Output,
    PlayAudio,
    Send,
    StartResponse,
    Transcribe,
)
from .session import Session
from .turn_detection import ServerVad, SpeechModel, VadConfig, VadConfigError

__all__ = [
    "AudioDone",
    "CancelResponse",
    "Capabilities",
    "ClearOutputAudio",
    "ConfigError",
    "Ids",
    "InputAudio",
    "ItemError",
    "Output",
    "PlayAudio",
    "Send",
    "ServerVad",
    "Session",
    "SpeechModel",
    "StartResponse",
    "Transcribe",
    "VadConfig",
    "VadConfigError",
]
