"""Speech out: text -> int16 samples with libespeak-ng, through ctypes.

espeak-ng keeps global state and is not thread-safe, so there is one engine per
process behind a lock, fed from one worker thread: the event loop never waits on
it, and ctypes releases the GIL while espeak synthesizes (about 1 ms per second of
speech here). Text is spoken phrase by phrase (split after . ! ? ; : , and line
breaks) so the first audio comes after the first phrase, and a cancelled reply
stops at the next phrase or, mid-phrase, at espeak's next buffer (the synth
callback aborts).

Voices (the protocol's names -> espeak voice+variant, base pitch and pitch range,
each 0-100 with 50 the voice's own):

    alloy   en-us            50 50   the plain American voice
    ash     en-us+m3         40 50   lower male
    ballad  en-gb-x-rp+m1    45 60   British (RP) male, livelier
    coral   en-us+f2         55 50   female
    echo    en-us+m1         50 50   male
    sage    en-gb-x-rp+f1    50 40   British (RP) female, calm
    shimmer en-us+f3         60 60   bright female
    verse   en-us+m6         55 70   male, wide range
    marin   en-us+f4         50 50   female
    cedar   en-us+m4         35 40   deep male

Any other name is tried as an espeak voice ("en-us+m2", "fr"); one espeak does not
know falls back to alloy. Speed (0.25-1.5) scales 150 words a minute at 1.0;
espeak's slowest rate is 80, so below 0.53 the rate stays at 80 and pauses between
words make up the rest (calibrated so the duration still scales as 1/speed).
Output is not bit-for-bit repeatable: espeak's pitch flutter carries over from call
to call (espeak_ng_SetRandSeed does not reset it).
"""

from __future__ import annotations

import asyncio
import ctypes
import re
import threading
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Final

import numpy as np

from ...audio import Int16Array
from ..base import AudioChunk, BackendError

BASE_WPM: Final = 150  # speed 1.0
MIN_WPM: Final = 80  # espeak clamps lower rates to this
MAX_WPM: Final = 450
_GAP_PER_DOUBLING: Final = 17.5  # espeakWORDGAP units that double a phrase's length at 80 wpm

# speak_lib.h
_AUDIO_OUTPUT_SYNCHRONOUS: Final = 2
_INITIALIZE_DONT_EXIT: Final = 0x8000  # report errors instead of calling exit()
_CHARS_UTF8: Final = 1
_POS_CHARACTER: Final = 1
_RATE, _VOLUME, _PITCH, _RANGE, _WORDGAP = 1, 2, 3, 4, 7
_EE_OK: Final = 0
_BUFFER_MS: Final = 100  # how often espeak calls back (and can be aborted) while speaking

_SynthCallback = ctypes.CFUNCTYPE(
    ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.c_void_p
)


class SpeechError(BackendError):
    """espeak-ng could not be loaded or refused to speak."""


@dataclass(frozen=True)
class Voice:
    """An espeak voice (language voice + variant) and its pitch settings (0-100)."""

    espeak: str
    pitch: int = 50
    range: int = 50


VOICES: Final[dict[str, Voice]] = {
    "alloy": Voice("en-us", 50, 50),
    "ash": Voice("en-us+m3", 40, 50),
    "ballad": Voice("en-gb-x-rp+m1", 45, 60),
    "coral": Voice("en-us+f2", 55, 50),
    "echo": Voice("en-us+m1", 50, 50),
    "sage": Voice("en-gb-x-rp+f1", 50, 40),
    "shimmer": Voice("en-us+f3", 60, 60),
    "verse": Voice("en-us+m6", 55, 70),
    "marin": Voice("en-us+f4", 50, 50),
    "cedar": Voice("en-us+m4", 35, 40),
}
DEFAULT_VOICE: Final = "alloy"


def voice_for(name: object) -> Voice:
    """The protocol's voice name (or an espeak voice name) -> the voice to speak with."""
    if not isinstance(name, str) or not name:
        return VOICES[DEFAULT_VOICE]
    return VOICES.get(name.lower(), Voice(name))


def rate_for(speed: float) -> tuple[int, int]:
    """Protocol speed -> (espeak words per minute, extra pause between words in 10 ms units)."""
    speed = min(max(float(speed), 0.25), 3.0)
    wpm = BASE_WPM * speed
    if wpm >= MIN_WPM:
        return min(round(wpm), MAX_WPM), 0
    return MIN_WPM, round(_GAP_PER_DOUBLING * (MIN_WPM / wpm - 1))


# A phrase ends at . ! ? ; : , (with any closing quotes or brackets) before white space,
# or at a line break; "3.14" and "e.g.x" stay whole.
_STOP = r"[.!?;:,\u2026]+[\"'\u201d\u2019)\]]*"  # closing quotes and brackets stay with it
_PHRASE = re.compile(rf".*?(?:{_STOP}(?=\s|$)|\n|$)\s*", re.S)
_ENDED = re.compile(rf"(?:{_STOP}\s|\n)\s*$")
_LONG = 200  # characters: a phrase with no punctuation this long is cut at a space


def split_phrases(text: str) -> list[str]:
    """Pieces to speak one at a time; joined, they give `text` back exactly."""
    pieces = [m.group() for m in _PHRASE.finditer(text) if m.group()]
    out: list[str] = []
    for piece in pieces:
        out.extend(_cut_long(piece))
    return out


def _cut_long(piece: str) -> Iterator[str]:
    while len(piece) > _LONG:
        cut = piece.rfind(" ", 0, _LONG)
        if cut <= 0:
            break
        yield piece[: cut + 1]
        piece = piece[cut + 1 :]
    if piece:
        yield piece


class PhraseBuffer:
    """Streamed text in (LLM deltas), whole phrases out as soon as they are known."""

    def __init__(self) -> None:
        self._text = ""

    def feed(self, delta: str) -> list[str]:
        self._text += delta
        pieces = split_phrases(self._text)
        if pieces and _ENDED.search(pieces[-1]):
            pieces.append("")
        # the last piece may still grow: "3." could become "3.14", "Hi" could become "High"
        complete, self._text = pieces[:-1], pieces[-1] if pieces else ""
        if len(self._text) > _LONG:
            *more, self._text = list(_cut_long(self._text))
            complete += more
        return complete

    def flush(self) -> str:
        rest, self._text = self._text, ""
        return rest


class _Engine:
    """libespeak-ng, initialised once; every call holds the lock."""

    def __init__(self) -> None:
        try:
            import espeakng_loader  # type: ignore[import-untyped]

            lib = ctypes.CDLL(espeakng_loader.get_library_path())
            data = espeakng_loader.get_data_path()
        except (ImportError, OSError, RuntimeError) as exc:
            raise SpeechError(
                f"espeak-ng is not available ({exc}); install realtime-sdk[agent]"
            ) from exc
        lib.espeak_Initialize.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_char_p, ctypes.c_int]
        lib.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
        lib.espeak_SetParameter.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int]
        lib.espeak_Synth.argtypes = [
            ctypes.c_void_p,
            ctypes.c_size_t,
            ctypes.c_uint,
            ctypes.c_int,
            ctypes.c_uint,
            ctypes.c_uint,
            ctypes.c_void_p,
            ctypes.c_void_p,
        ]
        lib.espeak_Info.restype = ctypes.c_char_p
        self.lock = threading.Lock()
        self._lib = lib
        rate = lib.espeak_Initialize(
            _AUDIO_OUTPUT_SYNCHRONOUS, _BUFFER_MS, data.encode(), _INITIALIZE_DONT_EXIT
        )
        if rate <= 0:
            raise SpeechError(f"espeak_Initialize failed with data at {data}")
        self.rate: int = rate
        self.version: str = (lib.espeak_Info(None) or b"").decode()
        self._chunks: list[Int16Array] = []
        self._stop: threading.Event | None = None
        self._callback = _SynthCallback(self._collect)  # kept alive: espeak holds a pointer
        lib.espeak_SetSynthCallback(self._callback)
        self._voice: str | None = None

    def _collect(self, wav: ctypes._Pointer[ctypes.c_short], count: int, events: int) -> int:
        """espeak's synth callback: keep the samples; returning 1 aborts synthesis."""
        if count > 0:
            self._chunks.append(np.ctypeslib.as_array(wav, shape=(count,)).copy())
        return 1 if self._stop is not None and self._stop.is_set() else 0

    def synthesize(
        self, text: str, voice: Voice, speed: float, stop: threading.Event | None = None
    ) -> Int16Array:
        with self.lock:
            if stop is not None and stop.is_set():
                return np.zeros(0, dtype=np.int16)
            self._set_voice(voice)
            wpm, gap = rate_for(speed)
            for parameter, value in (
                (_RATE, wpm),
                (_WORDGAP, gap),
                (_PITCH, voice.pitch),
                (_RANGE, voice.range),
            ):
                self._lib.espeak_SetParameter(parameter, value, 0)
            data = text.encode("utf-8") + b"\0"
            self._chunks, self._stop = [], stop
            try:
                status = self._lib.espeak_Synth(
                    data, len(data), 0, _POS_CHARACTER, 0, _CHARS_UTF8, None, None
                )
                chunks = self._chunks
            finally:
                self._chunks, self._stop = [], None
        if status != _EE_OK:
            raise SpeechError(f"espeak_Synth failed ({status}) for {text[:40]!r}")
        return np.concatenate(chunks) if chunks else np.zeros(0, dtype=np.int16)

    def _set_voice(self, voice: Voice) -> None:
        if voice.espeak == self._voice:
            return
        if self._lib.espeak_SetVoiceByName(voice.espeak.encode()) != _EE_OK:
            fallback = VOICES[DEFAULT_VOICE].espeak
            if self._lib.espeak_SetVoiceByName(fallback.encode()) != _EE_OK:
                raise SpeechError(f"espeak has no voice {voice.espeak!r} nor {fallback!r}")
        self._voice = voice.espeak


class Speech:
    """The process-wide speech synthesizer; `speech()` gives it."""

    def __init__(self) -> None:
        self._engine = _Engine()
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="espeak")

    @property
    def rate(self) -> int:
        """Sample rate of what espeak produces (22050 Hz)."""
        return self._engine.rate

    @property
    def version(self) -> str:
        return self._engine.version

    def synthesize(
        self,
        text: str,
        voice: str | Voice | None = None,
        speed: float = 1.0,
        stop: threading.Event | None = None,
    ) -> Int16Array:
        """All of `text` at once, blocking (thread-safe); `stop` aborts it midway."""
        chosen = voice if isinstance(voice, Voice) else voice_for(voice)
        return self._engine.synthesize(text, chosen, speed, stop)

    async def speak(
        self,
        text: str,
        voice: str | Voice | None = None,
        speed: float = 1.0,
        *,
        chunk_ms: int = 100,
    ) -> AsyncIterator[AudioChunk]:
        """`text` as audio, phrase by phrase, in chunks of `chunk_ms`; cancellable."""
        chosen = voice if isinstance(voice, Voice) else voice_for(voice)
        loop = asyncio.get_running_loop()
        step = max(1, self.rate * chunk_ms // 1000)
        stop = threading.Event()
        try:
            for phrase in split_phrases(text):
                if not phrase.strip():
                    continue
                samples = await loop.run_in_executor(
                    self._executor, self._engine.synthesize, phrase, chosen, speed, stop
                )
                for start in range(0, len(samples), step):
                    yield AudioChunk(samples[start : start + step], self.rate)
        finally:
            stop.set()  # a phrase still being synthesized stops at espeak's next buffer


_speech: Speech | None = None
_speech_lock = threading.Lock()


def speech() -> Speech:
    """The one synthesizer of this process, made on first use (about 5 ms)."""
    global _speech
    with _speech_lock:
        if _speech is None:
            _speech = Speech()
        return _speech
