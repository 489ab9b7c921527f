"""Review commands of the application: start, score, 360 inputs, calibrate, finalise, disputes."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any
from uuid import UUID

from aggregates.actors import person
from aggregates.agent_reviews import AgentReviews, agent_reviews_id
from aggregates.errors import InvalidValue, NotFound, RuleViolation
from aggregates.review import Review
from aggregates.scoring import scored_attainment
from engine.commands import Calibrate, Dispute, ReviewFeedback, ScoreCriterion, StartReview

if TYPE_CHECKING:
    from aggregates.goal import Goal

Check = Callable[[Any], None]  # a scope rule run on the loaded review (engine/application.py)


def as_uuid(value: UUID | str) -> UUID:
    """An aggregate id from a UUID or its text; anything else names no aggregate."""
    try:
        return value if isinstance(value, UUID) else UUID(str(value))
    except ValueError:
        raise NotFound(f"no such id {value!r}", id=str(value)) from None


class ReviewCommands:
    """Mixed into PerfLedger: every review command loads, acts and saves one Review."""

    # Provided by PerfLedger.
    change: Callable[..., Review]
    save_new: Callable[..., None]
    save_changes: Callable[..., None]
    load: Callable[..., Any]
    goals: Callable[[Iterable[str]], list[Goal]]
    agent_goals: Callable[[str, list[str]], list[Goal]]
    scoring_policy: Callable[[str, int | None], dict[str, Any]]

    def start_review(self, command: StartReview, actor: str) -> Review:
        """Starts a review under a stored policy (its version recorded) or inline criteria."""
        self.agent_goals(command.agent_id, command.goal_ids)
        if command.policy_id is not None:
            policy = self.scoring_policy(command.policy_id, command.policy_version)
        else:
            # An inline policy is still recorded in full on the review, so its score can
            # always be recomputed under the rules that produced it.
            policy = {
                "policy_id": "inline",
                "version": 1,
                "criteria": list(command.criteria or []),
                "goal_weight": command.goal_weight if command.criteria else 1.0,
            }
        review = Review(
            agent_id=command.agent_id,
            team_id=command.team_id,
            period_start=command.period_start,
            period_end=command.period_end,
            goal_ids=command.goal_ids,
            policy=policy,
            actor=actor,
        )
        register = self.agent_reviews(command.agent_id, actor)
        register.book(
            review_id=str(review.id),
            period_start=review.period_start,
            period_end=review.period_end,
            actor=actor,
        )
        # One save: a concurrent start for the same agent is a version conflict, not a twin.
        self.save_changes(review, register)
        return review

    def agent_reviews(self, agent_id: str, actor: str) -> AgentReviews:
        """The agent's review register, opened on first use."""
        try:
            register: AgentReviews = self.load(AgentReviews, agent_reviews_id(agent_id))
        except NotFound:
            register = AgentReviews(agent_id=agent_id, actor=actor)
        return register

    def cancel_review(
        self,
        review_id: UUID | str,
        reason: str,
        actor: str,
        expected_version: int | None = None,
        check: Check | None = None,
    ) -> Review:
        """Cancels an in-progress review with a reason, freeing its period for another review."""
        review: Review = self.load(Review, as_uuid(review_id), expected_version, check)
        review.cancel(reason=reason, actor=actor)
        register = self.agent_reviews(review.agent_id, actor)
        register.release(review_id=str(review.id), reason=reason.strip(), actor=actor)
        self.save_changes(review, register)
        return review

    def score_review(
        self,
        review_id: UUID | str,
        command: ScoreCriterion,
        actor: str,
        expected_version: int | None = None,
        check: Check | None = None,
    ) -> Review:
        """Scores (or re-scores, with a reason) one criterion."""
        return self.change(
            Review,
            review_id,
            expected_version,
            lambda r: r.score(
                criterion=command.criterion,
                score=command.score,
                rationale=command.rationale,
                reason=command.reason,
                actor=actor,
            ),
            check,
        )

    def add_review_feedback(
        self,
        review_id: UUID | str,
        command: ReviewFeedback,
        actor: str,
        expected_version: int | None = None,
        check: Check | None = None,
    ) -> Review:
        """Adds a 360-degree input."""
        return self.change(
            Review,
            review_id,
            expected_version,
            lambda r: r.add_feedback(
                source=command.source,
                author_id=command.author_id or person(actor),
                text=command.text,
                rating=command.rating,
                actor=actor,
            ),
            check,
        )

    def calibrate_review(
        self,
        review_id: UUID | str,
        command: Calibrate,
        actor: str,
        expected_version: int | None = None,
        check: Check | None = None,
    ) -> Review:
        """Adjusts the overall score in calibration, with a reason."""
        return self.change(
            Review,
            review_id,
            expected_version,
            lambda r: r.calibrate(
                adjustment=command.adjustment, reason=command.reason, actor=actor
            ),
            check,
        )

    def finalise_review(
        self,
        review_id: UUID | str,
        actor: str,
        expected_version: int | None = None,
        check: Check | None = None,
    ) -> Review:
        """Computes the overall score from the in-scope goals' attainment and the criteria."""

        def finalise(review: Review) -> None:
            review.finalise(goal_results=self.goal_results(review), actor=actor)

        return self.change(Review, review_id, expected_version, finalise, check)

    def goal_results(self, review: Review) -> list[dict[str, Any]]:
        """Each in-scope goal's attainment and weight, as ``scoring.scored_attainment`` counts it.

        A cancelled goal is left out (None); a closed goal never measured counts 0. An open
        goal not measured yet would silently drop out of the score, so it refuses the
        finalisation, naming the goals: measure, override or cancel them first.
        """
        results, unmeasured = [], []
        for goal in self.goals(review.goal_ids):
            reached = scored_attainment(goal.status, goal.attainment)
            if reached is not None and goal.attainment is not None:
                reached = goal.attainment  # recorded unclamped; the score clamps it
            if reached is None and goal.status != "cancelled":
                unmeasured.append(str(goal.id))
            results.append({"goal_id": str(goal.id), "attainment": reached, "weight": goal.weight})
        if unmeasured:
            raise RuleViolation(
                f"goals in scope are not measured yet: {', '.join(unmeasured)}; record or "
                "override their progress, or cancel them, before finalising",
                review_id=str(review.id),
                goal_ids=unmeasured,
            )
        return results

    def acknowledge_review(
        self,
        review_id: UUID | str,
        actor: str,
        expected_version: int | None = None,
        check: Check | None = None,
    ) -> Review:
        """The agent acknowledges their finalised review."""
        return self.change(
            Review, review_id, expected_version, lambda r: r.acknowledge(actor=actor), check
        )

    def reopen_review(
        self,
        review_id: UUID | str,
        reason: str,
        actor: str,
        expected_version: int | None = None,
        check: Check | None = None,
    ) -> Review:
        """Reopens a finalised review for changes, with a reason."""
        return self.change(
            Review,
            review_id,
            expected_version,
            lambda r: r.reopen(reason=reason, actor=actor),
            check,
        )

    def dispute_review(
        self,
        review_id: UUID | str,
        command: Dispute,
        actor: str,
        expected_version: int | None = None,
        check: Check | None = None,
    ) -> Review:
        """The agent disputes a finalised score, with a reason."""
        return self.change(
            Review,
            review_id,
            expected_version,
            lambda r: r.dispute(reason=command.reason, criterion=command.criterion, actor=actor),
            check,
        )

    def uphold_dispute(
        self,
        review_id: UUID | str,
        index: int,
        reason: str,
        actor: str,
        expected_version: int | None = None,
        check: Check | None = None,
    ) -> Review:
        """The reviewer keeps a disputed score, saying why."""

        def in_scope_and_valid(review: Review) -> None:
            if check is not None:
                check(review)
            if index < 0:
                raise InvalidValue("no such dispute", field="index")

        return self.change(
            Review,
            review_id,
            expected_version,
            lambda r: r.uphold_dispute(index=index, reason=reason, actor=actor),
            in_scope_and_valid,
        )
