"""Input transcription bookkeeping: every committed audio item of a session that asks for
transcription gets exactly one `.completed` or `.failed`, because clients (the Realtime
Console, livekit agents) wait for one of the two.

Three ways an item is settled, decided by the back-end's capabilities when it is committed:
a transcriber gets a job (the driver reports its deltas and end); a back-end that reports the
user's words in its own reply (a FastRTC handler) has until that reply ends; any other
back-end cannot transcribe, and the item fails at once.
"""

from __future__ import annotations

from collections import deque
from typing import Any

from ..._generated.ga import server_stub as ev
from .capabilities import Capabilities
from .conversation import Conversation
from .outputs import Output, Send, Transcribe

NO_TRANSCRIBER = (
    "This server's back-end cannot transcribe input audio, so"
    " 'audio.input.transcription' has no effect here."
)
NO_TRANSCRIPT = "The back-end's reply to this audio carried no transcript of it."


class Transcripts:
    def __init__(self, conversation: Conversation, outputs: deque[Output]) -> None:
        """Events go straight onto the session's `outputs` (every transport carries them):
        no reference back to the session, so no cycle to outlive it."""
        self.conversation = conversation
        self._outputs = outputs
        # items whose words the back-end's reply is to bring: those no reply has begun for
        # yet, and those of each reply under way
        self._awaiting: list[str] = []
        self._reply_brings: dict[str, list[str]] = {}

    def committed(
        self,
        item_id: str,
        audio: bytearray,
        transcription: dict[str, Any],
        capabilities: Capabilities,
        *,
        replies: bool,
    ) -> Transcribe | None:
        """A committed item of a transcribing session: the job for a transcriber, else None
        (its words are awaited from the reply, or it failed already). `replies`: whether a
        reply may follow (not in a transcription-only session)."""
        self.reply_ends(None)  # the reply to the turn before is over: it said nothing
        if capabilities.transcription:
            return Transcribe(item_id, 0, bytes(audio), dict(transcription))
        if capabilities.user_transcripts and replies:
            self._awaiting.append(item_id)
        else:
            self.failed(item_id, 0, NO_TRANSCRIBER, code="unsupported_feature")
        return None

    def reply_begins(self, response_id: str) -> None:
        """A reply began: the items awaiting words are now that reply's to bring."""
        if self._awaiting:
            self._reply_brings[response_id] = self._awaiting
            self._awaiting = []

    def reply_ends(self, response_id: str | None) -> None:
        """Items whose reply (`response_id`'s; None: a reply that never began) is over
        without their words get `.failed`."""
        if response_id is None:
            awaiting, self._awaiting = self._awaiting, []
        else:
            awaiting = self._reply_brings.pop(response_id, [])
        for item_id in awaiting:
            self.failed(item_id, 0, NO_TRANSCRIPT, code="no_transcript")

    def emit(self, event: Any) -> None:
        self._outputs.append(Send(event))

    def forget_replies(self) -> None:
        self._reply_brings.clear()

    def _settle(self, item_id: str, content_index: int) -> bool:
        """Whether the item's transcription is (now) settled: True the first time only."""
        if item_id not in self.conversation:
            return False
        stored = self.conversation.get(item_id)
        if content_index in stored.transcribed:
            return False
        stored.transcribed.add(content_index)
        return True

    def delta(
        self,
        item_id: str,
        content_index: int,
        delta: str,
        logprobs: list[dict[str, Any]] | None = None,
    ) -> None:
        """More of the transcript; `logprobs` (its tokens') only where the session asked."""
        if (
            item_id in self.conversation
            and content_index not in self.conversation.get(item_id).transcribed
        ):
            extra: dict[str, Any] = {} if logprobs is None else {"logprobs": logprobs}
            self.emit(
                ev.conversation_item_input_audio_transcription_delta(
                    item_id=item_id, content_index=content_index, delta=delta, **extra
                )
            )

    def completed(
        self,
        item_id: str,
        content_index: int,
        transcript: str,
        logprobs: list[dict[str, Any]] | None = None,
    ) -> None:
        if not self._settle(item_id, content_index):
            return
        part = self.conversation.get(item_id).data["content"][content_index]
        part["transcript"] = transcript
        extra: dict[str, Any] = {} if logprobs is None else {"logprobs": logprobs}
        self.emit(
            ev.conversation_item_input_audio_transcription_completed(
                item_id=item_id,
                content_index=content_index,
                transcript=transcript,
                usage={"type": "duration", "seconds": 0},
                **extra,
            )
        )

    def failed(self, item_id: str, content_index: int, message: str, code: str = "failed") -> None:
        if self._settle(item_id, content_index):
            self.emit(
                ev.conversation_item_input_audio_transcription_failed(
                    item_id=item_id,
                    content_index=content_index,
                    error={"type": "transcription_error", "code": code, "message": message},
                )
            )
