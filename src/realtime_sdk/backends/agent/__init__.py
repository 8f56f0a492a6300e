"""The offline voice agent `serve` runs by default, and the parts it is made of.

- `agent`: `OfflineAgent`, the back-end: hears, answers (a template, or an LLM), speaks;
- `llm`: streaming from an OpenAI-compatible chat-completions server;
- `recognition`: pocketsphinx speech recognition, in a worker process;
- `speech`: espeak-ng speech synthesis;
- `translator`: `AgentTranslator`, the same parts serving translation sessions.

Each part needs the ``agent`` extra only when it is used.
"""

from __future__ import annotations

from .agent import GREETING, NOT_HEARD, OfflineAgent, template_reply, tool_reply
from .llm import ChatCompletions, LLMError
from .recognition import RecognitionError, Recognizer, SphinxTranscriber, recognizer
from .speech import Speech, SpeechError, speech
from .translator import AgentTranslator

__all__ = [
    "GREETING",
    "NOT_HEARD",
    "AgentTranslator",
    "ChatCompletions",
    "LLMError",
    "OfflineAgent",
    "RecognitionError",
    "Recognizer",
    "Speech",
    "SpeechError",
    "SphinxTranscriber",
    "recognizer",
    "speech",
    "template_reply",
    "tool_reply",
]
