"""The dashboard page (GET /, static files inside the package) and the team list it starts from."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles

from adapters.http.auth import CurrentPrincipal
from adapters.http.routes.common import AppServices

STATIC = Path(__file__).resolve().parent.parent / "static"
router = APIRouter()


@router.get("/", include_in_schema=False)
def page() -> FileResponse:
    """The dashboard: team overview, leaderboard, alerts and agent drill-down."""
    return FileResponse(STATIC / "index.html", headers={"Cache-Control": "no-cache"})


@router.get(
    "/v1/teams",
    tags=["kpis"],
    responses={
        200: {
            "content": {
                "application/json": {
                    "example": {
                        "items": [
                            {"team_id": "team-01", "team_name": "North"},
                            {"team_id": "team-02"},
                        ]
                    }
                }
            }
        }
    },
)
def teams(who: CurrentPrincipal, services: AppServices) -> dict[str, Any]:
    """The teams the caller may read that have KPI data or goals, in order, with their names
    where the roster knows them."""
    return {"items": [{"team_id": t} for t in services.teams.readable(who)]}


def install(app: FastAPI) -> None:
    """Serves the page and its assets; nothing is built or fetched at run time."""
    app.include_router(router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
