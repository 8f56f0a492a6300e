"""What the WebRTC transport relies on in aiortc's and aioice's internals, checked on the
installed versions.

A failure here means aiortc or aioice changed under `realtime_sdk._compat.aiortc`: revisit
that module (and its version ranges) before widening the ranges.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import subprocess
import sys

import aioice.ice
import pytest
from aiortc import RTCPeerConnection, rtcrtpsender, rtp
from aiortc.jitterbuffer import JitterBuffer
from aiortc.rtcrtpreceiver import RTCRtpReceiver

from realtime_sdk._compat import aiortc as compat
from realtime_sdk._compat.versions import release
from realtime_sdk.transports.webrtc.hooks import AIORTC_HOOKS
from realtime_sdk.transports.webrtc.ice import LOOPBACK_V4, Loopback


def test_the_installed_versions_are_in_the_ranges() -> None:
    aiortc_version, aioice_version = compat.check_aiortc()
    assert aiortc_version is not None and aioice_version is not None
    assert release(compat.AIORTC_LOWEST) <= release(aiortc_version) < release(compat.AIORTC_BELOW)
    assert release(compat.AIOICE_LOWEST) <= release(aioice_version) < release(compat.AIOICE_BELOW)


def test_the_senders_look_the_audio_level_up_per_frame() -> None:
    """Replacing the module function reaches every sender only while they call it through
    the module, at each frame."""
    assert callable(rtp.compute_audio_level_dbov)
    assert "rtp.compute_audio_level_dbov(" in inspect.getsource(rtcrtpsender)


def test_the_receiver_keeps_its_audio_buffer_where_we_replace_it() -> None:
    """aiortc 1.x: `RTCRtpReceiver.__jitter_buffer`, a JitterBuffer with the private fields
    our buffer reads, and `add` the only thing the receiver calls on it."""

    async def main() -> None:
        pc = RTCPeerConnection()
        try:
            buffer = getattr(pc.addTransceiver("audio").receiver, compat._BUFFER)
            assert isinstance(buffer, JitterBuffer) and buffer.capacity == 16
            assert buffer._origin is None and len(buffer._packets) == buffer.capacity
            assert callable(buffer._remove_frame) and callable(buffer.remove)
        finally:
            await pc.close()

    asyncio.run(main())
    source = inspect.getsource(RTCRtpReceiver)
    assert "self.__jitter_buffer.add(packet)" in source
    assert source.count("self.__jitter_buffer.") == 1  # nothing else is asked of it


def test_our_transceivers_get_the_prompt_buffer() -> None:
    async def main() -> None:
        pc = RTCPeerConnection()
        try:
            transceiver = pc.addTransceiver("audio")
            assert compat.hear_promptly(transceiver)
            assert isinstance(
                getattr(transceiver.receiver, compat._BUFFER), compat.AudioJitterBuffer
            )
        finally:
            await pc.close()

    asyncio.run(main())


def test_aioice_gathers_through_the_module_function() -> None:
    """The host addresses come from `aioice.ice.get_host_addresses(use_ipv4, use_ipv6)`,
    looked up when gathering; consent freshness reads two module constants."""
    assert list(inspect.signature(aioice.ice.get_host_addresses).parameters) in (
        ["use_ipv4", "use_ipv6"],
    )
    assert "get_host_addresses(" in inspect.getsource(aioice.ice.Connection)
    assert isinstance(aioice.ice.CONSENT_FAILURES, int)
    assert isinstance(aioice.ice.CONSENT_INTERVAL, int | float)
    source = inspect.getsource(aioice.ice.Connection)
    assert "CONSENT_INTERVAL" in source and "CONSENT_FAILURES" in source


def test_loopback_candidates_are_gathered_inside_the_context_only() -> None:
    async def gathered(policy: Loopback | None) -> list[str]:
        connection = aioice.ice.Connection(ice_controlling=True, components=1)
        try:
            if policy is None:
                await connection.gather_candidates()
            else:
                with compat.loopback_candidates(policy):
                    await connection.gather_candidates()
            return [c.host for c in connection.local_candidates]
        finally:
            await connection.close()

    assert asyncio.run(gathered("only")) == [LOOPBACK_V4]
    assert LOOPBACK_V4 not in asyncio.run(gathered(None))  # aioice's own rule, as before


def test_nothing_is_patched_at_import_and_apply_sets_the_hooks() -> None:
    """Importing the module (or the package) patches nothing and loads no aiortc; `apply`
    sets the transport's hooks, and the `prepare` hook makes the process-wide patch."""
    probe = """
import json, sys
from realtime_sdk import _compat
from realtime_sdk._compat import aiortc as compat
from realtime_sdk.transports.webrtc.hooks import AIORTC_HOOKS
loaded = sorted(m for m in ("aiortc", "aioice", "av") if m in sys.modules)
untouched = AIORTC_HOOKS.prepare is not compat._prepare
compat.apply()
print(json.dumps([loaded, untouched, AIORTC_HOOKS.prepare is compat._prepare,
                  "aiortc" in sys.modules]))
"""
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == [[], True, True, False]
    compat.apply()
    AIORTC_HOOKS.prepare()
    assert rtp.compute_audio_level_dbov is compat.audio_level_dbov
    assert AIORTC_HOOKS.audio_receiver is compat.hear_promptly
    assert AIORTC_HOOKS.gathering is compat.loopback_candidates


def test_an_unsupported_version_is_refused_by_name(monkeypatch: pytest.MonkeyPatch) -> None:
    from realtime_sdk._compat import UnsupportedVersion, versions

    monkeypatch.setattr(versions.importlib.metadata, "version", lambda name: "2.0.0")
    versions.check_version.cache_clear()
    try:
        with pytest.raises(UnsupportedVersion, match=r"aiortc 2\.0\.0 is not supported"):
            compat.apply()
    finally:
        monkeypatch.undo()
        versions.check_version.cache_clear()
