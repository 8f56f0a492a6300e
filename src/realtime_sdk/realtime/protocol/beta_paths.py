"""Addressing a beta or GA event's fields by path, and the dialect tables' value mapping:
what the beta translation (`beta`) walks events with."""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator
from typing import Any

from ..._generated.dialects import VALUES

Path = tuple[str, ...]
EACH = "[]"
_INDEX = re.compile(r"\[(\d+)\]")


# -- paths ------------------------------------------------------------------------


def param_of(path: list[str | int]) -> str:
    """("session", "tools", 0, "name") -> `session.tools[0].name`."""
    out = ""
    for step in path:
        if isinstance(step, int):
            out += f"[{step}]"
        else:
            out += f".{step}" if out else step
    return out


def steps_of(param: str) -> list[str | int]:
    """`session.tools[0].name` -> ["session", "tools", 0, "name"]."""
    steps: list[str | int] = []
    for part in param.split("."):
        name, *indexes = _INDEX.split(part)
        if name:
            steps.append(name)
        steps += [int(i) for i in indexes if i]
    return steps


def found_at(node: Any, path: Path, at: list[str | int]) -> Iterator[tuple[Any, list[str | int]]]:
    """Each value at `path` ("[]" is every element), with its concrete location."""
    if not path:
        yield node, at
        return
    head, rest = path[0], path[1:]
    if head == EACH:
        if isinstance(node, list):
            for index, item in enumerate(node):
                yield from found_at(item, rest, [*at, index])
    elif isinstance(node, dict) and head in node:
        yield from found_at(node[head], rest, [*at, head])


def put_at(node: dict[str, Any], path: Path, value: Any) -> None:
    for step in path[:-1]:
        child = node.get(step)
        if not isinstance(child, dict):
            child = node[step] = {}
        node = child
    node[path[-1]] = value


def matches(path: Path, steps: list[str | int]) -> bool:
    """Does `path` ("[]" for any index) name the start of `steps`?"""
    if len(steps) < len(path):
        return False
    for want, got in zip(path, steps, strict=False):
        if want == EACH and not isinstance(got, int):
            return False
        if want != EACH and want != got:
            return False
    return True


def delete_at(node: dict[str, Any], at: list[str | int]) -> None:
    """Remove the value at a concrete path (it exists)."""
    target: Any = node
    for step in at[:-1]:
        target = target[step]
    del target[at[-1]]


def replace_at(node: dict[str, Any], path: Path, value: Any) -> None:
    """Set the value at a concrete path (the parent must exist)."""
    target: Any = node
    for step in path[:-1]:
        target = target[int(step) if isinstance(target, list) else step]
    last = path[-1]
    target[int(last) if isinstance(target, list) else last] = value


# -- values -----------------------------------------------------------------------


def same_value(a: Any, b: Any) -> bool:
    """Objects match on their `type` (a GA format may leave out or add a rate)."""
    if isinstance(a, dict) and isinstance(b, dict):
        return bool(a.get("type") == b.get("type"))
    return bool(a == b)


def to_ga_value(table: str, value: Any) -> tuple[bool, Any]:
    for beta, ga in VALUES[table]:
        if same_value(beta, value):
            return True, copy.deepcopy(ga)
    return False, value


def to_beta_value(table: str, value: Any) -> Any:
    for beta, ga in VALUES[table]:
        if same_value(ga, value):
            return copy.deepcopy(beta)
    return value
