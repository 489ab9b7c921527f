"""Review commands and reads, in the caller's scope: managers run reviews, the agent
acknowledges and disputes."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from aggregates.review import Review
from engine.application import PerfLedger
from engine.commands import Calibrate, Dispute, ReviewFeedback, ScoreCriterion, StartReview
from engine.ports import Documents
from engine.scope import check_manage, check_own
from engine.services.anonymity import PeerAnonymity
from engine.services.docs import readable, scoped_page
from engine.services.goals import managed_by
from engine.tokens import Principal


def owned_by(who: Principal) -> Any:
    """The scope check of an agent's own act on a review (acknowledge, dispute)."""
    return lambda review: check_own(who, review.agent_id)


class ReviewService:
    """Every review command with one load of the review; reads of reviews."""

    def __init__(
        self, app: PerfLedger, docs: Documents, anonymity: PeerAnonymity | None = None
    ) -> None:
        self.app = app
        self.docs = docs
        self.anonymity = anonymity or PeerAnonymity()

    def start(self, who: Principal, command: StartReview) -> Review:
        """Starts a review of an agent of a team the caller manages."""
        check_manage(who, command.team_id)
        return self.app.start_review(command, actor=who.actor)

    def score(
        self, who: Principal, review_id: UUID, command: ScoreCriterion, version: int | None
    ) -> Review:
        """Scores a criterion."""
        return self.app.score_review(review_id, command, who.actor, version, managed_by(who))

    def add_feedback(
        self, who: Principal, review_id: UUID, command: ReviewFeedback, version: int | None
    ) -> Review:
        """Adds a 360-degree input."""
        return self.app.add_review_feedback(review_id, command, who.actor, version, managed_by(who))

    def calibrate(
        self, who: Principal, review_id: UUID, command: Calibrate, version: int | None
    ) -> Review:
        """Adjusts the overall score in calibration."""
        return self.app.calibrate_review(review_id, command, who.actor, version, managed_by(who))

    def finalise(self, who: Principal, review_id: UUID, version: int | None) -> Review:
        """Computes and records the overall score."""
        return self.app.finalise_review(review_id, who.actor, version, managed_by(who))

    def acknowledge(self, who: Principal, review_id: UUID, version: int | None) -> Review:
        """The agent acknowledges their finalised review."""
        return self.app.acknowledge_review(review_id, who.actor, version, owned_by(who))

    def reopen(self, who: Principal, review_id: UUID, reason: str, version: int | None) -> Review:
        """Reopens a finalised review, with a reason."""
        return self.app.reopen_review(review_id, reason, who.actor, version, managed_by(who))

    def cancel(self, who: Principal, review_id: UUID, reason: str, version: int | None) -> Review:
        """Cancels an in-progress review, with a reason."""
        return self.app.cancel_review(review_id, reason, who.actor, version, managed_by(who))

    def dispute(
        self, who: Principal, review_id: UUID, command: Dispute, version: int | None
    ) -> Review:
        """The agent disputes a finalised score."""
        return self.app.dispute_review(review_id, command, who.actor, version, owned_by(who))

    def uphold(
        self, who: Principal, review_id: UUID, index: int, reason: str, version: int | None
    ) -> Review:
        """The reviewer keeps a disputed score, saying why."""
        return self.app.uphold_dispute(
            review_id, index, reason, who.actor, version, managed_by(who)
        )

    def get(self, who: Principal, review_id: str) -> dict[str, Any]:
        """The review as the read model holds it (peer inputs anonymous to the agent)."""
        return self.anonymity.review(who, readable(self.docs, who, "Review", review_id))

    def page(
        self,
        who: Principal,
        agent_id: str | None,
        team_id: str | None,
        status: str | None,
        limit: int,
        cursor: str | None,
    ) -> list[dict[str, Any]]:
        """Reviews by agent, team and status in the caller's scope, ordered by id."""
        found = scoped_page(
            self.docs, who, "Review", limit, cursor, agent_id, team_id=team_id, status=status
        )
        return self.anonymity.reviews(who, found)
