"""Who may do what: the role and team scope rules every application service applies.

A token says who the caller is (engine/tokens.py); these rules say what that caller may
read or change. They live in the engine so that every entry point (HTTP today) applies the
same rules through the application services.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from engine.tokens import Principal


class Forbidden(Exception):
    """A valid caller whose role or scope does not allow this (403)."""


def require_role(principal: Principal, *roles: str) -> None:
    """Refuses a caller whose role is not one of those named."""
    if principal.role not in roles:
        raise Forbidden(f"role {principal.role} may not do this")


def can_read(principal: Principal, doc: Mapping[str, Any]) -> bool:
    """Admins and auditors read everything; managers their teams; agents themselves."""
    if principal.role in ("admin", "auditor"):
        return True
    if principal.role == "manager":
        return doc.get("team_id") in principal.teams
    if principal.role == "agent":
        return doc.get("agent_id") == principal.subject
    return False


def check_read(principal: Principal, doc: Mapping[str, Any]) -> None:
    """Refuses a record (a document or an aggregate's state) outside the caller's scope."""
    if not can_read(principal, doc):
        raise Forbidden("outside your scope")


def check_manage(principal: Principal, team_id: str) -> None:
    """Writes to a team's records: admins, and managers of that team."""
    if principal.role == "admin":
        return
    if principal.role == "manager" and team_id in principal.teams:
        return
    raise Forbidden(f"role {principal.role} may not change records of team {team_id}")


def readable_teams(principal: Principal) -> tuple[str, ...] | None:
    """None when every team is readable, else the teams the principal may read."""
    return principal.teams if principal.role == "manager" else None


def check_own(principal: Principal, agent_id: str) -> None:
    """Acts only the agent may take on their own records (acknowledge, dispute)."""
    if principal.role != "agent" or principal.subject != agent_id:
        raise Forbidden("only the agent concerned may do this")


def check_team_read(principal: Principal, team_id: str) -> None:
    """Team-wide reads: admins, auditors, and managers of that team."""
    if principal.role in ("admin", "auditor"):
        return
    if principal.role == "manager" and team_id in principal.teams:
        return
    raise Forbidden(f"role {principal.role} may not read team {team_id}")


def check_team_kpis(principal: Principal, team_id: str | None) -> None:
    """A team's KPI figures: admins, auditors, and managers of that team (no team named: none)."""
    if principal.role in ("admin", "auditor"):
        return
    if principal.role == "manager" and team_id in principal.teams:
        return
    raise Forbidden("outside your scope")


def own_agent(principal: Principal, agent_id: str | None) -> str | None:
    """The agent filter of a list: an agent sees only their own records, whatever they asked for."""
    return principal.subject if principal.role == "agent" else agent_id
