"""The sans-I/O Realtime session: client events and back-end results in, outputs out.

Like h11's connection object: no sockets, no tasks, no clock. The caller (the server's
driver) feeds it client events (`receive`), input audio (`receive_audio`), what back-ends
and players report, then drains `take()` for server events to send and work to do. Every
ordering rule of the protocol lives here, so each is a fast unit test.

Its inputs, and what the caller does next (always `take()` after any of them):

- the connection: `start`, `receive`, `receive_audio`, `close`;
- a response's results, reported to `response(id)` (text, transcript, audio, function calls),
  then `finish_response(id, failure=None)`;
- a transcription job's results: `transcripts.delta/completed/failed`;
- a back-end that takes its own turns: `heard_speech_started`, `heard_speech_stopped`,
  `begin_response`, `user_transcript`, `send_raw`;
- a transport that plays audio itself: `output_audio_started/stopped/cleared`;
- a fault of the caller's own: `fault` (and `broken` says when to give up).
"""

from __future__ import annotations

import logging
from typing import Any

from ..._generated._runtime import EventValidationError
from ..._generated.ga import ServerBase, parse_client_event
from ..._generated.ga import client_events as c
from ..._generated.ga import server_stub as ev
from .capabilities import Capabilities
from .config import ConfigError, apply_update, input_format
from .item_events import ItemEvents
from .mcp_session import McpSession
from .noise import PARAM as NOISE_PARAM
from .refusals import error_event
from .refused_settings import refused_setting
from .session_core import MAX_FAULTS
from .transcription_settings import transcription_refusal
from .turn_detection import VadConfig, VadConfigError
from .turn_taking import MIN_COMMIT_MS, TurnTaking

__all__ = ["MAX_FAULTS", "MIN_COMMIT_MS", "Capabilities", "Session"]

log = logging.getLogger("realtime_sdk.session")


class Session(TurnTaking, McpSession, ItemEvents, ServerBase):
    def receive(self, raw: str | bytes | dict[str, Any]) -> None:
        """One client event off the wire; a refused one is answered with `error`. Then `take()`.

        No client event ends the session: a fault of ours while handling one (a bug) is
        logged, counted in `faults`, and answered with a `server_error` naming the event."""
        event: Any = None
        try:
            event = parse_client_event(raw)
            carried = ev.TRANSPORTS.get(event.type)
            if carried is not None and self.transport not in carried:
                self._refuse(
                    event,
                    "invalid_event",
                    f"'{event.type}' is not supported over {self.transport}"
                    f" (only over {', '.join(carried)}).",
                    "type",
                )
                return
            self.handle(event)
        except EventValidationError as exc:
            self.emit(error_event(exc.code, exc.message, exc.param, exc.event_id))
        except Exception:
            kind = getattr(event, "type", None)
            log.exception("session %s: fault handling %s", self._config.get("id"), kind)
            self.fault(f"'{kind}'" if kind else "a client event", getattr(event, "event_id", None))

    def on_session_update(self, event: c.SessionUpdateEvent) -> None:
        update = event.session.model_dump(mode="json", exclude_unset=True, by_alias=True)
        refused = refused_setting(update, "session.")
        if refused is not None:
            self._refuse(event, "unsupported_feature", refused[1], refused[0])
            return
        servers = None
        try:
            config = apply_update(self._config, update)
            if "tools" in update:
                config, servers = self._mcp_config(config, "session.tools")
            detection = VadConfig.from_turn_detection(config["audio"]["input"]["turn_detection"])
        except ConfigError as exc:
            self._refuse(event, exc.code, exc.message, exc.param)
            return
        except VadConfigError as exc:
            param = f"session.{exc.session_param}"
            self._refuse(event, "invalid_value", str(exc), param)
            return
        noise = config["audio"]["input"].get("noise_reduction")
        why = self.noise.refusal(noise)
        if why is not None:
            self._refuse(event, "unsupported_feature", why, NOISE_PARAM)
            return
        refused = transcription_refusal(config, self._capabilities)
        if refused is not None:
            self._refuse(event, "unsupported_feature", refused[1], refused[0])
            return
        self._set_config(config)
        self.noise.configure(noise, self._in_format)
        self.input_buffer.reconfigure(input_format(config), detection)
        self.emit(ev.session_updated(session=self._config))
        if servers is not None:
            self._set_mcp_tools(servers)
