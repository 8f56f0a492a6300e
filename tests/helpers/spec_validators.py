"""The reference validators of our spec files: @asyncapi/parser and openapi-spec-validator."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

from openapi_spec_validator import OpenAPIV31SpecValidator
from openapi_spec_validator.readers import read_from_filename

from helpers.need import need
from helpers.paths import ROOT


def openapi_errors(path: Path) -> list[str]:
    """The first line of each OpenAPI 3.1 error in the document at `path`."""
    document, url = read_from_filename(str(path))
    validator = OpenAPIV31SpecValidator(document, base_uri=url)
    return [str(error).splitlines()[0] for error in validator.iter_errors()]


def asyncapi_summary(path: Path) -> dict[str, Any]:
    """The reference parser's verdict on an AsyncAPI document (`errors`, `messages`); fails the
    test on any error, skips it where Node or the parser is missing."""
    node = shutil.which("node")
    parser = ROOT / "node_modules" / "@asyncapi" / "parser"
    need(
        node is not None and parser.exists(), "node and @asyncapi/parser (make test installs them)"
    )
    assert node is not None
    script = ROOT / "tests" / "codegen" / "node" / "validate-asyncapi.mjs"
    done = subprocess.run(
        [node, str(script), str(path)], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stdout + done.stderr
    summary: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return summary
