"""The session's `truncation` rule applied to the chat messages the LLM back-end sends:
when the conversation after the instructions outgrows its budget, the oldest turns go.

- `"auto"`: drop the oldest messages until the rest fit the budget;
- `{type: "retention_ratio", retention_ratio: r, token_limits: {post_instructions: n}}`:
  `n` (else the model's context) is the budget, and a trim keeps only `r` of it, so that
  trims (each of which changes the start of the prompt a server may have cached) are rarer;
- `"disabled"`: never trim; a conversation over the budget fails the response.

The budget is the model's context (`context_tokens`, which the agent is told; unknown:
no trimming but by `post_instructions`) less the instructions. Tokens are estimated at four
characters each, as the usage figures are. Whole turns go (what is kept starts at a user's
message), a tool call with its outputs, and the latest message always stays.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any

from ..base import BackendError


class ContextFull(BackendError):
    """The conversation is over its budget and the session's truncation is disabled."""


def tokens(message: Mapping[str, Any]) -> int:
    """A message's estimated tokens (its JSON text, four characters a token)."""
    return math.ceil(len(json.dumps(message, ensure_ascii=False)) / 4)


def budget(truncation: Any, context_tokens: int | None, instructions: int) -> int | None:
    """Tokens the messages after the instructions may take; None: no limit known."""
    if isinstance(truncation, Mapping):
        limit = (truncation.get("token_limits") or {}).get("post_instructions")
        if isinstance(limit, int):
            return limit
    if context_tokens is None:
        return None
    return max(0, context_tokens - instructions)


def truncate(
    messages: list[dict[str, Any]], truncation: Any, context_tokens: int | None = None
) -> list[dict[str, Any]]:
    """`messages` (a system message first, if any) with the oldest turns dropped by the rule."""
    head = messages[:1] if messages and messages[0].get("role") == "system" else []
    rest = messages[len(head) :]
    limit = budget(truncation, context_tokens, sum(tokens(m) for m in head))
    used = sum(tokens(m) for m in rest)
    if limit is None or used <= limit:
        return messages
    if truncation == "disabled":
        raise ContextFull(
            f"The conversation (about {used} tokens after the instructions) is over its"
            f" budget of {limit} tokens, and the session's truncation is disabled."
        )
    if isinstance(truncation, Mapping) and truncation.get("type") == "retention_ratio":
        limit = math.floor(limit * float(truncation.get("retention_ratio", 1.0)))
    while len(rest) > 1 and (used > limit or rest[0].get("role") != "user"):
        cut = _turn_length(rest)  # then on to a user's message: whole turns go
        used -= sum(tokens(m) for m in rest[:cut])
        rest = rest[cut:]
    return head + rest


def _turn_length(messages: list[dict[str, Any]]) -> int:
    """How many of the first messages go together: a call with its tool outputs (and any
    stray outputs left at the start); never the last message."""
    cut = 1
    if messages[0].get("tool_calls") or messages[0].get("role") == "tool":
        while cut < len(messages) - 1 and messages[cut].get("role") == "tool":
            cut += 1
    return cut
