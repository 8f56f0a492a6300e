"""What every protocol's server side shares: the server's config, who may connect (API keys,
`ek_` keys, refusals), HTTP errors shaped like the service's, bounded body reads, and the
playground page. The app that mounts the protocols' routes is `realtime_sdk.app`; a route of
your own beside them can use `authorize_http` and `ApiError` as these do."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._lazy import lazy_names

if TYPE_CHECKING:
    from .auth import (
        Authenticator,
        AuthError,
        EphemeralKeys,
        Grant,
        authorize_http,
        authorize_ws,
        refuse_ws,
    )
    from .config import ServerConfig
    from .errors import ApiError

_HOMES = {
    "ApiError": "errors",
    "AuthError": "auth",
    "Authenticator": "auth",
    "EphemeralKeys": "auth",
    "Grant": "auth",
    "ServerConfig": "config",
    "authorize_http": "auth",
    "authorize_ws": "auth",
    "refuse_ws": "auth",
}
__all__ = [
    "ApiError",
    "AuthError",
    "Authenticator",
    "EphemeralKeys",
    "Grant",
    "ServerConfig",
    "authorize_http",
    "authorize_ws",
    "refuse_ws",
]

__getattr__, __dir__ = lazy_names(__name__, _HOMES)
