"""Ids shaped like the real service's: `sess_`, `conv_`, `item_`, `resp_`, `event_`, `call_`."""

from __future__ import annotations

import itertools
from collections.abc import Callable

from ..._generated._runtime import new_id


class Ids:
    """Makes every id a session hands out; a counter-based variant keeps tests readable."""

    def __init__(self, make: Callable[[str], str] = new_id) -> None:
        self._make = make

    @classmethod
    def counting(cls) -> Ids:
        counter = itertools.count(1)
        return cls(lambda prefix: f"{prefix}{next(counter):04d}")

    def session(self) -> str:
        return self._make("sess_")

    def conversation(self) -> str:
        return self._make("conv_")

    def item(self) -> str:
        return self._make("item_")

    def response(self) -> str:
        return self._make("resp_")

    def event(self) -> str:
        return self._make("event_")

    def call(self) -> str:
        return self._make("call_")
