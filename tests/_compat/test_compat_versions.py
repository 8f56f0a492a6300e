"""The version guard of `realtime_sdk._compat`."""

from __future__ import annotations

import pytest

from realtime_sdk._compat import UnsupportedVersion, apply
from realtime_sdk._compat.versions import check_version, release


def test_release_reads_the_numeric_part() -> None:
    assert release("0.0.34") == (0, 0, 34)
    assert release("1.2rc1") == (1, 2)
    assert release("3.4.0.post1") == (3, 4, 0)
    with pytest.raises(ValueError, match="not a version"):
        release("dev")


def test_a_version_in_the_range_is_returned_others_are_refused() -> None:
    import numpy

    version = numpy.__version__
    assert check_version("numpy", "1", "1000") == version
    with pytest.raises(UnsupportedVersion, match=rf"numpy {version} is not supported.*>=0,<1"):
        check_version("numpy", "0", "1")
    with pytest.raises(UnsupportedVersion):
        check_version("numpy", version + ".1", "1000")  # the lowest is included, not below it


def test_a_library_that_is_not_installed_has_no_version() -> None:
    assert check_version("realtime-sdk-no-such-distribution", "0", "1") is None


def test_apply_is_idempotent() -> None:
    apply()
    apply()
