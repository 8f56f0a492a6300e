"""ICE settings for our aiortc peers: no STUN unless asked, loopback when it is needed.

aioice (0.13) gathers host candidates from every interface but 127.0.0.1, as RFC 8445
5.1.1.1 says, and has no option to include it (`aioice.ice.get_host_addresses` skips
it outright). On a loopback-only machine (a container, CI, a network namespace) the
answer then has no candidate at all and ICE cannot start. We wrap that module-level
function once; the wrapper reads a context variable, so only the gathering we run
inside `loopback_candidates(...)` changes and every other aioice user in the process
is left alone. The same holds for aiortc's default STUN server (stun.l.google.com):
`RTCConfiguration(iceServers=None)` means Google's, so we always pass a list.

A peer that vanishes (a closed laptop, a killed browser) is noticed by ICE consent
freshness (RFC 7675): aioice checks every 5 s and gives up after six checks unanswered,
about 30 s. `REALTIME_SDK_ICE_CONSENT_TIMEOUT_S` shortens that for the whole process
(tests and benchmarks that end calls that way); read once, when aioice is first wrapped.
"""

from __future__ import annotations

import contextlib
import contextvars
import logging
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:  # aiortc and aioice load with the first call, not with the server
    from aiortc import RTCConfiguration, RTCIceServer

log = logging.getLogger("realtime_sdk.webrtc")

LOOPBACK_V4 = "127.0.0.1"
CONSENT_TIMEOUT_ENV = "REALTIME_SDK_ICE_CONSENT_TIMEOUT_S"
Loopback = Literal["auto", "include", "only", "never"]

_mode: contextvars.ContextVar[Loopback] = contextvars.ContextVar(
    "realtime_sdk_loopback", default="never"
)
_original: Any = None  # aioice's own get_host_addresses, once `install` ran


def _host_addresses(use_ipv4: bool, use_ipv6: bool) -> list[str]:
    """aioice's host addresses, with 127.0.0.1 added (or alone) as the context asks."""
    mode = _mode.get()
    if mode == "only":
        return [LOOPBACK_V4] if use_ipv4 else []
    addresses: list[str] = _original(use_ipv4, use_ipv6)
    wanted = mode == "include" or (mode == "auto" and not addresses)
    if wanted and use_ipv4 and LOOPBACK_V4 not in addresses:
        addresses.append(LOOPBACK_V4)
    return addresses


def install() -> None:
    """Idempotent; outside `loopback_candidates` the wrapper returns what aioice would."""
    global _original
    import aioice.ice

    if aioice.ice.get_host_addresses is not _host_addresses:
        _original = aioice.ice.get_host_addresses
        aioice.ice.get_host_addresses = _host_addresses
        _consent_timeout(os.environ.get(CONSENT_TIMEOUT_ENV))


def _consent_timeout(value: str | None) -> None:
    """aioice's consent check interval, so that its six failures take about `value` s."""
    if not value:
        return
    import aioice.ice

    try:
        seconds = float(value)
    except ValueError:
        seconds = 0.0
    if seconds <= 0:
        log.warning("%s=%r is not a number of seconds: ignored", CONSENT_TIMEOUT_ENV, value)
        return
    # an int in aioice (5), used as a float: it is multiplied by a random factor
    aioice.ice.CONSENT_INTERVAL = seconds / aioice.ice.CONSENT_FAILURES  # type: ignore[assignment]


@contextlib.contextmanager
def loopback_candidates(mode: Loopback) -> Iterator[None]:
    """Gather with this loopback policy: wrap the `setLocalDescription` call in it
    (aiortc gathers there, in the calling task, so the context variable is seen)."""
    install()
    token = _mode.set(mode)
    try:
        yield
    finally:
        _mode.reset(token)


@dataclass(frozen=True)
class IceConfig:
    """`ice_servers`: STUN/TURN servers (none by default: host candidates only).
    `loopback`: "auto" adds 127.0.0.1 when there is no other address, or when the peer
    is itself on loopback (see `for_peer`); "include" always; "only" gathers nothing
    else (tests); "never" is aioice's own behaviour."""

    ice_servers: tuple[RTCIceServer, ...] = field(default_factory=tuple)
    loopback: Loopback = "auto"

    def rtc_configuration(self) -> RTCConfiguration:
        from aiortc import RTCConfiguration

        return RTCConfiguration(iceServers=list(self.ice_servers))

    def for_peer(self, host: str | None) -> Loopback:
        """The loopback policy for a peer at `host` (the HTTP client's address)."""
        if self.loopback == "auto" and host is not None and _is_loopback(host):
            return "include"
        return self.loopback


def _is_loopback(host: str) -> bool:
    return host == "::1" or host.startswith("127.") or host == "localhost"
