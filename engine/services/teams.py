"""The teams the caller may read."""

from __future__ import annotations

from engine.callers import Principal
from engine.ports import Documents
from engine.scope import Scope


class TeamService:
    """Lists teams that have KPI data or goals, within the caller's scope."""

    def __init__(self, docs: Documents, scope: Scope) -> None:
        self.docs = docs
        self.scope = scope

    def readable(self, who: Principal) -> list[str]:
        """The teams the caller may read, in order (an agent: their own team now)."""
        return self.scope.readable_teams(who, self.docs.team_ids())
