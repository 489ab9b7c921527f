"""Review: a period's evaluation of one agent, from criteria scores to acknowledgement.

Lifecycle: in_progress -> finalised -> acknowledged; ``reopen`` (with a reason) takes a
finalised or acknowledged review back to in_progress; an in-progress review may be
cancelled with a reason (a finalised one is reopened first), after which it takes no
further command. The agent acknowledges only once no dispute is open. While finalised or
acknowledged the review refuses every change to what is scored (criteria scores, 360-degree inputs,
calibration, finalisation); only acknowledgement, disputes and their resolution act on
a finalised review.

Disputes: the agent disputes the overall score or one criterion's score of a finalised
review, with a reason. The reviewer either upholds it (``uphold_dispute``, with a reason)
or re-scores. Re-scoring is a score change like any other, so it needs the review
reopened first: that keeps "a finalised review never changes" absolute and gives the
change its own reason in the trail. When the review is finalised again, every open
dispute whose disputed score now differs is closed as "rescored" (the Finalised event
lists them); a dispute whose score did not change stays open.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from eventsourcing.domain import Aggregate, event

from aggregates.actors import person
from aggregates.errors import InvalidValue, RuleViolation
from aggregates.ids import new_id
from aggregates.score_changes import score_change
from aggregates.scoring import (
    MAX_CALIBRATION,
    ScoringPolicy,
    check_finite,
    check_score,
    check_weight,
    is_number,
    overall_score,
)

IN_PROGRESS = "in_progress"
FINALISED = "finalised"
ACKNOWLEDGED = "acknowledged"
CANCELLED = "cancelled"
SOURCES = ("self", "peer", "manager", "customer")
GOAL_RESULT_KEYS = ("goal_id", "attainment", "weight")

# Decorated methods below take the event's own timestamp as "at". The parameter is
# positional-or-keyword because eventsourcing requires every keyword-only parameter
# of a decorated method; its None default lets the event supply its timestamp.


class Review(Aggregate):
    """One agent's evaluation for a period under a recorded scoring policy."""

    # Random, or derived from an Idempotency-Key so that a retried create is stored once.
    create_id = staticmethod(new_id)

    # Version 2 of the state adds the cancellation, so older snapshots still load.
    class_version = 2

    @staticmethod
    def upcast_v1_v2(state: dict[str, Any]) -> None:
        """Snapshot state of version 1 (before cancellation) as version 2."""
        state["cancellation"] = None

    @event("Started")
    def __init__(
        self,
        *,
        agent_id: str,
        team_id: str,
        period_start: date,
        period_end: date,
        goal_ids: list[str],
        policy: dict[str, Any],
        actor: str,
    ) -> None:
        check_subject(agent_id, team_id, actor)
        check_period(period_start, period_end)
        check_goal_ids(goal_ids)
        scoring = ScoringPolicy.from_dict(policy)
        self.agent_id = agent_id
        self.team_id = team_id
        self.period_start = period_start
        self.period_end = period_end
        self.goal_ids = list(goal_ids)
        self.reviewer = actor
        self.policy_id = scoring.policy_id
        self.policy_version = scoring.version
        self.criteria = list(scoring.criteria)
        self.goal_weight = scoring.goal_weight
        self.status = IN_PROGRESS
        self.scores: dict[str, dict[str, Any]] = {}
        self.inputs: list[dict[str, Any]] = []
        self.calibration = 0.0
        self.score_changes: list[dict[str, Any]] = []
        self.overall_score: float | None = None
        self.finalisations: list[dict[str, Any]] = []
        self.acknowledged_by: str | None = None
        self.acknowledged_at: datetime | None = None
        self.reopenings: list[dict[str, Any]] = []
        self.disputes: list[dict[str, Any]] = []
        self.cancellation: dict[str, Any] | None = None

    @property
    def policy(self) -> ScoringPolicy:
        """The scoring policy (id and version) the review was started under."""
        return ScoringPolicy(
            self.policy_id, self.policy_version, tuple(self.criteria), self.goal_weight
        )

    @property
    def is_finalised(self) -> bool:
        """True while finalised or acknowledged, i.e. until reopened."""
        return self.status in (FINALISED, ACKNOWLEDGED)

    @property
    def open_disputes(self) -> list[dict[str, Any]]:
        """The disputes still awaiting the reviewer."""
        return [dispute for dispute in self.disputes if dispute["status"] == "open"]

    # --- scoring -------------------------------------------------------------

    def score(
        self, *, criterion: str, score: int, rationale: str, actor: str, reason: str | None = None
    ) -> None:
        """Scores a criterion 1..5 with a rationale; changing a score needs a reason."""
        self.check_in_progress("score")
        self.check_not_agent(actor, "score")
        self.check_criterion(criterion)
        check_score(score, "score")
        check_text(rationale, "rationale")
        before = self.scores.get(criterion)
        if before is not None:
            check_text(reason, "reason")
        self._criterion_scored(
            criterion=criterion,
            before=None if before is None else before["score"],
            after=score,
            rationale=rationale,
            reason=optional_reason(reason),
            actor=actor,
        )

    @event("CriterionScored")
    def _criterion_scored(
        self,
        criterion: str,
        before: int | None,
        after: int,
        rationale: str,
        reason: str | None,
        actor: str,
        timestamp: datetime | None = None,
    ) -> None:
        self.scores[criterion] = {"score": after, "rationale": rationale, "scored_by": actor}
        self.score_changes.append(
            score_change(
                "criterion", criterion, before, after, actor, reason, timestamp, rationale=rationale
            )
        )

    def add_feedback(
        self, *, source: str, author_id: str, text: str, rating: int, actor: str
    ) -> None:
        """Adds a 360-degree input: self, peer, manager or customer, rated 1..5."""
        self.check_in_progress("add feedback to")
        check_source(source)
        check_text(author_id, "author_id")
        check_text(text, "text")
        check_score(rating, "rating")
        self.check_author(source, author_id, actor)
        self.check_no_input_from(source, author_id)
        self._feedback_received(
            source=source, author_id=author_id, text=text, rating=rating, actor=actor
        )

    @event("FeedbackReceived")
    def _feedback_received(
        self,
        source: str,
        author_id: str,
        text: str,
        rating: int,
        actor: str,
        timestamp: datetime | None = None,
    ) -> None:
        self.inputs.append(
            {
                "source": source,
                "author_id": author_id,
                "text": text,
                "rating": rating,
                "actor": actor,
                "at": timestamp,
            }
        )

    def calibrate(self, *, adjustment: float, reason: str, actor: str) -> None:
        """Adds ``adjustment`` to the overall-score calibration, keeping before and after."""
        self.check_in_progress("calibrate")
        self.check_not_agent(actor, "calibrate")
        after = self.calibrated_by(adjustment)
        check_text(reason, "reason")
        self._calibrated(before=self.calibration, after=after, reason=reason.strip(), actor=actor)

    @event("Calibrated")
    def _calibrated(
        self,
        before: float,
        after: float,
        reason: str,
        actor: str,
        timestamp: datetime | None = None,
    ) -> None:
        self.calibration = after
        self.score_changes.append(
            score_change(
                "calibration", None, before, after, actor, reason, timestamp, rationale=None
            )
        )

    def calibrated_by(self, adjustment: float) -> float:
        """The calibration ``adjustment`` would lead to, refusing a zero or too large one."""
        check_finite(adjustment, "adjustment")
        if adjustment == 0:
            raise InvalidValue("an adjustment must change the calibration", field="adjustment")
        # Rounded so that repeated small adjustments do not leave float dust in the trail.
        after = round(self.calibration + adjustment, 6)
        if abs(after) > MAX_CALIBRATION:
            raise InvalidValue(
                f"calibration must stay within ±{MAX_CALIBRATION}",
                field="adjustment",
                review_id=str(self.id),
            )
        return after

    # --- finalisation ----------------------------------------------------------

    def finalise(self, *, goal_results: list[dict[str, Any]], actor: str) -> None:
        """Computes and records the overall score from the goals' attainment and the criteria.

        ``goal_results`` has one ``{goal_id, attainment, weight}`` per goal in scope;
        ``attainment`` is None for a goal not measured.
        """
        self.check_in_progress("finalise")
        self.check_not_agent(actor, "finalise")
        self.check_all_criteria_scored()
        check_goal_results(goal_results, self.goal_ids)
        criteria_scores = {name: entry["score"] for name, entry in self.scores.items()}
        overall = overall_score(
            self.policy,
            [(r["attainment"], r["weight"]) for r in goal_results],
            criteria_scores,
            self.calibration,
        )
        # The inputs and the result are recorded, not recomputed on replay, so the record
        # keeps the score the rules of its day produced.
        self._finalised(
            goal_results=[dict(r) for r in goal_results],
            criteria_scores=criteria_scores,
            calibration=self.calibration,
            overall_score=overall,
            policy_id=self.policy_id,
            policy_version=self.policy_version,
            resolved_disputes=self.disputes_rescored(criteria_scores, overall),
            actor=actor,
        )

    @event("Finalised")
    def _finalised(
        self,
        goal_results: list[dict[str, Any]],
        criteria_scores: dict[str, int],
        calibration: float,
        overall_score: float,
        policy_id: str,
        policy_version: int,
        resolved_disputes: list[int],
        actor: str,
        timestamp: datetime | None = None,
    ) -> None:
        self.status = FINALISED
        self.overall_score = overall_score
        self.finalisations.append(
            {
                "goal_results": goal_results,
                "criteria_scores": criteria_scores,
                "calibration": calibration,
                "overall_score": overall_score,
                "policy_id": policy_id,
                "policy_version": policy_version,
                "actor": actor,
                "at": timestamp,
            }
        )
        for index in resolved_disputes:
            self.close_dispute(index, "rescored", None, actor, timestamp)

    def acknowledge(self, *, actor: str) -> None:
        """The agent acknowledges the finalised review."""
        if self.status != FINALISED:
            raise RuleViolation(
                f"cannot acknowledge a review that is {self.status}", review_id=str(self.id)
            )
        self.check_is_agent(actor, "acknowledge")
        if self.open_disputes:
            # Acknowledging says "I have seen and accept the outcome"; an open dispute says not.
            raise RuleViolation(
                "cannot acknowledge a review while disputes are open; "
                "they are upheld or rescored first",
                review_id=str(self.id),
                disputes=[d["index"] for d in self.open_disputes],
            )
        self._acknowledged(actor=actor)

    @event("Acknowledged")
    def _acknowledged(self, actor: str, timestamp: datetime | None = None) -> None:
        self.status = ACKNOWLEDGED
        self.acknowledged_by = actor
        self.acknowledged_at = timestamp

    def reopen(self, *, reason: str, actor: str) -> None:
        """Reopens a finalised review for changes; a reason is required."""
        self.check_finalised("reopen")
        self.check_not_agent(actor, "reopen")
        check_text(reason, "reason")
        self._reopened(reason=reason.strip(), actor=actor)

    @event("Reopened")
    def _reopened(self, reason: str, actor: str, timestamp: datetime | None = None) -> None:
        self.status = IN_PROGRESS
        # The score is no longer final; the earlier one stays in finalisations.
        self.overall_score = None
        self.acknowledged_by = None
        self.acknowledged_at = None
        self.reopenings.append({"reason": reason, "actor": actor, "at": timestamp})

    def cancel(self, *, reason: str, actor: str) -> None:
        """Cancels an in-progress review, with a reason; it then takes no further command."""
        self.check_in_progress("cancel")
        self.check_not_agent(actor, "cancel")
        check_text(reason, "reason")
        self._cancelled(reason=reason.strip(), actor=actor)

    @event("Cancelled")
    def _cancelled(self, reason: str, actor: str, timestamp: datetime | None = None) -> None:
        self.status = CANCELLED
        self.cancellation = {"reason": reason, "actor": actor, "at": timestamp}

    # --- disputes --------------------------------------------------------------

    def dispute(self, *, reason: str, actor: str, criterion: str | None = None) -> None:
        """The agent disputes the overall score, or one criterion's score, of a finalised review."""
        self.check_finalised("dispute")
        self.check_is_agent(actor, "dispute")
        if criterion is not None:
            self.check_criterion(criterion)
        check_text(reason, "reason")
        self.check_no_open_dispute_on(criterion)
        self._disputed(
            criterion=criterion,
            disputed_score=self.current_score(criterion),
            reason=reason.strip(),
            actor=actor,
        )

    @event("Disputed")
    def _disputed(
        self,
        criterion: str | None,
        disputed_score: float,
        reason: str,
        actor: str,
        timestamp: datetime | None = None,
    ) -> None:
        self.disputes.append(
            {
                "index": len(self.disputes),
                "criterion": criterion,
                "disputed_score": disputed_score,
                "reason": reason,
                "raised_by": actor,
                "raised_at": timestamp,
                "status": "open",
                "resolution_reason": None,
                "resolved_by": None,
                "resolved_at": None,
            }
        )

    def current_score(self, criterion: str | None) -> float:
        """The criterion's score, or the overall score when ``criterion`` is None."""
        if criterion is not None:
            return int(self.scores[criterion]["score"])
        # Only asked of finalised reviews, which always have an overall score.
        assert self.overall_score is not None
        return self.overall_score

    def uphold_dispute(self, *, index: int, reason: str, actor: str) -> None:
        """The reviewer keeps the disputed score, saying why."""
        self.check_not_cancelled("uphold a dispute on")
        self.check_dispute_open(index)
        self.check_not_agent(actor, "uphold a dispute on")
        check_text(reason, "reason")
        self._dispute_upheld(index=index, reason=reason.strip(), actor=actor)

    @event("DisputeUpheld")
    def _dispute_upheld(
        self, index: int, reason: str, actor: str, timestamp: datetime | None = None
    ) -> None:
        self.close_dispute(index, "upheld", reason, actor, timestamp)

    def close_dispute(
        self, index: int, status: str, reason: str | None, actor: str, at: datetime | None
    ) -> None:
        """Marks a dispute resolved (applied by the events that resolve disputes)."""
        self.disputes[index].update(
            status=status, resolution_reason=reason, resolved_by=actor, resolved_at=at
        )

    def disputes_rescored(self, criteria_scores: dict[str, int], overall: float) -> list[int]:
        """Open disputes whose disputed score differs in the finalisation about to happen."""
        return [
            dispute["index"]
            for dispute in self.open_disputes
            if dispute["disputed_score"]
            != (overall if dispute["criterion"] is None else criteria_scores[dispute["criterion"]])
        ]

    # --- rules -----------------------------------------------------------------

    def check_in_progress(self, doing: str) -> None:
        self.check_not_cancelled(doing)
        if self.is_finalised:
            raise RuleViolation(
                f"cannot {doing} a review that is {self.status}; reopen it first",
                review_id=str(self.id),
            )

    def check_not_cancelled(self, doing: str) -> None:
        if self.status == CANCELLED:
            raise RuleViolation(
                f"cannot {doing} a review that is cancelled", review_id=str(self.id)
            )

    def check_finalised(self, doing: str) -> None:
        if not self.is_finalised:
            raise RuleViolation(
                f"cannot {doing} a review that is {self.status}", review_id=str(self.id)
            )

    def check_not_agent(self, actor: str, doing: str) -> None:
        # Segregation of duties: the person reviewed never scores their own review.
        if person(actor) == self.agent_id:
            raise RuleViolation(
                f"the agent under review cannot {doing} it", review_id=str(self.id), actor=actor
            )

    def check_is_agent(self, actor: str, doing: str) -> None:
        if person(actor) != self.agent_id:
            raise RuleViolation(
                f"only the agent under review can {doing} it", review_id=str(self.id), actor=actor
            )

    def check_criterion(self, criterion: str) -> None:
        if criterion not in self.criteria:
            raise InvalidValue(
                f"{criterion!r} is not a criterion of policy {self.policy_id}",
                field="criterion",
                review_id=str(self.id),
                policy_version=self.policy_version,
            )

    def check_all_criteria_scored(self) -> None:
        missing = [name for name in self.criteria if name not in self.scores]
        if missing:
            raise RuleViolation(
                f"criteria not scored yet: {', '.join(missing)}",
                review_id=str(self.id),
                criteria=missing,
            )

    def check_author(self, source: str, author_id: str, actor: str) -> None:
        # A self-assessment comes from the agent; every other view from someone else.
        if (source == "self") != (author_id == self.agent_id):
            raise InvalidValue(
                f"a {source} input cannot be authored by {author_id}",
                field="author_id",
                review_id=str(self.id),
            )
        if person(actor) == self.agent_id and source != "self":
            raise RuleViolation(
                "the agent under review can only give a self input",
                review_id=str(self.id),
                actor=actor,
            )

    def check_no_input_from(self, source: str, author_id: str) -> None:
        if any(i["source"] == source and i["author_id"] == author_id for i in self.inputs):
            raise RuleViolation(
                f"{author_id} already gave a {source} input",
                review_id=str(self.id),
                author_id=author_id,
            )

    def check_no_open_dispute_on(self, criterion: str | None) -> None:
        if any(dispute["criterion"] == criterion for dispute in self.open_disputes):
            raise RuleViolation(
                f"{criterion or 'the overall score'} is already disputed", review_id=str(self.id)
            )

    def check_dispute_open(self, index: int) -> None:
        if type(index) is not int or not 0 <= index < len(self.disputes):
            raise InvalidValue(
                f"no dispute {index!r} on this review", field="index", review_id=str(self.id)
            )
        if self.disputes[index]["status"] != "open":
            raise RuleViolation(
                f"dispute {index} is already {self.disputes[index]['status']}",
                review_id=str(self.id),
                index=index,
            )


def check_subject(agent_id: str, team_id: str, reviewer: str) -> None:
    check_text(agent_id, "agent_id")
    check_text(team_id, "team_id")
    if person(reviewer) == agent_id:
        raise RuleViolation("an agent cannot start their own review", agent_id=agent_id)


def check_period(period_start: date, period_end: date) -> None:
    for name, day in (("period_start", period_start), ("period_end", period_end)):
        if not isinstance(day, date) or isinstance(day, datetime):
            raise InvalidValue("must be a date", field=name)
    if period_end <= period_start:
        raise InvalidValue("period_end must be after period_start", field="period_end")


def check_goal_ids(goal_ids: list[str]) -> None:
    if not isinstance(goal_ids, list):
        raise InvalidValue("must be a list of goal ids", field="goal_ids")
    for index, goal_id in enumerate(goal_ids):
        check_text(goal_id, f"goal_ids[{index}]")
    if len(set(goal_ids)) != len(goal_ids):
        raise InvalidValue("a goal is listed twice", field="goal_ids")


def check_goal_results(results: list[dict[str, Any]], goal_ids: list[str]) -> None:
    if not isinstance(results, list):
        raise InvalidValue("must be a list", field="goal_results")
    for index, result in enumerate(results):
        check_goal_result(result, f"goal_results[{index}]")
    given = [result["goal_id"] for result in results]
    # Every goal in scope counts, exactly once: leaving one out would flatter the score.
    if sorted(given) != sorted(goal_ids):
        raise InvalidValue(
            "goal_results must cover exactly the goals in scope",
            field="goal_results",
            expected=sorted(goal_ids),
            given=sorted(given),
        )


def check_goal_result(result: object, field: str) -> None:
    if not isinstance(result, dict) or set(result) != set(GOAL_RESULT_KEYS):
        raise InvalidValue(f"must have exactly the keys {GOAL_RESULT_KEYS}", field=field)
    check_text(result["goal_id"], f"{field}.goal_id")
    value = result["attainment"]
    if value is not None:
        check_finite(value, f"{field}.attainment")
        if is_number(value) and value < 0:
            raise InvalidValue("attainment must be >= 0 or null", field=f"{field}.attainment")
    check_weight(result["weight"], f"{field}.weight")


def check_source(source: str) -> None:
    if source not in SOURCES:
        raise InvalidValue(f"source must be one of {SOURCES}", field="source")


def check_text(value: object, field: str) -> None:
    if not isinstance(value, str) or not value.strip():
        raise InvalidValue("must not be blank", field=field)


def optional_reason(reason: str | None) -> str | None:
    return reason.strip() if reason and reason.strip() else None
