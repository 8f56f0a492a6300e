"""Who may connect: the server's API keys, and the `ek_` keys it issues.

`POST /v1/realtime/client_secrets` hands a short-lived `ek_…` key to a trusted
back-end, which passes it to a browser; the SDKs treat the `ek_` prefix as
browser-safe. A key carries the session config its connections start from.

Rules (both transports):

- no API key configured: the server is open (local use), any key or none is let in;
- an `ek_` key is always looked up, open or not: unknown or expired is refused,
  because connecting without the session it promises would silently be wrong;
- an `ek_` key may start sessions (websocket, calls) but not mint more keys, or a
  browser could extend its own access forever; nor attach a sideband socket to a call
  or hang one up: those are the application server's, with its API key (403
  `permission_denied`, on both dialects), or a browser could take over any call.

A beta connection refused for its key is told the way the beta service did it: the
socket is accepted, an `error` event (`invalid_api_key`) sent, and the socket closed
with 3000 (`refuse_beta_ws`); beta clients wait for that, not for an HTTP status.

`authorize_ws` / `authorize_http` (coroutines: an `ek_` key may live in Redis) return a
`Grant` or raise `AuthError` (an `ApiError`, HTTP 401, OpenAI's body). In an HTTP route
just let it propagate: the app's exception handler renders it. A websocket refusal goes
out with `refuse_ws`.
"""

from __future__ import annotations

import copy
import hashlib
import json
import logging
import secrets
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

from starlette.requests import HTTPConnection
from starlette.websockets import WebSocket

from .._generated._runtime import new_event_id
from .errors import ApiError
from .http import accept
from .state.base import KeyRecords, StateFull, StateUnavailable
from .state.memory import MemoryKeys

log = logging.getLogger("realtime_sdk.server")

EPHEMERAL_PREFIX = "ek_"
KEY_SUBPROTOCOL = "openai-insecure-api-key."
CLOSE_POLICY = 1008
CLOSE_BETA_REFUSED = 3000  # what the beta service closed with after a refused key
_CLOSE_REASON_MAX = 123  # bytes a close frame's reason may hold
# what an `ek_` key was issued for (its record's `dialect`): a route takes its own kinds only
REALTIME_KEYS = frozenset({"ga", "beta"})
_KEY_NAMES = {"ga": "Realtime", "beta": "Realtime", "translation": "translation"}


class AuthError(ApiError):
    """A refused key: HTTP 401 (403 for an `ek_` key where only API keys will do)."""

    def __init__(self, message: str, code: str | None = "invalid_api_key", status: int = 401):
        super().__init__(status, message, code=code)


@dataclass(frozen=True)
class EphemeralKey:
    """One issued key: what it lets a connection start as, and until when."""

    value: str
    expires_at: int  # unix seconds; refused from then on (sessions already open go on)
    session: dict[str, Any]  # a GA partial session (no `type`, no `model`) applied on connect
    model: str | None = None  # the model the key pins, if the request named one
    dialect: str = "ga"  # "beta" for keys from the legacy `/v1/realtime/sessions`


@dataclass(frozen=True)
class Grant:
    """How a request got in, and the session config it starts from (`ek_` keys only)."""

    kind: Literal["open", "api_key", "ephemeral"]
    session: dict[str, Any] = field(default_factory=dict)
    model: str | None = None
    dialect: str = "ga"


class EphemeralKeys:
    """Issued keys, kept by a `KeyRecords` store under a hash of the key (so the store
    holds no secret): this process's memory by default, Redis to share them."""

    def __init__(
        self,
        clock: Callable[[], float] = time.time,
        max_keys: int = 100_000,
        records: KeyRecords | None = None,
    ) -> None:
        self.clock = clock
        self.records = records if records is not None else MemoryKeys(clock, max_keys)

    def now(self) -> int:
        return int(self.clock())

    async def issue(
        self,
        *,
        ttl_s: int,
        session: dict[str, Any],
        model: str | None = None,
        dialect: str = "ga",
    ) -> EphemeralKey:
        key = EphemeralKey(
            value=EPHEMERAL_PREFIX + secrets.token_hex(16),
            expires_at=self.now() + ttl_s,
            session=copy.deepcopy(session),
            model=model,
            dialect=dialect,
        )
        record = {"expires_at": key.expires_at, "session": key.session, "model": model}
        record["dialect"] = dialect
        try:
            await self.records.put(_digest(key.value), json.dumps(record), key.expires_at)
        except StateFull:
            raise ApiError(
                429, "Too many live client secrets on this server.", code="rate_limit_exceeded"
            ) from None
        except StateUnavailable as exc:
            raise unavailable(exc) from None
        return key

    async def get(self, value: str) -> EphemeralKey | None:
        """The key as issued, expired or not; None when this service never issued it (or
        has forgotten it since it expired)."""
        try:
            found = await self.records.get(_digest(value))
        except StateUnavailable as exc:
            raise unavailable(exc) from None
        if found is None:
            return None
        record = json.loads(found)
        return EphemeralKey(
            value, record["expires_at"], record["session"], record["model"], record["dialect"]
        )


def unavailable(exc: StateUnavailable) -> ApiError:
    """A 503 for what needs the shared store while it is away; sessions open go on."""
    return ApiError(
        503,
        f"The server's shared state is unreachable ({exc}); retry shortly.",
        code="service_unavailable",
        type="server_error",
    )


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def _masked(key: str) -> str:
    """How the service quotes a wrong key: enough to recognise it, not to use it."""
    if len(key) <= 8:
        return "*" * len(key)
    return f"{key[:4]}{'*' * min(len(key) - 8, 20)}{key[-4:]}"


class Authenticator:
    """Decides on an offered key; shared by every route of one app."""

    def __init__(self, api_keys: Iterable[str], keys: EphemeralKeys) -> None:
        self.api_keys = frozenset(api_keys)
        self.keys = keys

    @property
    def open(self) -> bool:
        return not self.api_keys

    async def check(
        self, key: str | None, *, ephemeral: bool = True, kinds: frozenset[str] = REALTIME_KEYS
    ) -> Grant:
        """The grant for `key`, or AuthError; `ephemeral=False` refuses `ek_` keys, and an
        `ek_` key issued for sessions of another kind than `kinds` is refused."""
        if key is not None and key.startswith(EPHEMERAL_PREFIX):
            return await self._check_ephemeral(key, ephemeral, kinds)
        if self.open:
            return Grant("open")
        if not key:
            raise AuthError(
                "You didn't provide an API key. You need to provide your API key in an"
                " Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
                code=None,
            )
        # compare with every key, so the time taken does not tell which one nearly matched
        matches = [secrets.compare_digest(key.encode(), k.encode()) for k in self.api_keys]
        if not any(matches):
            raise AuthError(f"Incorrect API key provided: {_masked(key)}.")
        return Grant("api_key")

    async def _check_ephemeral(self, key: str, allowed: bool, kinds: frozenset[str]) -> Grant:
        issued = await self.keys.get(key)
        if issued is None:
            raise AuthError(f"Incorrect API key provided: {_masked(key)}.")
        if issued.expires_at <= self.keys.now():
            raise AuthError("The ephemeral key has expired; request a new client secret.")
        if issued.dialect not in kinds:
            kind = _KEY_NAMES.get(issued.dialect, issued.dialect)
            raise AuthError(f"This ephemeral key opens {kind} sessions only, not these.")
        if not allowed:
            raise AuthError(
                "An ephemeral key cannot be used here; use an API key.",
                code="permission_denied",
                status=403,
            )
        return Grant("ephemeral", copy.deepcopy(issued.session), issued.model, issued.dialect)


def authenticator(connection: HTTPConnection) -> Authenticator:
    """The app's Authenticator (on `app.state`, set by `create_app`)."""
    auth = getattr(connection.app.state, "realtime_auth", None)
    if not isinstance(auth, Authenticator):
        raise RuntimeError("not a realtime_sdk app: app.state.realtime_auth is not set")
    return auth


def bearer_key(connection: HTTPConnection) -> str | None:
    header = connection.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return None


def offered_key(websocket: WebSocket) -> str | None:
    """Bearer header first, else a browser's `openai-insecure-api-key.<key>` subprotocol."""
    key = bearer_key(websocket)
    if key is not None:
        return key
    for protocol in websocket.scope.get("subprotocols", []):
        if protocol.startswith(KEY_SUBPROTOCOL):
            return str(protocol[len(KEY_SUBPROTOCOL) :])
    return None


async def authorize_ws(
    websocket: WebSocket, *, ephemeral: bool = True, kinds: frozenset[str] = REALTIME_KEYS
) -> Grant:
    """The grant of a websocket handshake, or AuthError (send it with `refuse_ws`);
    `ephemeral=False` where only an API key will do (a sideband socket); `kinds`: the
    `ek_` keys taken (the Realtime routes' by default; a translation route's its own)."""
    key = offered_key(websocket)
    return await authenticator(websocket).check(key, ephemeral=ephemeral, kinds=kinds)


async def authorize_http(
    connection: HTTPConnection, *, ephemeral: bool = True, kinds: frozenset[str] = REALTIME_KEYS
) -> Grant:
    """The grant of an HTTP request (Bearer header), or AuthError, which the app renders
    as a 401 JSON body; `ephemeral=False` for routes only an API key may call."""
    key = bearer_key(connection)
    try:
        return await authenticator(connection).check(key, ephemeral=ephemeral, kinds=kinds)
    except AuthError as exc:
        _log_refusal(connection, exc)
        raise


async def refuse_ws(websocket: WebSocket, error: ApiError, dialect: str = "ga") -> None:
    """Refuse a handshake with the HTTP status and JSON body, as the service does; a beta
    connection the way the beta service did (`refuse_beta_ws`).

    Without the ASGI denial-response extension, close with 1008 instead (servers
    answer a close before accept with HTTP 403).
    """
    if dialect == "beta":
        await refuse_beta_ws(websocket, error)
        return
    _log_refusal(websocket, error)
    if "websocket.http.response" in websocket.scope.get("extensions", {}):
        await websocket.send_denial_response(error.response())
    else:
        reason = error.message.encode()[:_CLOSE_REASON_MAX].decode(errors="ignore")
        await websocket.close(CLOSE_POLICY, reason)


async def refuse_beta_ws(websocket: WebSocket, error: ApiError) -> None:
    """Refuse a beta connection as the beta service did: accept, one `error` event
    carrying OpenAI's error object, close 3000."""
    _log_refusal(websocket, error)
    await accept(websocket)
    body = {
        "type": error.type,
        "code": error.code,
        "message": error.message,
        "param": error.param,
        "event_id": None,
    }
    event = {"type": "error", "event_id": new_event_id(), "error": body}
    await websocket.send_text(json.dumps(event))
    reason = error.message.encode()[:_CLOSE_REASON_MAX].decode(errors="ignore")
    await websocket.close(CLOSE_BETA_REFUSED, reason)


def _log_refusal(connection: HTTPConnection, error: ApiError) -> None:
    client = connection.client.host if connection.client else "?"
    log.warning("refused %s from %s: %s", connection.url.path, client, error.message)
