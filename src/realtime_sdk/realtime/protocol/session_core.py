"""What every part of the Realtime session shares: its state, its outputs, its faults.

The session is split by concern (this core; `responding`: responses and what back-ends
and players report of them; `turn_taking`: input audio and turns; `item_events`: the
conversation's items), each a class over the one before, assembled in `session.Session`.
"""

from __future__ import annotations

import logging
from collections import deque
from typing import Any, Literal

from ..._generated.ga import server_stub as ev
from ...audio import AudioFormat
from .capabilities import Capabilities
from .config import (
    ConfigError,
    apply_update,
    default_session,
    default_transcription_session,
    input_format,
)
from .conversation import Conversation
from .ids import Ids
from .input_buffer import InputBuffer
from .mcp_tools import McpConfigError, McpServer, McpTools, mcp_servers, split_secrets
from .noise import PARAM as NOISE_PARAM
from .noise import InputNoise, SuppressorFactory, default_suppressor
from .outputs import Output, Send
from .refusals import error_event
from .refused_settings import refused_setting
from .responses import ResponseRun
from .transcription_settings import transcription_refusal
from .transcripts import Transcripts
from .turn_detection import SpeechModel

log = logging.getLogger("realtime_sdk.session")

# faults (exceptions of our own while handling a client event) a session survives; past
# this the server's state is not to be trusted and the driver ends the session (1011)
MAX_FAULTS = 8


class SessionCore:
    def __init__(
        self,
        *,
        model: str = "gpt-realtime",
        now_s: int = 0,
        ids: Ids | None = None,
        capabilities: Capabilities | None = None,
        config: dict[str, Any] | None = None,
        speech_model: SpeechModel | None = None,
        transport: str = "websocket",
        intent: str | None = None,
        noise_suppressor: SuppressorFactory | Literal["default"] | None = "default",
    ) -> None:
        """`speech_model` runs server-side turn detection; without one, turn detection
        is off whatever the session says (manual commits only). `transport` ("websocket",
        "webrtc", "sip") decides which events exist: over WebRTC there is no
        `input_audio_buffer.append` and response audio leaves as PlayAudio, not deltas.
        `intent="transcription"` (or a `config` of that type) makes a transcription
        session: turns are committed and transcribed, and no response is made.
        `noise_suppressor` makes the suppressor `audio.input.noise_reduction` asks for
        (by default DeepFilterNet's, where installed); without one, that setting is refused.
        ConfigError (or VadConfigError) for a `config` the protocol refuses."""
        self.ids = ids or Ids()
        self.transport = transport
        self.plays_audio = transport not in ev.TRANSPORTS["response.output_audio.delta"]
        self._capabilities = capabilities or Capabilities()
        kind = (config or {}).get("type") or (
            "transcription" if intent == "transcription" else "realtime"
        )
        if kind == "transcription":
            settings = default_transcription_session(self.ids.session(), now_s)
        else:
            settings = default_session(self.ids.session(), model, now_s)
        refused = refused_setting(config or {}, "session.")
        if refused is not None:
            raise ConfigError("unsupported_feature", refused[1], refused[0])
        if config:
            settings = apply_update(settings, {**config, "type": kind})
        self.mcp = McpTools()
        self._mcp_first: list[McpServer] = []  # listed once session.created is out
        if config and config.get("tools"):
            settings, self._mcp_first = self._mcp_config(settings, "session.tools")
        if noise_suppressor == "default":
            noise_suppressor = default_suppressor()
        self.noise = InputNoise(noise_suppressor)
        why = self.noise.refusal(settings["audio"]["input"].get("noise_reduction"))
        if why is not None:
            raise ConfigError("unsupported_feature", why, NOISE_PARAM)
        refused = transcription_refusal(settings, self._capabilities)
        if refused is not None:
            raise ConfigError("unsupported_feature", refused[1], refused[0])
        self._config = settings
        self._in_format = input_format(settings)
        self.noise.configure(settings["audio"]["input"].get("noise_reduction"), self._in_format)
        self.conversation = Conversation(self.ids.conversation())
        self.input_buffer = InputBuffer(self._in_format, speech_model, self._turn_detection())
        self._outputs: deque[Output] = deque()
        self.transcripts = Transcripts(self.conversation, self._outputs)
        self._active: ResponseRun | None = None  # the one default-conversation response
        self._out_of_band: dict[str, ResponseRun] = {}
        self._started = False
        self.faults = 0  # exceptions of ours while handling client events (see MAX_FAULTS)

    # -- what callers read ----------------------------------------------------
    @property
    def config(self) -> dict[str, Any]:
        """The effective session, as `session.created/updated` carry it."""
        return self._config

    @property
    def in_format(self) -> AudioFormat:
        """The input audio format (read per appended frame: parsed once per update)."""
        return self._in_format

    @property
    def input_ms(self) -> int:
        """Input audio received since the session began, in ms (from samples, not a clock)."""
        return self.input_buffer.heard_ms

    @property
    def capabilities(self) -> Capabilities:
        """What the back-end can honour: fixed when the session is made."""
        return self._capabilities

    @property
    def active(self) -> ResponseRun | None:
        """The response writing to the default conversation, if one is under way."""
        return self._active

    @property
    def transcribing_only(self) -> bool:
        return bool(self._config["type"] == "transcription")

    @property
    def broken(self) -> bool:
        """Too many faults to trust this session's state: the caller should end it (1011)."""
        return self.faults > MAX_FAULTS

    # -- the connection -------------------------------------------------------
    def start(self) -> None:
        """The first event of every connection, the full effective session; then `take()`."""
        if not self._started:
            self._started = True
            self.emit(ev.session_created(session=self._config))

    def take(self) -> list[Output]:
        """Everything the session asked for since the last call, in order: events to send
        (`Send`), audio to play, work for the back-end. Call it after every input."""
        out = list(self._outputs)
        self._outputs.clear()
        return out

    def close(self) -> None:
        """The connection is over: the responses under way are dropped. Each refers back to
        the session (it emits through it), so without this the session, its conversation
        and audio wait for a full collection, which a server with a frozen heap runs rarely."""
        self._active = None
        self._out_of_band.clear()
        self.transcripts.forget_replies()
        self._outputs.clear()

    def fault(self, what: str, event_id: str | None = None, *, fatal: bool = False) -> None:
        """Tell the client that the server failed at `what` (its fault, not the client's):
        an `error` of type `server_error`, in words for people; the log has the details.
        `fatal`, or one fault too many (`broken`): the session is about to end. Then `take()`."""
        self.faults += 1
        after = (
            "The session cannot go on and is closing."
            if fatal or self.broken
            else "It may not have taken effect; the session goes on."
        )
        message = f"The server failed while handling {what}. {after}"
        self.emit(error_event("server_error", message, None, event_id, kind="server_error"))

    # -- shared by the parts --------------------------------------------------
    def _mcp_config(
        self, settings: dict[str, Any], param: str
    ) -> tuple[dict[str, Any], list[McpServer]]:
        """`settings` with its MCP tools' secrets kept out of it, and the MCP servers it
        names; ConfigError for MCP tools this session cannot honour."""
        public, secrets = split_secrets(settings.get("tools") or [])
        try:
            servers = mcp_servers(public, secrets, self.ids.item, param)
        except McpConfigError as exc:
            raise ConfigError(exc.code, exc.message, exc.param) from None
        if servers and not self._capabilities.function_calls:
            raise ConfigError(
                "unsupported_feature",
                "This server's back-end does not call tools, so it cannot use MCP servers.",
                f"{param}[{servers[0].index}]",
            )
        return {**settings, "tools": public}, servers

    def emit(self, event: Any) -> None:
        """Queue a server event; one this transport does not carry is not sent."""
        carried = ev.TRANSPORTS.get(getattr(event, "type", ""))
        if carried is None or self.transport in carried:
            self._outputs.append(Send(event))

    def _set_config(self, value: dict[str, Any]) -> None:
        self._config = value
        self._in_format = input_format(value)

    def _turn_detection(self) -> dict[str, Any] | None:
        value: dict[str, Any] | None = self._config["audio"]["input"].get("turn_detection")
        return value

    def _refuse(self, event: Any, code: str, message: str, param: str | None) -> None:
        self.emit(error_event(code, message, param, event.event_id))

    def _refuse_images(self, event: Any, param: str) -> None:
        message = f"This server's back-end does not take image input ('{event.type}')."
        self._refuse(event, "unsupported_feature", message, param)

    def _unsupported_feature(self, event: Any, what: str) -> None:
        self._refuse(
            event,
            "unsupported_feature",
            f"This server's back-end does not support {what} ('{event.type}').",
            None,
        )
