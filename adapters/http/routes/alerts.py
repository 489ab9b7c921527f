"""Alerts raised by the team KPI rules, turning one into a coaching check-in,
and the rules themselves."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Query, Response
from pydantic import BaseModel, ConfigDict

from adapters.http.auth import CurrentPrincipal
from adapters.http.routes.common import AppServices, IfMatch, accepted, page, parse_id, versioned
from engine.alert_rules import SetAlertRules
from engine.alerting import AlertCheckIn
from engine.commands import Reason

router = APIRouter(tags=["alerts"])
Status = Literal["open", "checked_in", "dismissed"]
EXAMPLE: dict[str, Any] = {
    "id": "6f1c0d3e-8a51-5a43-9d8f-2f0d7a9c1b2e",
    "key": "deviation:aht_seconds:agent-0007:2026-10-06",
    "rule": "deviation",
    "team_id": "team-01",
    "team_name": "North",
    "agent_id": "agent-0007",
    "agent_name": "Ada Lovelace",
    "kpi": "aht_seconds",
    "day": "2026-10-06",
    "value": 512.4,
    "threshold": 431.2,
    "summary": "aht_seconds 512 on 2026-10-06 is 2.1 standard deviations above the team mean 352",
    "details": {"team_mean": 352.0, "team_sd": 76.1, "z": 2.1, "sigma": 1.5},
    "status": "open",
    "raised_by": "system:alerts",
    "raised_at": "2026-10-07T00:00:05+00:00",
    "check_in_id": None,
    "handled_by": None,
    "handled_at": None,
    "dismiss_reason": None,
    "version": 1,
    "updated_at": "2026-10-07T00:00:05+00:00",
}


def with_names(schema: dict[str, Any]) -> None:
    """The alert's schema: the example, and the names the API adds beside its ids."""
    schema["examples"] = [EXAMPLE]
    for field, what in (("agent_name", "agent"), ("team_name", "team")):
        schema["properties"][field] = {
            "type": "string",
            "description": f"the {what}'s display name; absent when the roster does not know it",
        }


class AlertOut(BaseModel):
    """An alert as the read model holds it, with the names of its agent and team."""

    model_config = ConfigDict(extra="allow", json_schema_extra=with_names)
    id: str
    rule: str
    team_id: str
    agent_id: str
    kpi: str
    day: str
    value: float
    threshold: float
    summary: str
    status: Status
    check_in_id: str | None = None
    version: int


class AlertPage(BaseModel):
    """A page of alerts; pass next_cursor as cursor for the next (null on the last page)."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"items": [EXAMPLE], "next_cursor": None}]}
    )
    items: list[AlertOut]
    next_cursor: str | None


class CheckInCreated(BaseModel):
    """The check-in recorded from an alert, and the alert's new version."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "0b7e7f4c-5d0c-4d3a-9a53-0d6c1f1e9a10",
                    "version": 1,
                    "alert_id": EXAMPLE["id"],
                    "alert_version": 2,
                }
            ]
        }
    )
    id: str
    version: int
    alert_id: str
    alert_version: int


@router.get("/v1/alerts", response_model=AlertPage)
def list_alerts(
    who: CurrentPrincipal,
    services: AppServices,
    team_id: str | None = None,
    agent_id: str | None = None,
    status: Status | None = None,
    limit: int = Query(default=100, ge=1, le=1000),
    cursor: str | None = Query(default=None, description="next_cursor of the previous page"),
) -> dict[str, Any]:
    """Alerts by team, agent and status, ordered by id; managers see their teams',
    agents their own."""
    return page(services.alerts.page(who, team_id, agent_id, status, limit, cursor), limit)


@router.get("/v1/alerts/{alert_id}", response_model=AlertOut)
def get_alert(
    alert_id: str, who: CurrentPrincipal, services: AppServices, response: Response
) -> dict[str, Any]:
    """One alert: what tripped, the value against its threshold, and what was done about it."""
    return versioned(services.alerts.get(who, alert_id), response)


@router.post("/v1/alerts/{alert_id}/check-in", status_code=201, response_model=CheckInCreated)
def check_in(
    alert_id: str,
    who: CurrentPrincipal,
    services: AppServices,
    version: IfMatch,
    response: Response,
    body: Annotated[
        AlertCheckIn | None,
        Body(
            openapi_examples={
                "defaults": {"value": {}},
                "with action": {
                    "value": {
                        "notes": "Walked through hold etiquette",
                        "action_items": [
                            {
                                "description": "Shadow a senior agent",
                                "owner_id": "agent-0007",
                                "due": "2026-10-20",
                            }
                        ],
                    }
                },
            }
        ),
    ] = None,
) -> dict[str, Any]:
    """Turns the alert into a coaching check-in with the agent (held by the caller), in one step."""
    alert, recorded = services.alerts.check_in(
        who, parse_id(alert_id), body or AlertCheckIn(), version
    )
    return accepted(recorded, response, alert_id=str(alert.id), alert_version=alert.version)


@router.post("/v1/alerts/{alert_id}/dismiss")
def dismiss(
    alert_id: str,
    body: Reason,
    who: CurrentPrincipal,
    services: AppServices,
    version: IfMatch,
    response: Response,
) -> dict[str, Any]:
    """Closes the alert without a check-in; the reason is kept."""
    return accepted(
        services.alerts.dismiss(who, parse_id(alert_id), body.reason, version), response
    )


@router.get("/v1/teams/{team_id}/alert-rules")
def get_rules(team_id: str, who: CurrentPrincipal, services: AppServices) -> dict[str, Any]:
    """The team's alert rules in force (the defaults until a manager sets some)."""
    return services.alerts.rules(who, team_id)


@router.put("/v1/teams/{team_id}/alert-rules")
def put_rules(
    team_id: str,
    body: SetAlertRules,
    who: CurrentPrincipal,
    services: AppServices,
    response: Response,
) -> dict[str, Any]:
    """Sets the team's alert rules (replacing the previous ones, which stay in the audit trail)."""
    return accepted(services.alerts.set_rules(who, team_id, body), response)
