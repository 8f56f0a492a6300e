"""Responses: `response.create`/`.cancel`, what back-ends report of a response under way,
and, over a transport that plays audio itself (WebRTC), what its player did."""

from __future__ import annotations

import copy
from typing import Any

from ..._generated._runtime import UnknownServerEvent
from ..._generated.ga import client_events as c
from ..._generated.ga import parse_server_event
from ..._generated.ga import server_stub as ev
from .config import output_format, voice_name
from .conversation import ItemError
from .items import KeptAudio, client_item, image_part
from .mcp_tools import backend_items, backend_tool_choice, backend_tools
from .outputs import (
    AudioDone,
    CancelResponse,
    ClearOutputAudio,
    PlayAudio,
    Samples,
    StartResponse,
)
from .refusals import error_event
from .refused_settings import refused_setting
from .responses import ResponseRun
from .session_core import SessionCore

BACKEND_FAILED = {"type": "server_error", "code": "backend_error"}


class Responding(SessionCore):
    _audible: str | None = None  # the response whose audio last began to play

    # -- client events --------------------------------------------------------
    def on_response_create(self, event: c.ResponseCreateEvent) -> None:
        params = (
            event.response.model_dump(mode="json", exclude_unset=True, by_alias=True)
            if event.response
            else {}
        )
        out_of_band = params.get("conversation") == "none"
        if self.transcribing_only:
            self._refuse(
                event, "invalid_value", "A transcription session makes no responses.", "type"
            )
            return
        if not self.capabilities.client_responses:
            self._unsupported_feature(event, "responses on request; it answers the turns it hears")
            return
        if out_of_band and not self.capabilities.out_of_band:
            self._unsupported_feature(event, "out-of-band responses")
            return
        if not out_of_band and self._active is not None:
            self._refuse(
                event,
                "conversation_already_has_active_response",
                f"Conversation already has an active response in progress: {self._active.id}."
                " Wait until the response is finished before creating a new one.",
                None,
            )
            return
        if not self.capabilities.image_input:
            for index, item in enumerate(params.get("input") or []):
                image = image_part(item)
                if image is not None:
                    self._refuse_images(event, f"response.input[{index}].content[{image}]")
                    return
        refused = refused_setting(params, "response.")
        if refused is not None:
            self._refuse(event, "unsupported_feature", refused[1], refused[0])
            return
        unknown = self._unlisted_mcp(params.get("tools"))
        if unknown is not None:
            self._refuse(
                event,
                "unsupported_feature",
                "An MCP server can be used in a response only when it is among the"
                " session's tools (this server lists tools once, per session).",
                f"response.tools[{unknown}]",
            )
            return
        try:
            self._create_response(params)
        except ItemError as exc:
            self._refuse(event, exc.code, exc.message, exc.param)

    def on_response_cancel(self, event: c.ResponseCancelEvent) -> None:
        run = self.response(event.response_id) if event.response_id else self._active
        if run is None or run.done:
            self._refuse(
                event,
                "response_cancel_not_active",
                "Cancellation failed: no active response found.",
                None,
            )
            return
        self._cancel(run.id, "client_cancelled")

    def on_output_audio_buffer_clear(self, event: c.OutputAudioBufferClearEvent) -> None:
        response_id = self._audible or (self._active.id if self._active else None)
        self._outputs.append(ClearOutputAudio(response_id, requested=True, event_id=event.event_id))

    # -- what a back-end reports ----------------------------------------------
    def response(self, response_id: str | None) -> ResponseRun | None:
        """The response under way with this id, to report its text, transcript, audio
        (in the session's output format) and function calls to; None once it is over
        (cancelled: results that still arrive are dropped). Then `take()`."""
        if response_id is None:
            return None
        if self._active is not None and self._active.id == response_id:
            return self._active
        return self._out_of_band.get(response_id)

    def finish_response(self, response_id: str, failure: str | None = None) -> None:
        """The back-end is done with this response: `completed`, or `failed` with
        `failure` (words for the client) when it raised; the session goes on. Then `take()`."""
        run = self.response(response_id)
        if run is None:
            return
        if failure is None:
            run.finish("completed")
        else:
            error = {**BACKEND_FAILED, "message": failure}
            run.finish("failed", {"type": "failed", "error": error})
        self._forget(run)

    def begin_response(self) -> str:
        """A response a back-end that takes its own turns starts of its own accord (no
        StartResponse is asked for); report its pieces through `response()`."""
        if self._active is not None:
            self.finish_response(self._active.id)
        run = self._new_run(self._response_config({}), out_of_band=False)
        run.start()
        self._active = run
        self.transcripts.reply_begins(run.id)
        return run.id

    def send_raw(self, event: dict[str, Any]) -> None:
        """A server event a back-end built itself; it gets an event_id and is checked
        (ValueError for one that is not a valid server event)."""
        data = {"event_id": self.ids.event(), **event}
        parsed = parse_server_event(data)
        if isinstance(parsed, UnknownServerEvent) and parsed.problem is not None:
            raise ValueError(f"not a valid server event: {parsed.problem}")
        self.emit(parsed)

    # -- what the player did (a transport that plays audio itself) ------------------
    def output_audio_started(self, response_id: str) -> None:
        """The transport began playing this response's audio."""
        self._audible = response_id
        self.emit(ev.output_audio_buffer_started(response_id=response_id))

    def output_audio_stopped(self, response_id: str) -> None:
        """This response's audio has played out."""
        self.emit(ev.output_audio_buffer_stopped(response_id=response_id))

    def output_audio_cleared(
        self,
        response_id: str | None,
        cut: tuple[str, int, int] | None = None,
        event_id: str | None = None,
    ) -> None:
        """The transport dropped unplayed audio: the item is truncated at what was
        played (`cut` = item id, content index, audio_end_ms), as the service does
        over WebRTC, then `output_audio_buffer.cleared`."""
        if cut is not None:
            item_id, content_index, audio_end_ms = cut
            if item_id in self.conversation:
                stored = self.conversation.get(item_id)
                audio_end_ms = min(audio_end_ms, stored.audio_ms(content_index))
                try:
                    self.conversation.truncate(item_id, content_index, audio_end_ms)
                except ItemError:
                    pass  # not an audio item any more (deleted and replaced): nothing to cut
                else:
                    self.emit(
                        ev.conversation_item_truncated(
                            item_id=item_id, content_index=content_index, audio_end_ms=audio_end_ms
                        )
                    )
        if response_id is None:
            message = "There is no response audio to clear."
            self.emit(error_event("invalid_value", message, None, event_id))
            return
        self.emit(ev.output_audio_buffer_cleared(response_id=response_id))

    # -- the lifecycle ----------------------------------------------------------
    def _create_response(self, params: dict[str, Any] | None = None) -> ResponseRun:
        """Start a response: response.created now, the back-end is asked to generate.
        ItemError, before anything starts, for an `input` item that cannot be used."""
        params = params or {}
        out_of_band = params.get("conversation") == "none"
        if "input" in params or out_of_band:
            inputs = params.get("input") or []
            stored = [
                client_item(item, f"response.input[{i}]", self.in_format, self.ids)
                for i, item in enumerate(inputs)
            ]
        else:
            stored = self.conversation.items()
        config = self._response_config(params)
        run = self._new_run(config, out_of_band=out_of_band)
        audio = KeptAudio(
            {s.id: s.audio[0] for s in stored if s.data.get("role") == "user" and 0 in s.audio}
        )
        run.start()  # first: should it fail, no response is left registered and never announced
        if out_of_band:
            self._out_of_band[run.id] = run
        else:
            self._active = run
            self.transcripts.reply_begins(run.id)
            if self.input_buffer.vad is not None:
                self.input_buffer.vad.cancel_idle()
        items = backend_items(s.wire() for s in stored)
        backend = {
            **config,
            "tools": backend_tools(config.get("tools") or [], self.mcp),
            "tool_choice": backend_tool_choice(config.get("tool_choice")),
        }
        self._outputs.append(StartResponse(run.id, items, backend, out_of_band, audio))
        return run

    def _unlisted_mcp(self, tools: Any) -> int | None:
        """The index of a response's MCP tool that is not one of the session's servers."""
        for index, tool in enumerate(tools or []):
            if isinstance(tool, dict) and tool.get("type") == "mcp":
                known = self.mcp.servers.get(str(tool.get("server_label")))
                if known is None or known.url != tool.get("server_url", known.url):
                    return index
        return None

    def _new_run(self, config: dict[str, Any], *, out_of_band: bool) -> ResponseRun:
        return ResponseRun(
            self.ids.response(),
            config=config,
            ids=self.ids,
            emit=self.emit,
            conversation=None if out_of_band else self.conversation,
            out_format=output_format(self._config),
            play=self._play if self.plays_audio else None,
        )

    def _response_config(self, params: dict[str, Any]) -> dict[str, Any]:
        config: dict[str, Any] = {
            key: copy.deepcopy(self._config.get(key))
            for key in (
                "instructions",
                "tools",
                "tool_choice",
                "max_output_tokens",
                "reasoning",
                "truncation",
            )
        }
        config["output_modalities"] = list(self._config["output_modalities"])
        config["audio"] = {"output": copy.deepcopy(self._config["audio"]["output"])}
        config["metadata"] = None
        for key, value in params.items():
            if key == "audio":
                config["audio"]["output"].update(value.get("output", {}))
            elif key not in ("conversation", "input"):
                config[key] = copy.deepcopy(value)
        output = config["audio"]["output"]
        if "voice" in output:
            output["voice"] = voice_name(output["voice"])
        return config

    def _cancel(self, response_id: str, reason: str) -> None:
        run = self.response(response_id)
        if run is None or run.done:
            return
        self._outputs.append(CancelResponse(run.id))
        run.finish("cancelled", {"type": "cancelled", "reason": reason})
        self._forget(run)

    def _forget(self, run: ResponseRun) -> None:
        if self.plays_audio:
            self._outputs.append(AudioDone(run.id))
        if self._active is run:
            self._active = None
            self.transcripts.reply_ends(run.id)
            if self.input_buffer.vad is not None:
                # the user has heard the reply once its audio has played out
                self.input_buffer.vad.mark_idle_start(self.input_ms + run.audio_ms_total)
        self._out_of_band.pop(run.id, None)

    def _play(
        self,
        response_id: str,
        item_id: str,
        content_index: int,
        data: bytes,
        source: Samples | None,
    ) -> None:
        fmt = output_format(self._config)
        self._outputs.append(PlayAudio(response_id, item_id, content_index, data, fmt, source))
