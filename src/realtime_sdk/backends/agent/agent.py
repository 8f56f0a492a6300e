"""`OfflineAgent`: the default back-end of `serve`, a voice agent that needs no network.

It hears with pocketsphinx (recognition.py), speaks with espeak-ng (speech.py), and
answers in one of two ways:

- without an LLM, with a template built from what it heard (`template_reply`):
  `You said: "<their words>". That was <n> words.` (at most 30 words quoted, then
  "..."); "Sorry, I did not catch that." when it heard nothing; after a function's
  output, `The <name> tool returned: <output>`; with no user turn yet, a greeting.
  Instructions and tools are not used;
- with `llm_base_url`, by streaming from an OpenAI-compatible chat-completions server:
  the session's instructions are the system message, the conversation the messages
  (a user's `input_image` parts as image parts), the session's function tools (and
  its MCP servers' tools) the tools; tool calls become Realtime function calls; the
  session's `truncation` rule trims the oldest turns (truncation.py).
  Without an LLM, image input is refused (`unsupported_feature`).

Audio replies are spoken phrase by phrase as the text arrives, each phrase's text sent
just before its audio (the session makes it the audio transcript). User audio with no
transcript yet is transcribed here; the session's own input transcription and this
share one decode (the recognizer caches by content). The agent does not send user
transcripts the session did not ask for, as the real service does not.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from dataclasses import replace
from typing import Any, Final

from ...realtime.protocol.session import Capabilities
from ..base import (
    FunctionCall,
    ResponsePiece,
    ResponseRequest,
    TextDelta,
    TranscriptionRequest,
)
from .llm import (
    ChatCompletions,
    ToolCall,
    chat_messages,
    chat_options,
    chat_tool_choice,
    chat_tools,
    max_tokens,
)
from .recognition import Recognizer, SphinxTranscriber, recognizer
from .speech import PhraseBuffer, Speech, speech, split_phrases
from .truncation import truncate

GREETING: Final = "Hello! I am an offline voice agent. Say something and I will repeat it."
NOT_HEARD: Final = "Sorry, I did not catch that."
QUOTED_WORDS: Final = 30


def template_reply(heard: str) -> str:
    """The reply without an LLM to what the user said (or typed)."""
    words = heard.split()
    if not words:
        return NOT_HEARD
    quote = " ".join(words[:QUOTED_WORDS]) + (" ..." if len(words) > QUOTED_WORDS else "")
    count = f"That was {len(words)} word{'' if len(words) == 1 else 's'}."
    if quote[-1] in ".!?\u2026":
        return f'You said: "{quote}" {count}'
    return f'You said: "{quote}". {count}'


def tool_reply(name: str | None, output: str) -> str:
    """The reply without an LLM once a function's output has arrived."""
    return f"The {name or 'function'} tool returned: {output.strip() or 'nothing'}"


def _latest_turn(items: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The last user message or function output: what a reply answers."""
    for item in items[::-1]:
        kind, role = item.get("type"), item.get("role")
        if kind == "function_call_output" or (kind == "message" and role == "user"):
            return item
    return None


def _voice_and_speed(config: Mapping[str, Any]) -> tuple[Any, float]:
    output = (config.get("audio") or {}).get("output") or {}
    speed = output.get("speed")
    return output.get("voice"), float(speed) if isinstance(speed, int | float) else 1.0


class OfflineAgent:
    """A `Responder` and `Transcriber`: cheap to make (one per session); the decoder
    and the speech engine are shared by the whole process."""

    capabilities = Capabilities(
        text_input=True,
        audio_input=True,
        function_calls=True,
        out_of_band=True,
        transcription=True,
        transcription_languages=frozenset({"en"}),  # pocketsphinx's bundled model
        transcription_logprobs=True,  # its word posteriors
    )
    # with an LLM: images go to it as image parts (template replies have no use for them)
    llm_capabilities = replace(capabilities, image_input=True)

    def __init__(
        self,
        *,
        llm_base_url: str | None = None,
        llm_model: str | None = None,
        llm_api_key: str | None = None,
        llm_timeout: float = 60.0,
        llm_context_tokens: int | None = None,
        recognizer_: Recognizer | None = None,
        speech_: Speech | None = None,
    ) -> None:
        """`llm_context_tokens`: the LLM's context length, the budget the session's
        `truncation` rule trims the conversation to (unknown: only `post_instructions`)."""
        self.context_tokens = llm_context_tokens
        self.llm = (
            ChatCompletions(llm_base_url, llm_model, llm_api_key, timeout=llm_timeout)
            if llm_base_url
            else None
        )
        if self.llm is not None:
            self.capabilities = OfflineAgent.llm_capabilities
        self.recognizer = recognizer_ or recognizer()
        self.recognizer.warm_up()  # the decoder process starts now, not at the first turn
        self._speech = speech_
        self._transcriber = SphinxTranscriber(self.recognizer)

    @property
    def speech(self) -> Speech:
        if self._speech is None:
            self._speech = speech()
        return self._speech

    # -- Transcriber -------------------------------------------------------------------
    def transcribe(self, request: TranscriptionRequest) -> AsyncIterator[str]:
        return self._transcriber.transcribe(request)

    # -- Responder -----------------------------------------------------------------------
    async def respond(self, request: ResponseRequest) -> AsyncIterator[ResponsePiece]:
        if self.llm is None:
            async for piece in self._say(await self._template(request), request):
                yield piece
            return
        async for piece in self._from_llm(self.llm, request):
            yield piece

    async def _template(self, request: ResponseRequest) -> str:
        turn = _latest_turn(request.items)
        if turn is None:
            return GREETING
        if turn.get("type") == "function_call_output":
            name = next(
                (
                    item.get("name")
                    for item in request.items
                    if item.get("type") == "function_call"
                    and item.get("call_id") == turn.get("call_id")
                ),
                None,
            )
            return tool_reply(name, str(turn.get("output") or ""))
        return template_reply(await self._heard(turn, request))

    async def _heard(self, item: dict[str, Any], request: ResponseRequest) -> str:
        """What a user message says: its text, and its audio's transcript (made here if
        the session has none yet)."""
        texts: list[str] = []
        for part in item.get("content") or []:
            if part.get("type") == "input_text":
                texts.append(part.get("text") or "")
            elif part.get("type") == "input_audio":
                texts.append(part.get("transcript") or await self._transcribe_item(item, request))
        return " ".join(t for t in texts if t)

    async def _transcribe_item(self, item: Mapping[str, Any], request: ResponseRequest) -> str:
        samples = request.user_audio(str(item.get("id")))
        if samples is None or request.audio_format is None:
            return ""
        return await self.recognizer.transcribe(samples, request.audio_format.rate)

    async def _say(self, text: str, request: ResponseRequest) -> AsyncIterator[ResponsePiece]:
        for phrase in split_phrases(text):
            async for piece in self._phrase(phrase, request):
                yield piece

    async def _phrase(self, phrase: str, request: ResponseRequest) -> AsyncIterator[ResponsePiece]:
        """A phrase's text, then (in an audio response) its audio."""
        if not phrase:
            return
        yield TextDelta(phrase)
        if request.wants_audio and phrase.strip():
            voice, speed = _voice_and_speed(request.config)
            async for chunk in self.speech.speak(phrase, voice, speed):
                yield chunk

    async def _from_llm(
        self, llm: ChatCompletions, request: ResponseRequest
    ) -> AsyncIterator[ResponsePiece]:
        transcripts: dict[str, str] = {}
        for item in request.items:
            audio = [p for p in item.get("content") or [] if p.get("type") == "input_audio"]
            if audio and not any(p.get("transcript") for p in audio):
                transcripts[str(item.get("id"))] = await self._transcribe_item(item, request)
        config = request.config
        tools = chat_tools(config.get("tools"))
        messages = chat_messages(request.items, config.get("instructions"), transcripts)
        stream = llm.stream(
            truncate(messages, config.get("truncation"), self.context_tokens),
            tools=tools,
            tool_choice=chat_tool_choice(config.get("tool_choice")),
            max_tokens=max_tokens(config.get("max_output_tokens")),
            options=chat_options(config, bool(tools)),
        )
        phrases = PhraseBuffer()
        async for event in stream:
            if isinstance(event, ToolCall):
                async for piece in self._phrase(phrases.flush(), request):
                    yield piece
                yield FunctionCall(event.name, event.arguments, event.call_id)
            elif not request.wants_audio:
                yield TextDelta(event)  # text goes out as it comes
            else:
                for phrase in phrases.feed(event):
                    async for piece in self._phrase(phrase, request):
                        yield piece
        async for piece in self._phrase(phrases.flush(), request):
            yield piece
