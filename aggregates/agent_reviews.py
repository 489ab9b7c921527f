"""AgentReviews: the periods one agent is reviewed for, so that no two live reviews overlap.

A review is booked here in the same save that starts it, so two reviews of one agent for
the same or an overlapping period cannot both be started, even by concurrent requests
(the second save is a version conflict). Cancelling a review releases its period.
Periods are calendar days with both ends included, like goal periods.
"""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from aggregates.errors import RuleViolation

NAMESPACE = uuid5(NAMESPACE_URL, "perfledger:agent-reviews")


def agent_reviews_id(agent_id: str) -> UUID:
    """The id of an agent's review register: derived, so the agent id finds it."""
    return uuid5(NAMESPACE, agent_id)


class AgentReviews(Aggregate):
    """One agent's live reviews and their periods."""

    @classmethod
    def create_id(cls, *, agent_id: str, **_: Any) -> UUID:
        return agent_reviews_id(agent_id)

    @event("Opened")
    def __init__(self, *, agent_id: str, actor: str) -> None:
        self.agent_id = agent_id
        self.reviews: dict[str, dict[str, Any]] = {}

    def book(self, *, review_id: str, period_start: date, period_end: date, actor: str) -> None:
        """Books a review's period, refusing one that overlaps a live review of the agent."""
        if review_id in self.reviews:
            return  # booked already: a retried start of the same review (Idempotency-Key)
        clashes = [
            other
            for other, period in self.reviews.items()
            if period["period_start"] <= period_end and period_start <= period["period_end"]
        ]
        if clashes:
            raise RuleViolation(
                f"{self.agent_id} already has a review for an overlapping period: "
                f"{', '.join(clashes)}; cancel it first",
                agent_id=self.agent_id,
                review_ids=clashes,
            )
        self._booked(
            review_id=review_id, period_start=period_start, period_end=period_end, actor=actor
        )

    @event("Booked")
    def _booked(self, review_id: str, period_start: date, period_end: date, actor: str) -> None:
        self.reviews[review_id] = {"period_start": period_start, "period_end": period_end}

    def release(self, *, review_id: str, reason: str, actor: str) -> None:
        """Frees a cancelled review's period (a review not booked here has nothing to free)."""
        if review_id in self.reviews:
            self._released(review_id=review_id, reason=reason, actor=actor)

    @event("Released")
    def _released(self, review_id: str, reason: str, actor: str) -> None:
        del self.reviews[review_id]
