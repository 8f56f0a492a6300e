"""Opening a translation connection, to OpenAI or any compatible server, with the URL
and key rules of openai-python (`<base_url>/realtime/translations?model=...`), and
`create_translation_client_secret()` for an `ek_` key for one."""

from __future__ import annotations

import ssl as ssl_module
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any

from .. import _compat
from ..translation.client.connection import TranslationConnection
from ..transports.websocket_client import WebSocketClientTransport
from .dial import post_for_secret
from .urls import api_key_from, base_url_from, realtime_url

DEFAULT_MODEL = "gpt-realtime-translate"


def _with_language(session: Mapping[str, Any] | None, language: str | None) -> dict[str, Any]:
    update: dict[str, Any] = dict(session or {})
    if language is not None:
        audio = update.setdefault("audio", {})
        audio["output"] = {**audio.get("output", {}), "language": language}
    return update


@asynccontextmanager
async def connect_translation(
    *,
    model: str = DEFAULT_MODEL,
    base_url: str | None = None,
    api_key: str | None = None,
    language: str | None = None,
    session: Mapping[str, Any] | None = None,
    ssl: ssl_module.SSLContext | None = None,
) -> AsyncIterator[TranslationConnection]:
    """A translation session, `session.created` read; with `language` or `session`, the
    `session.update` sent and its answer read (an `error` raises). A translation session
    cannot be resumed, so a dropped socket is not dialled again."""
    _compat.apply()
    key = api_key_from(api_key)
    ws = WebSocketClientTransport(
        realtime_url(url=base_url_from(base_url) + "/realtime/translations", model=model),
        headers={"Authorization": f"Bearer {key}"} if key else {},
        reconnect=False,
        ssl=ssl,
    )
    await ws.open()
    conn = TranslationConnection(ws)
    try:
        first = await conn.recv()
        if first.type != "session.created":
            raise ConnectionError(f"expected session.created, got {first.type}")
        update = _with_language(session, language)
        if update:
            await conn.session.update(session=update)
            answer = await conn.recv()
            if answer.type != "session.updated":
                raise ConnectionError(f"session.update refused: {getattr(answer, 'error', answer)}")
        yield conn
    finally:
        await conn.close()


async def create_translation_client_secret(
    *,
    model: str = DEFAULT_MODEL,
    base_url: str | None = None,
    api_key: str | None = None,
    language: str | None = None,
    expires_after_seconds: int | None = None,
) -> dict[str, Any]:
    """An `ek_` key for one translation session, safe to hand to a browser."""
    body: dict[str, Any] = {"session": {"model": model, **_with_language(None, language)}}
    if expires_after_seconds is not None:
        body["expires_after"] = {"anchor": "created_at", "seconds": expires_after_seconds}
    path = "/realtime/translations/client_secrets"
    return await post_for_secret(path, body, base_url, api_key)
