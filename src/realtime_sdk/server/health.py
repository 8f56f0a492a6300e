"""`GET /healthz` (the process is alive) and `GET /readyz` (it takes new sessions: not
while draining, nor while the shared state is unreachable), for load balancers and
orchestrators."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from .drain import Drain
from .state.base import SharedState


def health_routes(state: SharedState, drain: Drain) -> list[Route]:
    async def healthz(request: Request) -> JSONResponse:
        return JSONResponse({"status": "ok"})

    async def readyz(request: Request) -> JSONResponse:
        if drain.draining:
            return JSONResponse({"status": "draining", "sessions": len(drain)}, 503)
        if not await state.reachable():
            return JSONResponse({"status": "shared state unreachable"}, 503)
        return JSONResponse({"status": "ready", "sessions": len(drain)})

    return [
        Route("/healthz", healthz, methods=["GET", "HEAD"]),
        Route("/readyz", readyz, methods=["GET", "HEAD"]),
    ]
