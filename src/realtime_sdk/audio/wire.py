"""Audio as the protocol's JSON carries it: strict base64.

A client's bad ``audio`` field must be refused where it arrives, with a message that names the
fault, not decoded leniently and failing later far from its cause.
"""

from __future__ import annotations

import binascii

from .formats import AudioFormat

__all__ = ["b64decode_audio", "b64encode_audio", "decode_wire_audio"]


def b64decode_audio(text: str | bytes) -> bytes:
    """Strict base64 (no whitespace, correct padding): a bad ``audio`` field is a client error."""
    # binascii's strict mode (3.11, 3.12) lets padding run past the last quantum ("QUJD=",
    # "AAAA====")
    if len(text) % 4:
        raise ValueError("invalid base64 audio: its length is not a multiple of 4")
    if text[-3:] in ("===", b"==="):
        raise ValueError("invalid base64 audio: more than two padding characters")
    try:
        return binascii.a2b_base64(text, strict_mode=True)
    except (binascii.Error, ValueError) as exc:  # ValueError: non-ASCII str
        raise ValueError(f"invalid base64 audio: {exc}") from None


def decode_wire_audio(text: str | bytes, fmt: AudioFormat) -> bytes:
    """A client's base64 audio in `fmt`, refused (ValueError, a message for people) unless it
    is strict base64 of whole samples: half a PCM16 sample would fail later, far from its cause."""
    data = b64decode_audio(text)
    if len(data) % fmt.bytes_per_sample:
        raise ValueError(
            f"PCM16 audio must be a whole number of 2-byte samples; got {len(data)} bytes"
        )
    return data


def b64encode_audio(data: bytes | bytearray | memoryview) -> str:
    """Standard padded base64 without newlines, as the protocol sends it."""
    return binascii.b2a_base64(data, newline=False).decode("ascii")
