"""Check-in commands and reads, in the caller's scope."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from aggregates.check_in import CheckIn
from engine.application import PerfLedger
from engine.callers import Principal
from engine.commands import RecordCheckIn
from engine.ports import Documents
from engine.scope import Scope
from engine.services.docs import readable, scoped_page


class CheckInService:
    """Records 1:1s, completes their action items, reads them."""

    def __init__(self, app: PerfLedger, docs: Documents, scope: Scope) -> None:
        self.app = app
        self.docs = docs
        self.scope = scope

    def record(self, who: Principal, command: RecordCheckIn) -> CheckIn:
        """Records a 1:1 held by the caller with an agent of a team they manage."""
        day = command.held_at.date()
        team = self.scope.record_team(who, command.agent_id, command.team_id, (day, day))
        return self.app.record_check_in(
            command.model_copy(update={"team_id": team}), actor=who.actor
        )

    def complete_action_item(
        self, who: Principal, check_in_id: UUID, index: int, version: int | None
    ) -> CheckIn:
        """Marks an action item (0-based index) done."""
        return self.app.complete_action_item(
            check_in_id, index, who.actor, version, self.scope.agent_check(who)
        )

    def get(self, who: Principal, check_in_id: str) -> dict[str, Any]:
        """The check-in as the read model holds it."""
        return readable(self.docs, self.scope, who, "CheckIn", check_in_id)

    def page(
        self,
        who: Principal,
        agent_id: str | None,
        team_id: str | None,
        limit: int,
        cursor: str | None,
    ) -> list[dict[str, Any]]:
        """Check-ins by agent and team in the caller's scope, ordered by id."""
        return scoped_page(
            self.docs, self.scope, who, "CheckIn", limit, cursor, agent_id, team_id=team_id
        )
