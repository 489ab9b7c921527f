"""Response and request examples for the OpenAPI document, in one place.

Routes declare what they do; this module says what their answers look like, so that
/docs shows a worked example for every operation. A command that answers only with
the aggregate's id and version gets that example without being listed here.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from adapters.http.openapi_problems import add_problems

GOAL_ID = "5b0c2a0e-8f1c-4c62-9c7e-3f8f9b1a2d44"
AT = "2026-10-06T10:15:00+00:00"
ACCEPTED = {"id": GOAL_ID, "version": 2}
GOAL = {
    "id": GOAL_ID, "agent_id": "agent-017", "team_id": "team-north", "title": "Lower handle time",
    "description": "AHT under five minutes", "kpi": "aht_seconds", "target": 300.0, "direction": "at_most",
    "period_start": "2026-10-01", "period_end": "2026-12-31", "weight": 1.0, "status": "active",
    "set_by": "manager:bob", "set_at": AT, "version": 3, "attainment": 1.04, "progress_count": 1,
    "latest_progress": {"value": 288.9, "before": None, "as_of": AT, "source": "kpi:aht_seconds",
                        "note": "aht_seconds over 2026-10-01..2026-12-31", "actor": "system:goal-progress",
                        "at": AT},
    "revisions": [{"before": 320.0, "after": 300.0, "reason": "new baseline", "actor": "manager:bob", "at": AT}],
    "cancel_reason": None, "closed": None, "template_id": None, "updated_at": AT,
}
KPI_ROW = {"start": "2026-10-06T00:00:00+00:00", "calls_handled": 41, "aht_seconds": 288.9,
           "avg_hold_seconds": 31.0, "fcr_rate": 0.78, "transfer_rate": 0.07, "csat_avg": 4.2,
           "csat_top2_rate": 0.8, "qa_avg": 86.0, "adherence_rate": 0.9, "occupancy_rate": 0.77}
EVENT = {"sequence": 1, "type": "Goal.Set", "at": AT, "actor": "manager:bob",
         "data": {"agent_id": "agent-017", "target": 320.0}, "hash": "d0f1…", "prev_hash": "0" * 64}
CHANGE = {"criterion": "quality", "before": 3, "after": 4, "actor": "manager:bob",
          "reason": "re-listened to the calls", "at": AT}

EXAMPLES: dict[tuple[str, str], Any] = {
    ("get", "/v1/goals/{goal_id}"): GOAL,
    ("get", "/v1/goals"): {"items": [GOAL], "next_cursor": None},
    ("get", "/v1/goals/rollup"): {"team_id": "team-north", "goals": 12, "weighted_attainment": 0.93},
    ("get", "/v1/agents/{agent_id}/kpis"): {"agent_id": "agent-017", "bucket": "day", "rows": [KPI_ROW],
                                             "next_cursor": None},
    ("get", "/v1/teams/{team_id}/kpis"): {"team_id": "team-north", "bucket": "day", "rows": [KPI_ROW],
                                          "next_cursor": None},
    ("get", "/v1/teams/{team_id}/leaderboard"): {
        "team_id": "team-north", "kpi": "aht_seconds", "order": "ascending", "next_cursor": None,
        "rows": [{"rank": 1, "agent_id": "agent-017", "value": 288.9, "kpis": {"agent_id": "agent-017"}}]},
    ("get", "/v1/audit/{aggregate_id}/events"): [EVENT],
    ("get", "/v1/audit/{aggregate_id}/state"): {"id": GOAL_ID, "version": 1, "state": {"target": 320.0},
                                                "events": [EVENT]},
    ("get", "/v1/audit/reviews/{review_id}/score-changes"): [CHANGE],
    ("get", "/v1/audit/verify"): {"ok": True, "first_problem": None},
    ("post", "/v1/telephony/events"): {"accepted": 2, "duplicates": 1,
                                       "rejected": [{"index": 3, "reason": "csat: must be between 1 and 5"}]},
    ("get", "/v1/telephony/mismatches"): {"rows": [{
        "event_id": "0b7e2c1a-4f4e-4c39-9d0e-1f2a3b4c5d01", "agent_id": "agent-017", "call_id": "call-88412",
        "call_agents": ["agent-022"]}]},
    ("get", "/healthz"): {"status": "ok"},
    ("get", "/readyz"): {"ready": True, "max_lag": 1000, "lagging": [], "event_store_position": 530,
                         "relay_position": 530, "relay_lag": 0,
                         "projector_lag": {"perfledger.projector": 0, "perfledger.ingestor": 0}},
    ("get", "/metrics"): "# HELP perfledger_relay_lag Stored events not yet published\n",
    ("get", "/v1/check-ins/{check_in_id}"): {
        "id": GOAL_ID, "agent_id": "agent-017", "team_id": "team-north", "manager": "manager:bob",
        "held_at": AT, "notes": "Went through last week's calls", "goals": [], "status": "open",
        "feedback": [{"kind": "positive", "behavior": "calm on escalations", "impact": "fewer transfers",
                      "outcome": "keep doing it"}],
        "action_items": [{"n": 1, "description": "shadow a senior", "owner_id": "agent-017",
                          "due": "2026-10-20", "completed_by": None, "completed_at": None}],
        "open_action_items": 1, "version": 1},
    ("get", "/v1/reviews/{review_id}"): {
        "id": GOAL_ID, "agent_id": "agent-017", "team_id": "team-north", "status": "finalised",
        "policy_id": "default", "policy_version": 1, "scores": {"quality": 4}, "score_changes": [CHANGE],
        "overall_score": 3.62, "open_disputes": [], "version": 9},
}
EXAMPLES[("get", "/v1/check-ins")] = {"items": [EXAMPLES[("get", "/v1/check-ins/{check_in_id}")]],
                                      "next_cursor": None}
EXAMPLES[("get", "/v1/reviews")] = {"items": [EXAMPLES[("get", "/v1/reviews/{review_id}")]], "next_cursor": None}
EXAMPLES[("get", "/v1/goal-templates/{template_id}")] = {
    **{k: GOAL[k] for k in ("team_id", "title", "kpi", "target", "direction", "period_start", "period_end")},
    "id": GOAL_ID, "assignments": {"agent-017": GOAL_ID}, "version": 2}
EXAMPLES[("get", "/v1/review-templates/{policy_id}")] = {
    "policy_id": "default", "version": 1, "criteria": ["quality", "teamwork"], "goal_weight": 0.6}
EXAMPLES[("get", "/v1/teams/{team_id}/alert-rules")] = {
    "team_id": "team-north", "rules": [{"kind": "deviation", "kpi": "aht_seconds", "sigmas": 1.5}]}
EXAMPLES[("get", "/v1/goals/{goal_id}/progress/{n}/explain")] = {
    "goal_id": GOAL_ID, "n": 1, "value": 288.9, "source": "kpi:aht_seconds", "reproduced": True,
    "buckets": [KPI_ROW], "telephony_event_ids": ["0b7e2c1a-4f4e-4c39-9d0e-1f2a3b4c5d01"]}
EXAMPLES[("get", "/v1/reviews/{review_id}/explain")] = {
    "review_id": GOAL_ID, "policy": {"policy_id": "default", "version": 1}, "score_changes": [CHANGE],
    "finalisations": [{"overall_score": 3.62, "recomputed": 3.62}]}

REQUESTS: dict[tuple[str, str], Any] = {
    ("post", "/v1/goals"): {"agent_id": "agent-017", "team_id": "team-north", "title": "Lower handle time",
                            "description": "AHT under five minutes", "kpi": "aht_seconds", "target": 300,
                            "direction": "at_most", "period_start": "2026-10-01", "period_end": "2026-12-31",
                            "weight": 1},
    ("post", "/v1/goals/{goal_id}/revise-target"): {"target": 290, "reason": "new baseline agreed"},
    ("post", "/v1/telephony/events"): [{
        "event_id": "0b7e2c1a-4f4e-4c39-9d0e-1f2a3b4c5d01", "type": "call.completed", "agent_id": "agent-017",
        "team_id": "team-north", "occurred_at": "2026-10-05T09:14:03+02:00", "call_id": "c-88121",
        "talk_seconds": 212.4, "hold_seconds": 31.0, "acw_seconds": 45.5, "transferred": False,
        "resolved_first_contact": True}],
}


def install(app: FastAPI) -> None:
    """Builds the OpenAPI document once, with an example on every operation."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(title=app.title, version=app.version, description=app.description,
                                 routes=app.routes)
            for path, operations in schema["paths"].items():
                for method, operation in operations.items():
                    add_examples(method, path, operation)
            add_problems(schema)
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def add_examples(method: str, path: str, operation: dict[str, Any]) -> None:
    for status, response in operation.get("responses", {}).items():
        if not status.startswith("2"):
            continue
        content = response.setdefault("content", {}).setdefault("application/json", {})
        if "example" in content or "examples" in content:
            continue
        example = EXAMPLES.get((method, path))
        if example is None and method in ("post", "put"):
            example = ACCEPTED
        if example is not None:
            content["example"] = example
    body = REQUESTS.get((method, path))
    if body is not None:
        operation.setdefault("requestBody", {"content": {"application/json": {}}})
        operation["requestBody"].setdefault("content", {}).setdefault("application/json", {})["example"] = body
