"""What a back-end can honour: the session refuses what needs more, naming it.

Its own module so that a back-end declares its capabilities without importing the session.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Capabilities:
    """What a back-end can honour; a client event needing more gets an `error`."""

    text_input: bool = True
    audio_input: bool = True
    function_calls: bool = True
    image_input: bool = False  # `input_image` content in user messages
    out_of_band: bool = True
    transcription: bool = False
    # what `audio.input.transcription` may ask of its recogniser (transcription_settings):
    # the languages it hears (ISO-639-1: `language`, `languages`), whether `prompt` and
    # `keywords` steer it, whether it gives logprobs (`include`) and speaker segments
    transcription_languages: frozenset[str] = field(default_factory=frozenset)
    transcription_prompts: bool = False
    transcription_logprobs: bool = False
    transcription_segments: bool = False
    raw_input_audio: bool = False  # back-end wants every appended frame (FastRTC handlers)
    client_responses: bool = True  # answers response.create (a FastRTC handler does not)
    # may report the user's words itself in its reply (a FastRTC handler's RealtimeMessage);
    # a turn it leaves without them gets `transcription.failed` when the reply ends
    user_transcripts: bool = False
