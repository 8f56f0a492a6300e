"""WebRTC on aiortc: events on the `oai-events` data channel, audio on RTP.

One module per job:

- `transport`: `WebRTCTransport`, a call's Transport and AudioTransport, for either end;
- `client`: `WebRTCClientTransport`, the client end: the call made over HTTP, hung up on close;
- `limits`: how much a call may hold (`Limits`);
- `datachannel`: the events' data channel: its label, the peer's message limit;
- `sideband`: copies of a call's events for a sideband websocket (`Listener`);
- `peer_audio`: the peer's RTP audio as mono int16 at the session's rate;
- `playout`: the audio we send: a buffer that knows what was played, a paced track;
- `ice`: ICE settings (STUN/TURN servers, the loopback policy);
- `sdp`: SDP checks that need no WebRTC stack;
- `hooks`: where aiortc may be adjusted (`_compat.aiortc` does it).

The names below load their module on first use, so that importing this package (for `ice`
or `sdp`) does not load aiortc and PyAV: a server that only serves websockets never does.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..._lazy import lazy_names

if TYPE_CHECKING:
    from .client import WebRTCClientTransport
    from .datachannel import EVENTS_LABEL, max_message_size, too_large_error
    from .ice import IceConfig
    from .limits import CONNECT_TIMEOUT_ENV, Limits
    from .peer_audio import PeerAudio, input_frame
    from .playout import RATE
    from .sdp import SdpError, check_sdp
    from .sideband import Listener
    from .transport import WebRTCTransport

_HOMES = {
    "CONNECT_TIMEOUT_ENV": "limits",
    "EVENTS_LABEL": "datachannel",
    "RATE": "playout",
    "IceConfig": "ice",
    "Limits": "limits",
    "Listener": "sideband",
    "PeerAudio": "peer_audio",
    "SdpError": "sdp",
    "WebRTCClientTransport": "client",
    "WebRTCTransport": "transport",
    "check_sdp": "sdp",
    "input_frame": "peer_audio",
    "max_message_size": "datachannel",
    "too_large_error": "datachannel",
}

__all__ = [
    "CONNECT_TIMEOUT_ENV",
    "EVENTS_LABEL",
    "RATE",
    "IceConfig",
    "Limits",
    "Listener",
    "PeerAudio",
    "SdpError",
    "WebRTCClientTransport",
    "WebRTCTransport",
    "check_sdp",
    "input_frame",
    "max_message_size",
    "too_large_error",
]


__getattr__, __dir__ = lazy_names(__name__, _HOMES)
