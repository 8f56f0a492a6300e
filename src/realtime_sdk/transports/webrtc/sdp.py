"""SDP checks that need no WebRTC stack: an offer is refused before one is loaded."""

from __future__ import annotations


class SdpError(ValueError):
    """An offer or answer that is not usable SDP; the message says why."""


def check_sdp(text: str, kind: str = "offer") -> str:
    """The SDP, with line endings made CRLF, or SdpError saying what is wrong with it."""
    lines = [line.strip() for line in text.strip().splitlines()]
    if not lines or lines[0] != "v=0":
        raise SdpError(f"The {kind} is not SDP: it must begin with 'v=0'.")
    if not any(line.startswith("m=") for line in lines):
        raise SdpError(f"The {kind} has no media section ('m=' line).")
    return "\r\n".join(lines) + "\r\n"
