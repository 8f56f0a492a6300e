"""A streaming client for OpenAI-compatible chat completions (vLLM, llama.cpp, Ollama, ...)
and the mapping from a Realtime conversation to chat messages and tools.

Kept free of the rest of the SDK: it speaks plain JSON dicts, so it can be tested and
reused on its own. `base_url` is what openai-python calls its base URL (it usually
ends in `/v1`); requests go to `{base_url}/chat/completions` with `stream: true`.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from ..base import BackendError


class LLMError(BackendError):
    """The chat-completions server refused or broke off; the response ends `failed`."""


@dataclass(frozen=True)
class ToolCall:
    """A complete tool call from the model (arguments as a JSON string)."""

    name: str
    arguments: str
    call_id: str | None = None


class ChatCompletions:
    """`stream(messages, ...)` yields text deltas (str) and, at the end, ToolCalls."""

    def __init__(
        self,
        base_url: str,
        model: str | None = None,
        api_key: str | None = None,
        *,
        timeout: float = 60.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        """Without `model`, the first model the server lists at `/models` is used
        (vLLM and llama.cpp serve one; Ollama needs a name)."""
        self.base_url = base_url.rstrip("/")
        self.model = model
        self.api_key = api_key
        self.timeout = httpx.Timeout(timeout, connect=min(timeout, 10.0))
        self._transport = transport

    def _client(self) -> httpx.AsyncClient:
        headers = {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}
        return httpx.AsyncClient(headers=headers, timeout=self.timeout, transport=self._transport)

    async def _model(self, client: httpx.AsyncClient) -> str:
        if self.model is None:
            url = f"{self.base_url}/models"
            try:
                response = await client.get(url)
                response.raise_for_status()
                listed = response.json().get("data") or []
                self.model = str(listed[0]["id"])
            except (httpx.HTTPError, ValueError, LookupError, TypeError, AttributeError) as exc:
                raise LLMError(f"no model given and none listed at {url}: {exc}") from exc
        return self.model

    async def stream(
        self,
        messages: list[dict[str, Any]],
        *,
        tools: list[dict[str, Any]] | None = None,
        tool_choice: Any = None,
        max_tokens: int | None = None,
        options: Mapping[str, Any] | None = None,
    ) -> AsyncIterator[str | ToolCall]:
        """`options`: more fields of the request body as they are (`reasoning_effort`, ...)."""
        url = f"{self.base_url}/chat/completions"
        async with self._client() as client:
            body: dict[str, Any] = {
                "model": await self._model(client),
                "messages": messages,
                "stream": True,
            }
            if tools:
                body["tools"] = tools
                if tool_choice is not None:
                    body["tool_choice"] = tool_choice
            if max_tokens is not None:
                body["max_tokens"] = max_tokens
            body.update(options or {})
            calls = _ToolCalls()
            try:
                async with client.stream("POST", url, json=body) as response:
                    if response.status_code >= 400:
                        detail = (await response.aread()).decode(errors="replace")[:300]
                        raise LLMError(f"{url} answered {response.status_code}: {detail}")
                    async for chunk in _events(response.aiter_lines()):
                        if chunk.get("error"):
                            raise LLMError(f"{url} sent an error: {chunk['error']}")
                        for choice in chunk.get("choices") or []:
                            delta = choice.get("delta") or {}
                            if delta.get("content"):
                                yield str(delta["content"])
                            calls.add(delta.get("tool_calls") or [])
            except httpx.HTTPError as exc:
                raise LLMError(f"{url}: {type(exc).__name__}: {exc}") from exc
            for call in calls.complete():
                yield call


async def _events(lines: AsyncIterator[str]) -> AsyncIterator[dict[str, Any]]:
    """Server-sent events -> the JSON of each `data:` line, until `[DONE]`."""
    async for line in lines:
        if not line.startswith("data:"):
            continue  # blank separators, `event:`, `id:`, `: keep-alive` comments
        data = line[5:].strip()
        if data == "[DONE]":
            return
        try:
            chunk = json.loads(data)
        except ValueError as exc:
            raise LLMError(f"not JSON in the event stream: {data[:100]!r}") from exc
        if isinstance(chunk, dict):
            yield chunk


class _ToolCalls:
    """Tool calls arrive in pieces (id and name first, arguments in fragments), by index."""

    def __init__(self) -> None:
        self._calls: dict[int, dict[str, Any]] = {}

    def add(self, deltas: Iterable[Mapping[str, Any]]) -> None:
        for position, delta in enumerate(deltas):
            index = delta.get("index", position)
            call = self._calls.setdefault(index, {"id": None, "name": "", "arguments": ""})
            call["id"] = delta.get("id") or call["id"]
            function = delta.get("function") or {}
            call["name"] += function.get("name") or ""
            arguments = function.get("arguments")
            if isinstance(arguments, dict):  # some servers send an object, not a string
                arguments = json.dumps(arguments)
            call["arguments"] += arguments or ""

    def complete(self) -> list[ToolCall]:
        return [
            ToolCall(call["name"], call["arguments"] or "{}", call["id"])
            for _, call in sorted(self._calls.items())
            if call["name"]
        ]


# -- Realtime conversation -> chat completions ------------------------------------------


def _text_of(item: Mapping[str, Any], transcripts: Mapping[str, str]) -> str:
    texts: list[str] = []
    for part in item.get("content") or []:
        kind = part.get("type")
        if kind in ("input_text", "output_text", "text"):
            texts.append(part.get("text") or "")
        elif kind in ("input_audio", "output_audio", "audio"):
            texts.append(part.get("transcript") or transcripts.get(str(item.get("id")), ""))
    return " ".join(t for t in texts if t)


def _images(item: Mapping[str, Any]) -> list[dict[str, Any]]:
    """A user message's `input_image` parts as chat image parts (URL or data URL)."""
    return [
        {
            "type": "image_url",
            "image_url": {"url": part["image_url"], "detail": part.get("detail") or "auto"},
        }
        for part in item.get("content") or []
        if part.get("type") == "input_image" and part.get("image_url")
    ]


def chat_messages(
    items: Iterable[Mapping[str, Any]],
    instructions: str | None = None,
    transcripts: Mapping[str, str] | None = None,
) -> list[dict[str, Any]]:
    """The session's instructions as the system message, then the conversation: messages
    as text (audio by its transcript; `transcripts` fills those still missing, by item id;
    a user's images as image parts after the text),
    function calls as assistant `tool_calls`, their outputs as `tool` messages."""
    transcripts = transcripts or {}
    messages: list[dict[str, Any]] = []
    if instructions:
        messages.append({"role": "system", "content": instructions})
    for item in items:
        kind = item.get("type")
        if kind == "message":
            text = _text_of(item, transcripts)
            images = _images(item) if item.get("role") == "user" else []
            if images:
                head = [{"type": "text", "text": text}] if text else []
                messages.append({"role": "user", "content": head + images})
            elif text and item.get("role") in ("system", "user", "assistant"):
                messages.append({"role": item["role"], "content": text})
        elif kind == "function_call":
            call = {
                "id": item.get("call_id"),
                "type": "function",
                "function": {"name": item.get("name"), "arguments": item.get("arguments") or "{}"},
            }
            last = messages[-1] if messages else None
            if last is not None and last["role"] == "assistant":
                last.setdefault("tool_calls", []).append(call)  # text then calls: one turn
            else:
                messages.append({"role": "assistant", "content": None, "tool_calls": [call]})
        elif kind == "function_call_output":
            messages.append(
                {
                    "role": "tool",
                    "tool_call_id": item.get("call_id"),
                    "content": str(item.get("output") or ""),
                }
            )
    return messages


def chat_tools(tools: Iterable[Mapping[str, Any]] | None) -> list[dict[str, Any]]:
    """Realtime function tools (flat) -> chat tools (nested under `function`)."""
    out: list[dict[str, Any]] = []
    for tool in tools or []:
        if tool.get("type") != "function" or not tool.get("name"):
            continue  # MCP tools run on the service's side; a chat server has none
        function = {"name": tool["name"]}
        function.update({k: tool[k] for k in ("description", "parameters") if tool.get(k)})
        out.append({"type": "function", "function": function})
    return out


def chat_tool_choice(choice: Any) -> Any:
    """`auto`/`none`/`required` as they are; `{type: function, name}` nested."""
    if isinstance(choice, str):
        return choice
    if isinstance(choice, Mapping) and choice.get("type") == "function" and choice.get("name"):
        return {"type": "function", "function": {"name": choice["name"]}}
    return None


def chat_options(config: Mapping[str, Any], tools: bool) -> dict[str, Any]:
    """A response's `reasoning.effort` as `reasoning_effort`, and `parallel_tool_calls`
    (where there are tools), for the chat-completions request."""
    options: dict[str, Any] = {}
    reasoning = config.get("reasoning")
    if isinstance(reasoning, Mapping) and reasoning.get("effort"):
        options["reasoning_effort"] = reasoning["effort"]
    parallel = config.get("parallel_tool_calls")
    if tools and isinstance(parallel, bool):
        options["parallel_tool_calls"] = parallel
    return options


def max_tokens(value: Any) -> int | None:
    """`max_output_tokens` is a number or "inf"."""
    return value if isinstance(value, int) and not isinstance(value, bool) else None
