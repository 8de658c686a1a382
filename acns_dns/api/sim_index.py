"""``GET /sim/``: what the simulator offers besides Cloudflare's paths, one line per route.

``serve`` prints this address; a user who opens it sees every ``/sim`` route with its
methods and summary, read from the app's own OpenAPI document (so the list cannot go stale
whatever way the routers were included). No credentials needed: it says what exists, not
what the world holds. Imports: fastapi only.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

router = APIRouter(tags=["Simulator: index"])


def sim_routes(openapi: dict[str, Any]) -> list[dict[str, Any]]:
    """Path, methods and summary of every ``/sim`` route of an OpenAPI document, by path."""
    found = [
        {"path": path, "methods": sorted(method.upper() for method in operations),
         "summary": "; ".join(sorted({op.get("summary", "") for op in operations.values()}))}
        for path, operations in openapi.get("paths", {}).items()
        if path.startswith("/sim/")
    ]
    return sorted(found, key=lambda row: row["path"])


@router.get("/sim/", summary="The simulator's routes", include_in_schema=False)
@router.get("/sim", include_in_schema=False)
async def index(request: Request) -> JSONResponse:
    """Every simulator route; Cloudflare's own paths are under ``/client/v4`` (see ``/docs``)."""
    routes = sim_routes(request.app.openapi())
    return JSONResponse({"success": True, "errors": [], "messages": [], "result": routes,
                         "result_info": {"count": len(routes), "total_count": len(routes)}})
