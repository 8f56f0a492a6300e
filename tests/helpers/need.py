"""`need`: skip a test whose prerequisite is missing (fail it under REALTIME_SDK_REQUIRE_ALL=1)."""

from __future__ import annotations

import os

import pytest

REQUIRE_ALL = os.environ.get("REALTIME_SDK_REQUIRE_ALL") == "1"


def need(condition: bool, reason: str) -> None:
    """Skip when a prerequisite is missing, or fail under REALTIME_SDK_REQUIRE_ALL=1."""
    if condition:
        return
    if REQUIRE_ALL:
        pytest.fail(f"required prerequisite missing: {reason}")
    pytest.skip(reason)
