"""ICE settings for our aiortc peers: no STUN unless asked, loopback when it is needed.

aioice gathers host candidates from every interface but 127.0.0.1, as RFC 8445 5.1.1.1
says, and has no option to include it. On a loopback-only machine (a container, CI, a
network namespace) the answer then has no candidate at all and ICE cannot start. The
`loopback` policy here says when 127.0.0.1 is wanted; `_compat.aiortc` makes aioice gather
it (see `hooks`). Likewise aiortc's default STUN server (stun.l.google.com):
`RTCConfiguration(iceServers=None)` means Google's, so we always pass a list.

Nothing here loads aiortc or aioice: the server takes an `IceConfig` before any call.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:  # aiortc and aioice load with the first call, not with the server
    from aiortc import RTCConfiguration, RTCIceServer

LOOPBACK_V4 = "127.0.0.1"
Loopback = Literal["auto", "include", "only", "never"]


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
