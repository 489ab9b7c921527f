"""The roster: import and export of its files, and its people, teams and sites."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, File, Query, Response, UploadFile

from adapters.http.auth import CurrentPrincipal
from adapters.http.routes.common import AppServices, Services

router = APIRouter(tags=["roster"])


def read_upload(upload: UploadFile | None, limit: int) -> bytes | None:
    """The upload's bytes, at most one past the limit (the import then refuses it by size)."""
    return None if upload is None else upload.file.read(limit + 1)


@router.post("/v1/roster/import")
def import_roster(
    who: CurrentPrincipal,
    services: AppServices,
    container: Services,
    teams: Annotated[UploadFile | None, File(description="teams.csv")] = None,
    people: Annotated[UploadFile | None, File(description="people.csv")] = None,
    dry_run: Annotated[bool, Query(description="check and count, apply nothing")] = False,
) -> dict[str, Any]:
    """Imports teams.csv and/or people.csv (admins): every problem listed by file, line and
    column with nothing applied (422), else the counts of what was created, changed and left."""
    limit = container.settings.roster_max_bytes
    return services.roster.import_files(
        who,
        read_upload(teams, limit),
        read_upload(people, limit),
        dry_run,
        names=(
            (teams.filename if teams and teams.filename else "teams.csv"),
            (people.filename if people and people.filename else "people.csv"),
        ),
    )


@router.get("/v1/roster/export", response_class=Response)
def export_roster(
    who: CurrentPrincipal,
    services: AppServices,
    file: Annotated[Literal["teams", "people"], Query(description="which file")],
) -> Response:
    """One roster file as CSV, in the import's format (admins)."""
    text = services.roster.export(who, file)
    return Response(
        text,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{file}.csv"'},
    )


@router.get("/v1/roster/people")
def list_people(who: CurrentPrincipal, services: AppServices) -> dict[str, Any]:
    """The persons of the roster the caller may see, with their team now and memberships."""
    return {"items": services.roster.people(who)}


@router.get("/v1/roster/people/{person_id}")
def get_person(person_id: str, who: CurrentPrincipal, services: AppServices) -> dict[str, Any]:
    """One person of the roster."""
    return services.roster.person(who, person_id)


@router.get("/v1/roster/teams")
def list_teams(who: CurrentPrincipal, services: AppServices) -> dict[str, Any]:
    """Every team of the roster with its site, time zone and managers."""
    return {"items": services.roster.teams(who)}


@router.get("/v1/roster/teams/{team_id}")
def get_team(team_id: str, who: CurrentPrincipal, services: AppServices) -> dict[str, Any]:
    """One team of the roster (with its members now, for those who may read them)."""
    return services.roster.team(who, team_id)


@router.get("/v1/roster/sites")
def list_sites(who: CurrentPrincipal, services: AppServices) -> dict[str, Any]:
    """Every site of the roster with its time zone."""
    return {"items": services.roster.sites(who)}
