"""Each package says what it offers: `__all__` in its `__init__`, exactly the public names it
defines or re-exports, each of which resolves; the README imports only those."""

from __future__ import annotations

import ast
import importlib
import pkgutil
import re
from pathlib import Path

import pytest

import realtime_sdk

ROOT = Path(__file__).resolve().parent.parent
PACKAGE_DIR = Path(realtime_sdk.__file__).parent
README = ROOT / "README.md"


def packages() -> list[str]:
    found = ["realtime_sdk"]
    for info in pkgutil.walk_packages([str(PACKAGE_DIR)], "realtime_sdk."):
        if info.ispkg and "._generated" not in info.name:
            found.append(info.name)
    return sorted(found)


def offered(init: Path) -> set[str]:
    """The public names an `__init__` binds at its top level: imported (also under
    TYPE_CHECKING, for the names a package loads on first use), defined or assigned."""
    names: set[str] = set()
    body = ast.parse(init.read_text()).body
    for node in body:
        if isinstance(node, ast.If):  # `if TYPE_CHECKING:`
            body += node.body
        elif isinstance(node, ast.ImportFrom) and node.level > 0:
            names.update(a.asname or a.name for a in node.names)
        elif isinstance(node, ast.FunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            names.update(t.id for t in node.targets if isinstance(t, ast.Name))
    return {n for n in names if not n.startswith("_") and n != "lazy_names"}


@pytest.mark.parametrize("name", packages())
def test_all_is_exactly_what_the_package_offers(name: str) -> None:
    module = importlib.import_module(name)
    exported = getattr(module, "__all__", None)
    assert exported is not None, f"{name} has no __all__"
    assert len(set(exported)) == len(exported), f"{name}.__all__ repeats a name"
    init = Path(module.__file__ or "")
    assert offered(init) == set(exported), f"{name}: __all__ differs from what it binds"
    for public in exported:
        assert getattr(module, public) is not None, f"{name}.{public} does not resolve"


def readme_imports() -> list[tuple[str, str]]:
    """(module, name) for each `from realtime_sdk... import name` in the README's code, and
    each `realtime_sdk.<package>.<Name>` it names in prose."""
    text = README.read_text()
    found: list[tuple[str, str]] = []
    for module, names in re.findall(r"^from (realtime_sdk[\w.]*) import ([\w, ]+)$", text, re.M):
        found += [(module, n.strip()) for n in names.split(",") if n.strip()]
    for dotted in re.findall(r"`(realtime_sdk(?:\.\w+)+)(?:\(\))?`", text):
        module, _, last = dotted.rpartition(".")
        if not is_module(dotted):
            found.append((module, last))
    return found


def is_module(dotted: str) -> bool:
    try:
        importlib.import_module(dotted)
    except ImportError:
        return False
    return True


@pytest.mark.parametrize(("module", "name"), readme_imports())
def test_the_readme_imports_only_declared_names(module: str, name: str) -> None:
    imported = importlib.import_module(module)
    assert name in getattr(imported, "__all__", ()), f"README uses {module}.{name}"
