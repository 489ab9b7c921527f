"""Telephony events over HTTP and their records, for the roles that feed and audit them."""

from __future__ import annotations

from datetime import date
from typing import Any

from aggregates.errors import NotFound
from engine.ports import TelephonyIntake, TelephonyRecords
from engine.scope import check_team_kpis, require_role
from engine.tokens import Principal


class TelephonyService:
    """Takes batches of telephony events and answers what became of them."""

    def __init__(self, intake: TelephonyIntake, records: TelephonyRecords) -> None:
        self.intake = intake
        self.records = records

    def may_ingest(self, who: Principal) -> None:
        """Only ingest clients and admins send telephony events (checked before the body is
        read)."""
        require_role(who, "ingest", "admin")

    def ingest(self, who: Principal, items: list[Any]) -> dict[str, Any]:
        """Per event: accepted, duplicate or rejected; raises StreamUnavailable when it cannot be
        sent."""
        self.may_ingest(who)
        return self.intake.accept(items)

    def deliveries(self, who: Principal, day: date) -> dict[str, Any]:
        """Received, accepted, duplicates and dead-lettered on one UTC day, per source."""
        require_role(who, "ingest", "admin", "auditor")
        return self.records.deliveries(day)

    def corrections(self, who: Principal, event_id: str) -> dict[str, Any]:
        """One event's audit trail: the original, its corrections and voids."""
        require_role(who, "ingest", "admin", "auditor")
        found = self.records.corrections(event_id.lower())
        if found is None:
            raise NotFound(f"no telephony event {event_id} and no correction of it", id=event_id)
        return found

    def mismatches(self, who: Principal) -> dict[str, Any]:
        """Surveys and QA scores naming an agent who did not handle the call, moved to the call's
        agent."""
        require_role(who, "admin", "auditor")
        return {"rows": self.records.mismatches()}

    def team_mismatches(self, who: Principal, team_id: str | None) -> dict[str, Any]:
        """Agents whose events telephony put in another team than the roster's: counted for the
        roster's team, listed here (a team's managers see their team's)."""
        if team_id is None:
            require_role(who, "admin", "auditor")
        else:
            check_team_kpis(who, team_id)
        return {"team_id": team_id, "rows": self.records.team_mismatches(team_id)}

    def close(self) -> None:
        self.intake.close()
