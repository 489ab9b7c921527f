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
from aggregates.kpis import CATALOGUE

GOAL_ID = "5b0c2a0e-8f1c-4c62-9c7e-3f8f9b1a2d44"
AT = "2026-10-06T10:15:00+00:00"
ACCEPTED = {"id": GOAL_ID, "version": 2}
GOAL = {
    "id": GOAL_ID,
    "agent_id": "agent-017",
    "agent_name": "Ada Lovelace",
    "team_id": "team-north",
    "team_name": "North",
    "title": "Lower handle time",
    "description": "AHT under five minutes",
    "kpi": "aht_seconds",
    "target": 300.0,
    "direction": "at_most",
    "period_start": "2026-10-01",
    "period_end": "2026-12-31",
    "weight": 1.0,
    "status": "active",
    "set_by": "manager:bob",
    "set_by_name": "Bob Stone",
    "set_at": AT,
    "version": 3,
    "attainment": 1.04,
    "progress_count": 1,
    "latest_progress": {
        "value": 288.9,
        "before": None,
        "as_of": AT,
        "source": "kpi:aht_seconds",
        "note": "aht_seconds over 2026-10-01..2026-12-31",
        "actor": "system:goal-progress",
        "at": AT,
    },
    "revisions": [
        {
            "before": 320.0,
            "after": 300.0,
            "reason": "new baseline",
            "actor": "manager:bob",
            "at": AT,
        }
    ],
    "cancel_reason": None,
    "closed": None,
    "template_id": None,
    "updated_at": AT,
}
KPI_ROW = {"start": "2026-10-06T00:00:00+02:00", **{kpi.name: kpi.example for kpi in CATALOGUE}}
EVENT = {
    "sequence": 1,
    "type": "Goal.Set",
    "at": AT,
    "actor": "manager:bob",
    "actor_name": "Bob Stone",
    "data": {"agent_id": "agent-017", "target": 320.0},
    "hash": "d0f1…",
    "prev_hash": "0" * 64,
}
CHANGE = {
    "criterion": "quality",
    "before": 3,
    "after": 4,
    "actor": "manager:bob",
    "actor_name": "Bob Stone",
    "reason": "re-listened to the calls",
    "at": AT,
}

EXAMPLES: dict[tuple[str, str], Any] = {
    ("get", "/v1/goals/{goal_id}"): GOAL,
    ("get", "/v1/goals"): {"items": [GOAL], "next_cursor": None},
    ("get", "/v1/goals/rollup"): {
        "team_id": "team-north",
        "goals": 12,
        "weighted_attainment": 0.93,
    },
    ("get", "/v1/kpis"): {"items": [kpi.describe() for kpi in CATALOGUE]},
    ("get", "/v1/agents/{agent_id}/kpis"): {
        "agent_id": "agent-017",
        "agent_name": "Ada Lovelace",
        "bucket": "day",
        "time_zone": "Europe/Berlin",
        "rows": [KPI_ROW],
        "next_cursor": None,
    },
    ("get", "/v1/teams/{team_id}/kpis"): {
        "team_id": "team-north",
        "team_name": "North",
        "bucket": "day",
        "time_zone": "Europe/Berlin",
        "telephony_team_mismatches": 0,
        "rows": [KPI_ROW],
        "next_cursor": None,
    },
    ("get", "/v1/teams/{team_id}/leaderboard"): {
        "team_id": "team-north",
        "team_name": "North",
        "time_zone": "Europe/Berlin",
        "kpi": "aht_seconds",
        "order": "ascending",
        "next_cursor": None,
        "rows": [
            {
                "rank": 1,
                "agent_id": "agent-017",
                "agent_name": "Ada Lovelace",
                "value": 288.9,
                "kpis": {"agent_id": "agent-017", "agent_name": "Ada Lovelace"},
            },
            # An agent the roster does not know: no name field.
            {
                "rank": 2,
                "agent_id": "agent-0931",
                "value": 301.2,
                "kpis": {"agent_id": "agent-0931"},
            },
        ],
    },
    ("get", "/v1/audit/{aggregate_id}/events"): [EVENT],
    ("get", "/v1/audit/{aggregate_id}/state"): {
        "id": GOAL_ID,
        "version": 1,
        "state": {"target": 320.0},
        "events": [EVENT],
    },
    ("get", "/v1/audit/reviews/{review_id}/score-changes"): [CHANGE],
    ("get", "/v1/audit/verify"): {"ok": True, "first_problem": None},
    ("get", "/v1/telephony/mismatches"): {
        "rows": [
            {
                "event_id": "0b7e2c1a-4f4e-4c39-9d0e-1f2a3b4c5d01",
                "agent_id": "agent-017",
                "call_id": "call-88412",
                "call_agents": ["agent-022"],
                "moved_from": {"agent_id": "agent-017", "team_id": "team-north"},
                "moved_to": {"agent_id": "agent-022", "team_id": "team-south"},
            }
        ]
    },
    ("get", "/v1/telephony/team-mismatches"): {
        "team_id": "team-beijing",
        "rows": [
            {
                "agent_id": "agent-041",
                "telephony_team": "team-berlin",
                "roster_team": "team-beijing",
                "events": 37,
                "first_interval": "2026-03-02T01:15:00+00:00",
                "last_interval": "2026-03-02T09:45:00+00:00",
            }
        ],
    },
    ("get", "/healthz"): {"status": "ok"},
    ("get", "/readyz"): {
        "ready": True,
        "max_lag": 1000,
        "lagging": [],
        "event_store_position": 530,
        "relay_position": 530,
        "relay_lag": 0,
        "projector_lag": {"perfledger.projector": 0, "perfledger.ingestor": 0},
    },
    ("get", "/metrics"): "# HELP perfledger_relay_lag Stored events not yet published\n",
    ("get", "/v1/check-ins/{check_in_id}"): {
        "id": GOAL_ID,
        "agent_id": "agent-017",
        "agent_name": "Ada Lovelace",
        "team_id": "team-north",
        "team_name": "North",
        "manager": "manager:bob",
        "manager_name": "Bob Stone",
        "held_at": AT,
        "notes": "Went through last week's calls",
        "goals": [],
        "status": "open",
        "feedback": [
            {
                "kind": "positive",
                "behavior": "calm on escalations",
                "impact": "fewer transfers",
                "outcome": "keep doing it",
            }
        ],
        "action_items": [
            {
                "n": 1,
                "description": "shadow a senior",
                "owner_id": "agent-017",
                "owner_name": "Ada Lovelace",
                "due": "2026-10-20",
                "completed_by": None,
                "completed_at": None,
            }
        ],
        "open_action_items": 1,
        "version": 1,
    },
    ("get", "/v1/reviews/{review_id}"): {
        "id": GOAL_ID,
        "agent_id": "agent-017",
        "agent_name": "Ada Lovelace",
        "team_id": "team-north",
        "team_name": "North",
        "status": "finalised",
        "policy_id": "default",
        "policy_version": 1,
        "scores": {"quality": 4},
        "inputs": [
            {
                "source": "manager",
                "author_id": "bob",
                "author_name": "Bob Stone",
                "text": "Calm on escalations",
                "rating": 4,
                "actor": "manager:bob",
                "actor_name": "Bob Stone",
                "at": AT,
            },
            # As the agent reviewed reads it: peer inputs without author, once enough answered.
            {"source": "peer", "text": "Always helps new joiners", "rating": 5},
        ],
        "anonymity": {"sources": ["peer"], "threshold": 3, "shown": True},
        "score_changes": [CHANGE],
        "overall_score": 3.62,
        "open_disputes": [],
        "version": 9,
    },
}
EXAMPLES[("get", "/v1/check-ins")] = {
    "items": [EXAMPLES[("get", "/v1/check-ins/{check_in_id}")]],
    "next_cursor": None,
}
EXAMPLES[("get", "/v1/reviews")] = {
    "items": [EXAMPLES[("get", "/v1/reviews/{review_id}")]],
    "next_cursor": None,
}
EXAMPLES[("get", "/v1/goal-templates/{template_id}")] = {
    **{
        k: GOAL[k]
        for k in ("team_id", "title", "kpi", "target", "direction", "period_start", "period_end")
    },
    "id": GOAL_ID,
    "assignments": {"agent-017": GOAL_ID},
    "version": 2,
}
EXAMPLES[("get", "/v1/review-templates/{policy_id}")] = {
    "policy_id": "default",
    "version": 1,
    "criteria": ["quality", "teamwork"],
    "goal_weight": 0.6,
}
EXAMPLES[("get", "/v1/teams/{team_id}/alert-rules")] = {
    "team_id": "team-north",
    "rules": [{"kind": "deviation", "kpi": "aht_seconds", "sigmas": 1.5}],
}
EXAMPLES[("get", "/v1/goals/{goal_id}/progress/{n}/explain")] = {
    "goal_id": GOAL_ID,
    "n": 1,
    "value": 288.9,
    "source": "kpi:aht_seconds",
    "reproduced": True,
    "buckets": [KPI_ROW],
    "telephony_event_ids": ["0b7e2c1a-4f4e-4c39-9d0e-1f2a3b4c5d01"],
}
EXAMPLES[("get", "/v1/reviews/{review_id}/explain")] = {
    "review_id": GOAL_ID,
    "policy": {"policy_id": "default", "version": 1},
    "score_changes": [CHANGE],
    "finalisations": [{"overall_score": 3.62, "recomputed": 3.62}],
}

REQUESTS: dict[tuple[str, str], Any] = {
    ("post", "/v1/goals"): {
        "agent_id": "agent-017",
        "team_id": "team-north",
        "title": "Lower handle time",
        "description": "AHT under five minutes",
        "kpi": "aht_seconds",
        "target": 300,
        "direction": "at_most",
        "period_start": "2026-10-01",
        "period_end": "2026-12-31",
        "weight": 1,
    },
    ("post", "/v1/goals/{goal_id}/revise-target"): {"target": 290, "reason": "new baseline agreed"},
}

# --- telephony: one named example per event type, and the answers to a batch ----------------
TELEPHONY_EVENTS: dict[str, dict[str, Any]] = {
    "call.completed": {
        "event_id": "0b7e2c1a-4f4e-4c39-9d0e-1f2a3b4c5d01",
        "type": "call.completed",
        "agent_id": "agent-017",
        "team_id": "team-north",
        "occurred_at": "2026-10-05T09:14:03+02:00",
        "call_id": "c-88121",
        "talk_seconds": 212.4,
        "hold_seconds": 31.0,
        "acw_seconds": 45.5,
        "transferred": False,
        "resolved_first_contact": True,
    },
    "survey.completed": {
        "event_id": "0b7e2c1a-4f4e-4c39-9d0e-1f2a3b4c5d03",
        "type": "survey.completed",
        "agent_id": "agent-017",
        "team_id": "team-north",
        "occurred_at": "2026-10-07T11:00:00Z",
        "call_id": "c-88121",
        "csat": 4,
    },
    "qa.evaluated": {
        "event_id": "0b7e2c1a-4f4e-4c39-9d0e-1f2a3b4c5d04",
        "type": "qa.evaluated",
        "agent_id": "agent-017",
        "team_id": "team-north",
        "occurred_at": "2026-10-09T15:30:00+00:00",
        "call_id": "c-88121",
        "qa_score": 86,
        "evaluator_id": "qa-lead-2",
    },
    "agent.interval": {
        "event_id": "0b7e2c1a-4f4e-4c39-9d0e-1f2a3b4c5d05",
        "type": "agent.interval",
        "agent_id": "agent-017",
        "team_id": "team-north",
        "occurred_at": "2026-10-05T07:00:00Z",
        "interval_seconds": 900,
        "scheduled_seconds": 900,
        "adherent_seconds": 810,
        "available_seconds": 780,
        "handling_seconds": 600,
    },
}
TELEPHONY_EVENTS["event.corrected"] = {
    "event_id": "0b7e2c1a-4f4e-4c39-9d0e-1f2a3b4c5d06",
    "type": "event.corrected",
    "agent_id": "agent-017",
    "team_id": "team-north",
    "occurred_at": "2026-10-08T08:00:00Z",
    "corrects": "0b7e2c1a-4f4e-4c39-9d0e-1f2a3b4c5d01",
    "reason": "talk time re-read from the recording",
    "event": {
        **{k: v for k, v in TELEPHONY_EVENTS["call.completed"].items() if k != "event_id"},
        "talk_seconds": 198.0,
    },
}
TELEPHONY_EVENTS["event.voided"] = {
    "event_id": "0b7e2c1a-4f4e-4c39-9d0e-1f2a3b4c5d07",
    "type": "event.voided",
    "agent_id": "agent-017",
    "team_id": "team-north",
    "occurred_at": "2026-10-08T08:05:00Z",
    "voids": "0b7e2c1a-4f4e-4c39-9d0e-1f2a3b4c5d05",
    "reason": "interval exported twice by the WFM system",
}
# A batch refused event by event; the reasons are exactly what the door answers
# (tests/unit/test_openapi_telephony.py).
REJECTED_BATCH: list[Any] = [
    TELEPHONY_EVENTS["call.completed"],
    {
        **TELEPHONY_EVENTS["survey.completed"],
        "event_id": "0b7e2c1a-4f4e-4c39-9d0e-1f2a3b4c5d13",
        "csat": 6,
    },
    {
        **TELEPHONY_EVENTS["call.completed"],
        "event_id": "0B7E2C1A-4F4E-4C39-9D0E-1F2A3B4C5D14",
        "talk_seconds": "212",
        "transferred": 0,
        "occurred_at": "2026-10-05 09:14:03",
    },
    {
        **TELEPHONY_EVENTS["agent.interval"],
        "event_id": "0b7e2c1a-4f4e-4c39-9d0e-1f2a3b4c5d15",
        "handling_seconds": 800,
    },
    {
        **TELEPHONY_EVENTS["event.corrected"],
        "event_id": "0b7e2c1a-4f4e-4c39-9d0e-1f2a3b4c5d16",
        "event": {**TELEPHONY_EVENTS["event.corrected"]["event"], "hold_seconds": 40000},
    },
    {"type": "call.abandoned"},
]
REJECTED_ANSWER: dict[str, Any] = {
    "accepted": 1,
    "duplicates": 0,
    "rejected": [
        {"index": 1, "reason": "csat: must be between 1 and 5"},
        {
            "index": 2,
            "reason": "occurred_at: must be an RFC 3339 timestamp with a UTC offset (Z or +hh:mm); "
            "talk_seconds: must be a number; transferred: must be a JSON boolean (true or false)",
        },
        {"index": 3, "reason": "handling_seconds: must not exceed available_seconds (800 > 780)"},
        {"index": 4, "reason": "event.hold_seconds: must be at most 28800"},
        {"index": 5, "reason": "type: unknown event type 'call.abandoned'"},
    ],
}
REJECTED_ANSWER["events"] = [
    {"index": 0, "event_id": TELEPHONY_EVENTS["call.completed"]["event_id"], "outcome": "accepted"},
    *(
        {
            "index": r["index"],
            "event_id": REJECTED_BATCH[r["index"]].get("event_id"),
            "outcome": "rejected",
            "reason": r["reason"],
        }
        for r in REJECTED_ANSWER["rejected"]
    ),
]
NAMED_REQUESTS: dict[tuple[str, str], dict[str, Any]] = {
    ("post", "/v1/telephony/events"): {
        **{
            kind: {"summary": f"one {kind}", "value": [event]}
            for kind, event in TELEPHONY_EVENTS.items()
        },
        "rejected-batch": {
            "summary": "a batch refused event by event (see the 202 answer 'rejected-batch')",
            "value": REJECTED_BATCH,
        },
    },
}
NAMED_RESPONSES: dict[tuple[str, str], dict[str, Any]] = {
    ("post", "/v1/telephony/events"): {
        "accepted": {
            "summary": "every event accepted",
            "value": {
                "accepted": 1,
                "duplicates": 0,
                "rejected": [],
                "events": [
                    {
                        "index": 0,
                        "event_id": TELEPHONY_EVENTS["call.completed"]["event_id"],
                        "outcome": "accepted",
                    }
                ],
            },
        },
        "rejected-batch": {
            "summary": "the answer to the request example 'rejected-batch'",
            "value": REJECTED_ANSWER,
        },
        "duplicate-and-conflict": {
            "summary": "a re-send, and a re-used event_id with other content",
            "value": {
                "accepted": 0,
                "duplicates": 1,
                "rejected": [
                    {
                        "index": 1,
                        "reason": "event_id: conflict: already received with other content "
                        "(original sha256 9f2c…)",
                    }
                ],
                "events": [
                    {
                        "index": 0,
                        "event_id": TELEPHONY_EVENTS["call.completed"]["event_id"],
                        "outcome": "duplicate",
                    },
                    {
                        "index": 1,
                        "event_id": TELEPHONY_EVENTS["call.completed"]["event_id"],
                        "outcome": "rejected",
                        "reason": "event_id: conflict: already received with other "
                        "content (original sha256 9f2c…)",
                    },
                ],
            },
        },
    },
}
EXAMPLES[("get", "/v1/telephony/deliveries")] = {
    "day": "2026-10-05",
    "sources": [
        {"source": "http", "received": 1200, "accepted": 1187, "duplicates": 9, "dead_lettered": 4},
        {
            "source": "kafka:telephony.events",
            "received": 48210,
            "accepted": 48002,
            "duplicates": 180,
            "dead_lettered": 28,
        },
    ],
    "total": {"received": 49410, "accepted": 49189, "duplicates": 189, "dead_lettered": 32},
}
EXAMPLES[("get", "/v1/telephony/events/{event_id}/corrections")] = {
    "event_id": TELEPHONY_EVENTS["call.completed"]["event_id"],
    "original": {
        "recorded_at": "2026-10-05T07:14:05+00:00",
        "event": TELEPHONY_EVENTS["call.completed"],
    },
    "counts_as": "corrected",
    "counted": TELEPHONY_EVENTS["event.corrected"]["event"],
    "corrections": [
        {
            "event_id": TELEPHONY_EVENTS["event.corrected"]["event_id"],
            "type": "event.corrected",
            "occurred_at": "2026-10-08T08:00:00+00:00",
            "recorded_at": "2026-10-08T08:00:02+00:00",
            "reason": TELEPHONY_EVENTS["event.corrected"]["reason"],
            "status": "applied",
            "event": TELEPHONY_EVENTS["event.corrected"]["event"],
        }
    ],
}


# --- the roster -------------------------------------------------------------------------------
ROSTER_PERSON = {
    "person_id": "agent-0005",
    "display_name": "Wang Fang",
    "email": "wang.fang@example.com",
    "role": "agent",
    "external_id": "",
    "manages": [],
    "sites": [],
    "team_id": "team-02",
    "memberships": [
        {"team_id": "team-01", "effective_from": "2026-01-01"},
        {"team_id": "team-02", "effective_from": "2026-11-16"},
    ],
}
ROSTER_TEAM = {
    "team_id": "team-01",
    "name": "Beijing Inbound",
    "site_id": "beijing",
    "time_zone": "Asia/Shanghai",
    "managers": ["mei"],
    "manager_names": {"mei": "Mei Manager"},
}
EXAMPLES[("post", "/v1/roster/import")] = {
    "dry_run": False,
    "sites": {"created": 2, "changed": 0, "unchanged": 0},
    "teams": {"created": 4, "changed": 0, "unchanged": 0},
    "people": {"created": 16, "changed": 0, "unchanged": 0},
    "memberships": 9,
    "changed": True,
    "version": 35,
}
EXAMPLES[("get", "/v1/roster/export")] = (
    "team_id,name,site,time_zone\nteam-01,Beijing Inbound,beijing,Asia/Shanghai\n"
)
EXAMPLES[("get", "/v1/roster/people")] = {"items": [ROSTER_PERSON]}
EXAMPLES[("get", "/v1/roster/people/{person_id}")] = ROSTER_PERSON
EXAMPLES[("get", "/v1/roster/teams")] = {"items": [ROSTER_TEAM]}
EXAMPLES[("get", "/v1/roster/teams/{team_id}")] = {**ROSTER_TEAM, "members": ["agent-0001"]}
EXAMPLES[("get", "/v1/roster/sites")] = {
    "items": [{"site_id": "beijing", "name": "beijing", "time_zone": "Asia/Shanghai"}]
}


def install(app: FastAPI) -> None:
    """Builds the OpenAPI document once, with an example on every operation."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(
                title=app.title, version=app.version, description=app.description, routes=app.routes
            )
            for path, operations in schema["paths"].items():
                for method, operation in operations.items():
                    add_examples(method, path, operation)
            add_problems(schema)
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


NAMES_NOTE = (
    "Display names: beside each id field the roster knows (`agent_id`, `team_id`, `site_id`, "
    "`owner_id`, `author_id`, ... and actors such as `actor`, `set_by`, `manager`), the answer "
    "carries `<field>_name` (`agent_id` -> `agent_name`, `actor` -> `actor_name`); an id the "
    "roster does not know has no name field (absent, not null). Event payloads (`data`) are "
    "shown as stored."
)


def add_examples(method: str, path: str, operation: dict[str, Any]) -> None:
    for status, response in operation.get("responses", {}).items():
        if not status.startswith("2"):
            continue
        if method == "get" and path.startswith("/v1/"):
            # adapters/http/naming.py adds the names to every such answer.
            response["description"] = f"{response.get('description', '')}\n\n{NAMES_NOTE}".strip()
        content = response.setdefault("content", {}).setdefault("application/json", {})
        if "example" in content or "examples" in content:
            continue
        if (method, path) in NAMED_RESPONSES:
            content["examples"] = NAMED_RESPONSES[(method, path)]
            continue
        example = EXAMPLES.get((method, path))
        if example is None and method in ("post", "put"):
            example = ACCEPTED
        if example is not None:
            content["example"] = example
    named = NAMED_REQUESTS.get((method, path))
    if named is not None:
        operation.setdefault("requestBody", {"content": {"application/json": {}}})
        operation["requestBody"].setdefault("content", {}).setdefault("application/json", {})[
            "examples"
        ] = named
    body = REQUESTS.get((method, path))
    if body is not None:
        operation.setdefault("requestBody", {"content": {"application/json": {}}})
        operation["requestBody"].setdefault("content", {}).setdefault("application/json", {})[
            "example"
        ] = body
