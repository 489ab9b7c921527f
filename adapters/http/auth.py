"""Bearer-token authentication and the role/team scope checks every route uses."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from engine.tokens import InvalidToken, Principal, verify

bearer = HTTPBearer(auto_error=False)


class Unauthorized(Exception):
    """No valid token (401)."""


class Forbidden(Exception):
    """A valid token whose role or scope does not allow this (403)."""


def current_principal(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]
) -> Principal:
    if credentials is None:
        raise Unauthorized("a bearer token is required")
    try:
        principal = verify(request.app.state.secret, credentials.credentials)
    except InvalidToken as error:
        raise Unauthorized(str(error)) from None
    request.state.principal = principal  # named in the access log (requests_log.py)
    return principal


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]


def require_role(principal: Principal, *roles: str) -> None:
    if principal.role not in roles:
        raise Forbidden(f"role {principal.role} may not do this")


def can_read(principal: Principal, doc: dict[str, Any]) -> bool:
    """Admins and auditors read everything; managers their teams; agents themselves."""
    if principal.role in ("admin", "auditor"):
        return True
    if principal.role == "manager":
        return doc.get("team_id") in principal.teams
    if principal.role == "agent":
        return doc.get("agent_id") == principal.subject
    return False


def check_read(principal: Principal, doc: dict[str, Any]) -> None:
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
