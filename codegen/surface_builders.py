"""Sync builders for the translation and GPT-Live surfaces, over those modules' own
build functions (codegen/translation.py, codegen/live.py), which write the same files
when run alone."""

from __future__ import annotations

from typing import Any

from .surfaces import Built, Inputs, SurfaceUnavailable


def claimed_by(specs: dict[str, dict[str, Any]]) -> set[str]:
    """What a surface's specs took from upstream: the schemas they mark `x-upstream`, and
    their paths."""
    found: set[str] = set()
    for spec in specs.values():
        for schema in spec.get("components", {}).get("schemas", {}).values():
            if isinstance(schema, dict) and isinstance(schema.get("x-upstream"), str):
                found.add(schema["x-upstream"])
        found |= {f"path {path}" for path in spec.get("paths", {})}
    return found


def translation(inputs: Inputs) -> Built:
    """Realtime translation, from the same upstream document as the Realtime surface."""
    from . import translation as module

    events = module.build(inputs.document, sha256=inputs.source.sha256)
    specs = {module.EVENTS_NAME: events, module.HTTP_NAME: module.build_http(inputs.document)}
    return Built(specs, list(events["info"].get("x-repairs", [])), claimed_by(specs))


def live(inputs: Inputs) -> Built:
    """GPT-Live, from the installed `openai` package (the public document has none of it);
    the package and the sha256 of the files read are its pin."""
    from . import live as module
    from .live_source import LiveSourceError

    try:
        events, http = module.build()
    except LiveSourceError as exc:
        raise SurfaceUnavailable(str(exc).splitlines()[0]) from None
    source = events["info"].get("x-source", {})
    pin = f"{source.get('package')} {source.get('version')} ({source.get('files')} files"
    pin += f", sha256 {source.get('sha256')})"
    specs = {module.EVENTS_FILE: events, module.HTTP_FILE: http}
    return Built(specs, list(events["info"].get("x-repairs", [])), claimed_by(specs), [pin])
