"""`perfledger up --demo`: goals, check-ins and reviews for the simulated contact centre,
so the dashboard has targets, attainment and past coaching to show beside the KPIs."""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from engine.application import PerfLedger
from engine.commands import (
    ActionItem,
    AssignTemplate,
    CreateGoalTemplate,
    FeedbackItem,
    RecordCheckIn,
    ScoreCriterion,
    StartReview,
)

log = logging.getLogger(__name__)
MARKER = "demo.seeded"
MANAGER = "manager:demo-lead"
# Targets near the simulated centre's typical values, so some agents meet them and some do not.
TEMPLATES = (
    ("Keep handle time down", "aht_seconds", 300.0, "at_most"),
    ("Delight callers", "csat_avg", 4.0, "at_least"),
    ("Resolve on first contact", "fcr_rate", 0.75, "at_least"),
)


def demo_agents(agents: int, teams: int) -> dict[str, list[str]]:
    """The simulator's agents by team (engine.simulate numbers them the same way)."""
    found: dict[str, list[str]] = {}
    for index in range(agents):
        found.setdefault(f"team-{index % teams + 1:02d}", []).append(f"agent-{index + 1:04d}")
    return found


def seed(app: PerfLedger, data_dir: Path, agents: int, teams: int, start: date) -> bool:
    """Seeds once per data dir; False when it was seeded before."""
    marker = data_dir / MARKER
    if marker.exists():
        return False
    period = (
        start.replace(day=1),
        (start.replace(day=1) + timedelta(days=92)).replace(day=1) - timedelta(days=1),
    )
    for team_id, members in demo_agents(agents, teams).items():
        goals: dict[str, list[str]] = {agent: [] for agent in members}
        for title, kpi, target, direction in TEMPLATES:
            template = app.create_goal_template(
                CreateGoalTemplate.model_validate(
                    {
                        "team_id": team_id,
                        "title": title,
                        "kpi": kpi,
                        "target": target,
                        "direction": direction,
                        "period_start": period[0],
                        "period_end": period[1],
                    }
                ),
                MANAGER,
            )
            _, made = app.assign_goal_template(
                template.id, AssignTemplate(agent_ids=members), MANAGER
            )
            for goal in made:
                goals[goal.agent_id].append(str(goal.id))
        for agent in members[:3]:
            _coach(app, team_id, agent, goals[agent], start)
    marker.write_text(datetime.now(UTC).isoformat())
    log.info("demo: goals, check-ins and reviews seeded for %d agents", agents)
    return True


def _coach(app: PerfLedger, team_id: str, agent: str, goal_ids: list[str], start: date) -> None:
    held = datetime.combine(start + timedelta(days=2), datetime.min.time(), tzinfo=UTC) + timedelta(
        hours=10
    )
    check_in = app.record_check_in(
        RecordCheckIn(
            agent_id=agent,
            team_id=team_id,
            held_at=held,
            notes="Weekly 1:1",
            goal_ids=goal_ids[:2],
            feedback=[
                FeedbackItem(
                    kind="positive",
                    behavior="Calm with an angry caller",
                    impact="Call resolved",
                    outcome="Thank you",
                ),
                FeedbackItem(
                    kind="constructive",
                    behavior="Long holds",
                    impact="AHT up",
                    outcome="Use the knowledge base first",
                ),
            ],
            action_items=[
                ActionItem(
                    description="Shadow a senior agent",
                    owner_id=agent,
                    due=start + timedelta(days=9),
                ),
                ActionItem(
                    description="Knowledge-base refresher",
                    owner_id=agent,
                    due=start + timedelta(days=12),
                ),
            ],
        ),
        MANAGER,
    )
    app.complete_action_item(check_in.id, 1, MANAGER)
    review = app.start_review(
        StartReview(
            agent_id=agent,
            team_id=team_id,
            period_start=start - timedelta(days=90),
            period_end=start,
            goal_ids=[],
            criteria=["quality", "teamwork"],
            goal_weight=0.0,
        ),
        MANAGER,
    )
    app.score_review(
        review.id, ScoreCriterion(criterion="quality", score=3, rationale="Solid QA"), MANAGER
    )
    app.score_review(
        review.id, ScoreCriterion(criterion="teamwork", score=4, rationale="Helps peers"), MANAGER
    )
    app.score_review(
        review.id,
        ScoreCriterion(
            criterion="quality",
            score=4,
            rationale="QA improved",
            reason="Late QA evaluations arrived",
        ),
        MANAGER,
    )
    app.finalise_review(review.id, MANAGER)
