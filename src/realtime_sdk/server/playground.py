"""The playground page at `/`: plain HTML, CSS and JavaScript shipped inside the
package (`realtime_sdk/playground/`), so it needs no build step and no network.

The page talks to the server's own routes (`/v1/realtime/calls` and friends) from
the browser, like any other client; the server knows nothing more about it.
"""

from __future__ import annotations

from importlib.resources import files
from importlib.resources.abc import Traversable

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
}
HEADERS = {
    "Cache-Control": "no-cache",  # a new version of the package shows at the next load
    "X-Content-Type-Options": "nosniff",  # module scripts must come as JavaScript
}


def playground_files() -> Traversable:
    return files("realtime_sdk").joinpath("playground")


def _content_type(name: str) -> str | None:
    dot = name.rfind(".")
    return CONTENT_TYPES.get(name[dot:]) if dot > 0 else None


def _serve(name: str) -> Response:
    kind = _content_type(name)
    asset = playground_files().joinpath(name)
    if kind is None or not asset.is_file():  # names come without "/": no way out of the folder
        return Response("Not Found", status_code=404, media_type="text/plain")
    return Response(asset.read_bytes(), media_type=kind, headers=HEADERS)


def playground_routes() -> list[BaseRoute]:
    """`GET /` (the page) and `GET /playground/{name}` (its scripts and style)."""

    async def index(request: Request) -> Response:
        return _serve("index.html")

    async def asset(request: Request) -> Response:
        return _serve(request.path_params["name"])

    return [
        Route("/", index, methods=["GET"]),
        Route("/playground/{name}", asset, methods=["GET"]),
    ]
