"""Audio for the Realtime protocol: wire formats, base64, G.711, resampling, levels, WAV.

Self-contained (numpy and soxr; PyAV for live resampling, loaded when first needed) so that
the sans-I/O session core can import it without pulling in anything else of ours. Samples
are always 1-D ``int16`` arrays here; wire audio is always ``bytes``. One job per module:

- `formats`: `AudioFormat` (GA objects and beta strings), the format constants, `Int16Array`;
- `wire`: strict base64, as the protocol's JSON carries audio;
- `g711`: mu-law and A-law tables, bit for bit the ITU-T reference;
- `codec`: wire bytes <-> samples, once or as a stream that changes rate;
- `resample`: soxr for whole signals, libswresample for live streams (the reason is there);
- `levels`: whether audio is quiet, the one definition;
- `channels`: any audio array -> mono int16, and FastRTC's frame shape;
- `wav`: WAV files in and out.
"""

from __future__ import annotations

from .channels import to_fastrtc_frame, to_mono_int16
from .codec import QuietSkippingDecoder, WireDecoder, WireEncoder, decode, encode
from .formats import PCM24K, PCMA, PCMU, AudioFormat, Encoding, FormatLike, Int16Array
from .levels import QUIET_RMS, is_quiet
from .resample import Quality, StreamingResampler, resample
from .wav import read_wav, write_wav
from .wire import b64decode_audio, b64encode_audio, decode_wire_audio

__all__ = [
    "PCM24K",
    "PCMA",
    "PCMU",
    "QUIET_RMS",
    "AudioFormat",
    "Encoding",
    "FormatLike",
    "Int16Array",
    "Quality",
    "QuietSkippingDecoder",
    "StreamingResampler",
    "WireDecoder",
    "WireEncoder",
    "b64decode_audio",
    "b64encode_audio",
    "decode",
    "decode_wire_audio",
    "encode",
    "is_quiet",
    "read_wav",
    "resample",
    "to_fastrtc_frame",
    "to_mono_int16",
    "write_wav",
]
