"""The teams the caller may read."""

from __future__ import annotations

from engine.ports import Documents
from engine.scope import require_role
from engine.tokens import Principal


class TeamService:
    """Lists teams that have KPI data or goals, within the caller's scope."""

    def __init__(self, docs: Documents) -> None:
        self.docs = docs

    def readable(self, who: Principal) -> list[str]:
        """The teams the caller may read, in order."""
        require_role(who, "admin", "auditor", "manager")
        found = self.docs.team_ids()
        return [t for t in found if t in who.teams] if who.role == "manager" else found
