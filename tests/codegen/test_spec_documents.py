"""The spec files are valid documents of their kinds, checked by the reference tools."""

from __future__ import annotations

import json
import shutil
import subprocess

from helpers.need import need
from helpers.paths import ROOT
from openapi_spec_validator import OpenAPIV31SpecValidator
from openapi_spec_validator.readers import read_from_filename

from codegen import yamlio
from codegen.paths import EVENTS_SPEC, HTTP_SPEC


def test_http_spec_is_valid_openapi_3_1() -> None:
    document, url = read_from_filename(str(HTTP_SPEC))
    errors = [
        str(e).splitlines()[0]
        for e in OpenAPIV31SpecValidator(document, base_uri=url).iter_errors()
    ]
    assert errors == []


def test_http_spec_has_the_routes_clients_use() -> None:
    paths = yamlio.load_path(HTTP_SPEC)["paths"]
    assert {
        "/realtime",  # legacy beta SDP offer
        "/realtime/calls",
        "/realtime/calls/{call_id}/hangup",
        "/realtime/client_secrets",
        "/realtime/sessions",
    } <= set(paths)
    calls = paths["/realtime/calls"]["post"]["requestBody"]["content"]
    assert {"application/sdp", "multipart/form-data"} <= set(calls)


def test_events_spec_is_valid_asyncapi_3() -> None:
    node = shutil.which("node")
    parser = ROOT / "node_modules" / "@asyncapi" / "parser"
    need(
        node is not None and parser.exists(), "node and @asyncapi/parser (make test installs them)"
    )
    assert node is not None
    done = subprocess.run(
        [
            node,
            str(ROOT / "tests" / "codegen" / "node" / "validate-asyncapi.mjs"),
            str(EVENTS_SPEC),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    summary = json.loads(done.stdout.strip().splitlines()[-1])
    assert summary["messages"] == len(yamlio.load_path(EVENTS_SPEC)["components"]["messages"])
