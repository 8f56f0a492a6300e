"""The peer's audio as it comes off RTP, made mono int16 at the rate the session takes."""

from __future__ import annotations

from av import AudioFrame, AudioResampler

from ...audio import to_mono_int16
from ...audio.resample import samples_of_frames
from ..base import InputFrame


def input_frame(frame: AudioFrame) -> InputFrame:
    """A decoded RTP frame as mono int16 (`to_ndarray` leaves out the plane padding)."""
    data = frame.to_ndarray()
    channels = frame.layout.nb_channels
    if frame.format.is_planar:
        mono = to_mono_int16(data, channel_axis=0)
    else:
        mono = to_mono_int16(data.reshape(-1, channels), channel_axis=1)
    return InputFrame(mono, frame.sample_rate)


class PeerAudio:
    """Decoded RTP frames -> mono int16 at one rate, downmixed and resampled in one
    libswresample call (Opus decodes to 48 kHz stereo; a session takes 24 kHz mono).

    Channels are averaged, as `input_frame` does; the resampler holds back ~1 ms, as
    `StreamingResampler` does, and is made afresh if the decoder's output changes.
    """

    def __init__(self, rate: int) -> None:
        self.rate = rate
        self._resampler: AudioResampler | None = None
        self._source: tuple[str, str, int] | None = None

    def convert(self, frame: AudioFrame) -> InputFrame:
        source = (frame.format.name, frame.layout.name, frame.sample_rate)
        if self._resampler is None or source != self._source:
            self._resampler = AudioResampler(format="s16", layout="mono", rate=self.rate)
            self._source = source
        frame.pts = None  # RTP timestamps jump at a loss; the audio itself is what counts
        return InputFrame(samples_of_frames(self._resampler.resample(frame)), self.rate)
