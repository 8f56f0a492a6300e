"""Where the spec and the generated code live."""

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SPEC_DIR = ROOT / "spec"
EVENTS_SPEC = SPEC_DIR / "realtime.asyncapi.yaml"
HTTP_SPEC = SPEC_DIR / "realtime.openapi.yaml"
GENERATED = ROOT / "src" / "realtime_sdk" / "_generated"
TEMPLATES = Path(__file__).resolve().parent / "templates"
