"""Where to connect: the same URL rules as openai-python, so its configuration carries over.

`base_url` (or OPENAI_BASE_URL, or OpenAI's own) + `/realtime`, http -> ws and
https -> wss, with `model` and any extra query parameters.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

DEFAULT_BASE_URL = "https://api.openai.com/v1"
_SCHEMES = {"http": "ws", "https": "wss"}


def base_url_from(base_url: str | None = None) -> str:
    return (base_url or os.environ.get("OPENAI_BASE_URL") or DEFAULT_BASE_URL).rstrip("/")


def realtime_url(
    *,
    url: str | None = None,
    base_url: str | None = None,
    model: str | None = None,
    query: Mapping[str, str] | None = None,
) -> str:
    """The websocket URL of the realtime endpoint."""
    target = url or base_url_from(base_url) + "/realtime"
    parts = urlsplit(target)
    params = dict(parse_qsl(parts.query))
    if model is not None:
        params.setdefault("model", model)
    params.update(query or {})
    return urlunsplit(
        (_SCHEMES.get(parts.scheme, parts.scheme), parts.netloc, parts.path, urlencode(params), "")
    )


def calls_url(
    *,
    url: str | None = None,
    base_url: str | None = None,
    model: str | None = None,
    query: Mapping[str, str] | None = None,
) -> str:
    """Where a WebRTC offer goes: `url` as given (ws(s) made http(s)), or
    `<base_url>/realtime/calls`, with `model` and any extra query parameters."""
    target = url or http_url(base_url, "/realtime/calls")
    parts = urlsplit(target)
    params = dict(parse_qsl(parts.query))
    if model is not None:
        params.setdefault("model", model)
    params.update(query or {})
    scheme = {"ws": "http", "wss": "https"}.get(parts.scheme, parts.scheme)
    return urlunsplit((scheme, parts.netloc, parts.path, urlencode(params), ""))


def http_url(base_url: str | None, path: str) -> str:
    """An HTTP route of the API (`/realtime/calls`, `/realtime/client_secrets`, ...)."""
    base = base_url_from(base_url)
    parts = urlsplit(base)
    scheme = {"ws": "http", "wss": "https"}.get(parts.scheme, parts.scheme)
    return urlunsplit((scheme, parts.netloc, parts.path.rstrip("/") + path, "", ""))


def api_key_from(api_key: str | None) -> str | None:
    return api_key or os.environ.get("OPENAI_API_KEY")


def base_of(url: str, endpoint: str) -> str:
    """The base URL (`http(s)://host/v1`) of `url`, which may be that base or the
    endpoint's own URL (`ws(s)://host/v1<endpoint>?...`), as `talk` takes either."""
    parts = urlsplit(url)
    scheme = {"ws": "http", "wss": "https"}.get(parts.scheme, parts.scheme)
    path = parts.path.rstrip("/").removesuffix(endpoint)
    return urlunsplit((scheme, parts.netloc, path, "", ""))
