"""The audit side in the caller's scope: seals, event trails, replayed state, score-change
trails, explanations."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from aggregates.errors import InvalidValue, NotFound
from aggregates.score_changes import GOAL_CHANGES, goal_change
from engine.application import PerfLedger
from engine.ports import Documents, Explanations, SealCheck
from engine.replay import replay
from engine.scope import check_read, require_role
from engine.services.anonymity import PeerAnonymity
from engine.services.docs import parse_id, readable
from engine.tokens import Principal


class AuditService:
    """What auditors (and, within their scope, everyone) read about how a record came to be."""

    def __init__(
        self,
        app: PerfLedger,
        docs: Documents,
        explanations: Explanations,
        seals: SealCheck,
        anonymity: PeerAnonymity | None = None,
    ) -> None:
        self.app = app
        self.docs = docs
        self.explanations = explanations
        self.seals = seals
        self.anonymity = anonymity or PeerAnonymity()

    def verify(
        self, who: Principal, events_head: str | None, archive_head: str | None
    ) -> dict[str, Any]:
        """Checks every seal against the heads given (`N:CHAIN`), else the newest published
        (admins and auditors)."""
        require_role(who, "admin", "auditor")
        heads = [
            parse_head(name, value)
            for name, value in (("events_head", events_head), ("archive_head", archive_head))
        ]
        return self.seals.verify(*heads)

    def events(self, who: Principal, aggregate_id: str) -> list[dict[str, Any]]:
        """Every event of the aggregate, oldest first."""
        found = self.docs.find(aggregate_id)
        rows = self.docs.event_trail(aggregate_id)
        if not rows:
            raise NotFound(f"no events for {aggregate_id}", id=aggregate_id)
        check_read(who, found[1] if found else {})
        return self.reviewed(who, found, rows)

    def reviewed(
        self, who: Principal, found: tuple[str, dict[str, Any]] | None, rows: list[dict[str, Any]]
    ) -> list[dict[str, Any]]:
        """A review's trail with peer inputs anonymous to the agent; other trails as they are."""
        if found is None or found[0] != "Review":
            return rows
        return self.anonymity.trail(who, found[1].get("agent_id"), rows)

    def state(
        self,
        who: Principal,
        aggregate_id: str,
        version: int | None,
        as_of: datetime | None,
    ) -> dict[str, Any]:
        """The aggregate as it was at a version or time, replayed from the event store."""
        require_role(who, "admin", "auditor", "manager", "agent")
        result = replay(self.app, parse_id(aggregate_id), version=version, as_of=as_of)
        check_read(who, result["state"])
        return self.anonymity.replayed(who, result)

    def score_changes(self, who: Principal, review_id: str, goals: bool) -> list[dict[str, Any]]:
        """Every change of a score behind the review, oldest first (with its goals' unless goals
        is False)."""
        review = readable(self.docs, who, "Review", review_id)
        changes = [
            {
                key: change[key]
                for key in ("kind", "criterion", "before", "after", "actor", "reason", "at")
            }
            for change in review["score_changes"]
        ]
        if goals:
            for goal_id in review["goal_ids"]:
                changes.extend(
                    goal_change(goal_id, row)
                    for row in self.docs.event_trail(goal_id)
                    if row["type"] in GOAL_CHANGES
                )
        # Stable: changes with the same timestamp keep the order their own trail gives them.
        return sorted(changes, key=lambda change: change["at"])

    def explain_progress(self, who: Principal, goal_id: UUID, n: int) -> dict[str, Any]:
        """Where the goal's n-th progress value came from."""
        answer = self.explanations.progress(goal_id, n)
        check_read(who, answer)
        return answer

    def explain_review(self, who: Principal, review_id: UUID) -> dict[str, Any]:
        """How the review's score came to be."""
        answer = self.explanations.review(review_id)
        check_read(who, answer)
        return self.anonymity.review(who, answer)


def parse_head(name: str, value: str | None) -> tuple[int, str] | None:
    """A chain head as verify reports it (`N:CHAIN`), or None when not given."""
    if value is None:
        return None
    position, _, chain = value.partition(":")
    # ASCII digits, and few enough for int(): "²" or 5,000 digits would otherwise be a 500.
    if not (position.isascii() and position.isdigit() and len(position) <= 18) or len(chain) != 64:
        raise InvalidValue("expected N:CHAIN as verify reports a head", field=name)
    return int(position), chain
