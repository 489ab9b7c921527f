"""One agent's whole quarter over HTTP against `perfledger up`: goals to a re-finalised review."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx

from tests.e2e.test_up import Up
from tests.support import token, wait_until

ADMIN = token("admin", "alice")
MANAGER = token("manager", "bob")  # of team-q, by the roster below
AGENT = token("agent", "agent-q")
TEAMS = "team_id,name,site,time_zone\nteam-q,Team Q,hq,UTC\n"
PEOPLE = """person_id,display_name,email,role,team_id,manages,effective_from
bob,Bob,bob@example.com,manager,,team-q,
agent-q,Quinn,quinn@example.com,agent,team-q,,2026-01-01
agent-other,Olli,olli@example.com,agent,team-q,,2026-01-01
"""
Q3 = {"period_start": "2026-07-01", "period_end": "2026-09-30"}


class Api:
    def __init__(self, up: Up) -> None:
        self.client = httpx.Client(base_url=up.url, timeout=10)

    def post(
        self, path: str, body: Any = None, who: dict[str, str] = MANAGER, status: int = 200
    ) -> Any:
        response = self.client.post(path, json={} if body is None else body, headers=who)
        assert response.status_code == status, response.text
        return response.json()

    def get(self, path: str, who: dict[str, str] = ADMIN) -> Any:
        response = self.client.get(path, headers=who)
        return response.json() if response.status_code == 200 else None

    def at_version(self, path: str, version: int) -> Any:
        return wait_until(
            lambda: (d := self.get(path)) is not None and d["version"] >= version and d, timeout=15
        )


def set_goals(api: Api) -> list[str]:
    goals = [
        {
            "title": "Handle time",
            "kpi": "aht_seconds",
            "target": 300,
            "direction": "at_most",
            "weight": 2,
        },
        {
            "title": "First contact resolution",
            "kpi": "fcr_rate",
            "target": 0.75,
            "direction": "at_least",
            "weight": 1,
        },
    ]
    ids = [
        api.post("/v1/goals", {"agent_id": "agent-q", "team_id": "team-q", **g, **Q3}, status=201)[
            "id"
        ]
        for g in goals
    ]
    for month, (aht, fcr) in zip((7, 8, 9), ((340, 0.70), (310, 0.74), (290, 0.78)), strict=True):
        for goal_id, value in zip(ids, (aht, fcr), strict=True):
            api.post(
                f"/v1/goals/{goal_id}/progress",
                {
                    "value": value,
                    "as_of": f"2026-{month:02d}-28T18:00:00Z",
                    "note": f"month {month}",
                },
            )
    return ids


def hold_check_ins(api: Api, goal_ids: list[str]) -> list[str]:
    ids = []
    for month in (7, 8, 9):
        body = {
            "agent_id": "agent-q",
            "team_id": "team-q",
            "held_at": f"2026-{month:02d}-29T09:00:00+01:00",
            "notes": f"Monthly 1:1, month {month}",
            "goal_ids": goal_ids,
            "feedback": [
                {
                    "kind": "positive",
                    "behavior": "Calm with upset callers",
                    "impact": "Fewer escalations",
                    "outcome": "Thank you",
                }
            ],
            "action_items": [
                {
                    "description": "Review hold usage",
                    "owner_id": "agent-q",
                    "due": f"2026-{month:02d}-30",
                }
            ],
        }
        check_in_id = api.post("/v1/check-ins", body, status=201)["id"]
        api.post(f"/v1/check-ins/{check_in_id}/action-items/1/complete")
        ids.append(check_in_id)
    return ids


def test_an_agents_quarter_leaves_a_complete_score_trail(tmp_path: Path) -> None:
    up = Up(tmp_path / "data").start()
    try:
        api = Api(up)
        files = {"teams": ("teams.csv", TEAMS.encode()), "people": ("people.csv", PEOPLE.encode())}
        imported = api.client.post("/v1/roster/import", files=files, headers=ADMIN)
        assert imported.status_code == 200, imported.text
        api.post(
            "/v1/review-templates",
            {"policy_id": "agents-2026", "criteria": ["quality", "teamwork"], "goal_weight": 0.5},
            ADMIN,
            201,
        )
        goal_ids = set_goals(api)
        check_in_ids = hold_check_ins(api, goal_ids)
        review_id = api.post(
            "/v1/reviews",
            {
                "agent_id": "agent-q",
                "team_id": "team-q",
                **Q3,
                "goal_ids": goal_ids,
                "policy_id": "agents-2026",
            },
            status=201,
        )["id"]
        base = f"/v1/reviews/{review_id}"
        for source, author in (
            ("self", "agent-q"),
            ("peer", "agent-p"),
            ("manager", "bob"),
            ("customer", "survey"),
        ):
            api.post(
                f"{base}/feedback",
                {"source": source, "author_id": author, "text": f"{source} view", "rating": 4},
            )
        api.post(
            f"{base}/scores", {"criterion": "quality", "score": 3, "rationale": "QA average 82"}
        )
        api.post(
            f"{base}/scores",
            {"criterion": "teamwork", "score": 4, "rationale": "Mentors new hires"},
        )
        api.post(
            f"{base}/scores",
            {
                "criterion": "quality",
                "score": 4,
                "rationale": "QA rechecked",
                "reason": "two evaluations were of another agent",
            },
        )
        api.post(
            f"{base}/scores",
            {
                "criterion": "quality",
                "score": 5,
                "rationale": "Top decile QA",
                "reason": "September QA added",
            },
        )
        api.post(
            f"{base}/calibrate",
            {"adjustment": -0.25, "reason": "calibration panel: team spread"},
            token("admin", "hr-lead"),
        )
        first = api.post(f"{base}/finalize")["overall_score"]
        api.post(f"{base}/acknowledge", who=AGENT)
        api.post(f"{base}/reopen", {"reason": "peer feedback arrived late"})
        api.post(
            f"{base}/scores",
            {
                "criterion": "teamwork",
                "score": 3,
                "rationale": "Late peer input",
                "reason": "peer feedback on handovers",
            },
        )
        final = api.post(f"{base}/finalize")
        assert final["overall_score"] != first

        doc = api.at_version(base, final["version"])
        changes = api.get(f"/v1/audit/reviews/{review_id}/score-changes")
        review_changes = [
            (c["criterion"], c["before"], c["after"], c["actor"], c["reason"])
            for c in changes
            if c["kind"] in ("criterion", "calibration")
        ]
        assert review_changes == [
            ("quality", None, 3, "manager:bob", None),
            ("teamwork", None, 4, "manager:bob", None),
            ("quality", 3, 4, "manager:bob", "two evaluations were of another agent"),
            ("quality", 4, 5, "manager:bob", "September QA added"),
            (None, 0.0, -0.25, "admin:hr-lead", "calibration panel: team spread"),
            ("teamwork", 4, 3, "manager:bob", "peer feedback on handovers"),
        ]
        progress = [c for c in changes if c["kind"] in ("goal_progress", "goal_override")]
        assert (
            len(progress) == 6
            and progress[0]["before"] is None
            and progress[-1]["reason"] == "month 9"
        )
        assert [c["at"] for c in changes] == sorted(c["at"] for c in changes)

        state = api.get(f"/v1/audit/{review_id}/state")
        for key in (
            "status",
            "scores",
            "inputs",
            "calibration",
            "score_changes",
            "overall_score",
            "finalisations",
            "reopenings",
            "disputes",
            "policy_id",
            "policy_version",
        ):
            assert doc[key] == state[key], key
        assert (
            doc["status"] == "finalised"
            and len(doc["finalisations"]) == 2
            and len(doc["inputs"]) == 4
        )
        assert doc["overall_score"] == final["overall_score"]
        for goal_id in goal_ids:
            goal = api.at_version(f"/v1/goals/{goal_id}", 4)
            goal_state = api.get(f"/v1/audit/{goal_id}/state")
            assert goal["latest_progress"]["value"] == goal_state["latest_progress"]["value"]
            assert (
                goal["version"] == goal_state["version"] and goal["status"] == goal_state["status"]
            )
        for check_in_id in check_in_ids:
            check_in = api.at_version(f"/v1/check-ins/{check_in_id}", 2)
            assert check_in["open_action_items"] == 0 and len(check_in["goals"]) == 2
        assert api.get(base, AGENT)["id"] == review_id
        assert api.get(base, token("agent", "agent-other")) is None
    finally:
        up.kill_if_running()
