"""hypothesis-jsonschema's `from_schema`, working with the hypothesis the tests use.

hypothesis-jsonschema 0.23.1 (the newest) drives hypothesis's `many` through `more()`, which
hypothesis >= 6.150 replaced by iteration inside a `with` block; `from_schema` then raises
AttributeError on every object schema. `from_schema` here gives it back a `many` with `more()`
on top of the new one first.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from hypothesis import strategies as st


def _restore_more() -> None:
    import hypothesis_jsonschema._from_schema as from_schema_module
    from hypothesis.internal.conjecture import utils

    if hasattr(utils.many, "more"):
        return
    new_many = utils.many

    class Many:
        def __init__(self, data: Any, **kwargs: Any) -> None:
            self._many = new_many(data, **kwargs)
            self._many.__enter__()
            self._elements = iter(self._many)

        def more(self) -> bool:
            if next(self._elements, StopIteration) is StopIteration:
                self._many.__exit__(None, None, None)
                return False
            return True

        def reject(self, why: str | None = None) -> None:
            self._many.reject(why)

    from_schema_module.cu = SimpleNamespace(many=Many)  # type: ignore[attr-defined]


def from_schema(schema: dict[str, Any], **options: Any) -> st.SearchStrategy[Any]:
    """`hypothesis_jsonschema.from_schema(schema, **options)`."""
    from hypothesis_jsonschema import from_schema as original

    _restore_more()
    strategy: st.SearchStrategy[Any] = original(schema, **options)
    return strategy
