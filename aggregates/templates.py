"""Templates: goal templates assigned to many agents, and review templates (scoring policies)."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from aggregates.errors import InvalidValue, RuleViolation
from aggregates.goal import check_goal_fields, check_text
from aggregates.ids import new_id
from aggregates.scoring import ScoringPolicy

POLICY_NAMESPACE = uuid5(NAMESPACE_URL, "perfledger:review-template")


class GoalTemplate(Aggregate):
    """A goal a team's manager sets once and assigns to many agents of the team."""

    # Random, or derived from an Idempotency-Key so that a retried create is stored once.
    create_id = staticmethod(new_id)

    @event("Created")
    def __init__(
        self,
        *,
        team_id: str,
        title: str,
        description: str,
        kpi: str,
        target: float,
        direction: str,
        period_start: date,
        period_end: date,
        weight: float,
        actor: str,
    ) -> None:
        check_text(team_id, "team_id")
        check_goal_fields(title, direction, period_start, period_end, weight)
        self.team_id = team_id
        self.title = title
        self.description = description
        self.kpi = kpi
        self.target = target
        self.direction = direction
        self.period_start = period_start
        self.period_end = period_end
        self.weight = weight
        self.created_by = actor
        self.assignments: dict[str, str] = {}

    def goal_fields(self) -> dict[str, Any]:
        """The fields every goal made from this template shares."""
        return {
            "team_id": self.team_id,
            "title": self.title,
            "description": self.description,
            "kpi": self.kpi,
            "target": self.target,
            "direction": self.direction,
            "period_start": self.period_start,
            "period_end": self.period_end,
            "weight": self.weight,
        }

    def assign(self, *, goals: dict[str, str], actor: str) -> None:
        """Records the goals made for agents ({agent_id: goal_id}); once per agent."""
        if not goals:
            raise InvalidValue("name at least one agent", field="agent_ids")
        for agent_id in goals:
            check_text(agent_id, "agent_ids")
        again = sorted(set(goals) & set(self.assignments))
        if again:
            raise RuleViolation(
                f"already assigned to {', '.join(again[:5])}",
                template_id=str(self.id),
                agent_ids=again,
            )
        self._assigned(goals=dict(goals), actor=actor)

    @event("Assigned")
    def _assigned(self, goals: dict[str, str], actor: str) -> None:
        self.assignments.update(goals)


def review_template_id(policy_id: str) -> UUID:
    """The id of the review template of a policy: derived, so the policy id finds it."""
    return uuid5(POLICY_NAMESPACE, policy_id)


class ReviewTemplate(Aggregate):
    """A scoring policy kept as data: every version of its criteria and goal weight."""

    @event("Published")
    def __init__(
        self, *, policy_id: str, name: str, criteria: list[str], goal_weight: float, actor: str
    ) -> None:
        policy = ScoringPolicy(policy_id, 1, tuple(criteria), goal_weight)
        self.policy_id = policy_id
        self.name = name
        self.versions: list[dict[str, Any]] = [{**policy.to_dict(), "actor": actor}]

    @classmethod
    def create_id(cls, *, policy_id: str, **_: Any) -> UUID:
        return review_template_id(policy_id)

    def revise(self, *, criteria: list[str], goal_weight: float, actor: str) -> None:
        """Publishes the next version; reviews started earlier keep the version they used."""
        policy = ScoringPolicy(self.policy_id, len(self.versions) + 1, tuple(criteria), goal_weight)
        current = self.policy()
        if (policy.criteria, policy.goal_weight) == (
            tuple(current["criteria"]),
            current["goal_weight"],
        ):
            raise RuleViolation("the new version changes nothing", policy_id=self.policy_id)
        self._revised(
            version=policy.version,
            criteria=list(policy.criteria),
            goal_weight=policy.goal_weight,
            actor=actor,
        )

    @event("Revised")
    def _revised(self, version: int, criteria: list[str], goal_weight: float, actor: str) -> None:
        self.versions.append(
            {
                "policy_id": self.policy_id,
                "version": version,
                "criteria": criteria,
                "goal_weight": goal_weight,
                "actor": actor,
            }
        )

    def policy(self, version: int | None = None) -> dict[str, Any]:
        """The policy as a review records it: the latest version, or the one named."""
        number = len(self.versions) if version is None else version
        if not 1 <= number <= len(self.versions):
            raise InvalidValue(
                f"policy {self.policy_id} has no version {version}",
                field="policy_version",
                policy_id=self.policy_id,
            )
        chosen = self.versions[number - 1]
        return {key: chosen[key] for key in ("policy_id", "version", "criteria", "goal_weight")}
