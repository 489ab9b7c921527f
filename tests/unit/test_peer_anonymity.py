"""Anonymous peer 360: the agent reviewed sees peer inputs without author, and only from the
threshold on; managers, directors, auditors and admins see authors."""

from __future__ import annotations

from typing import Any

import pytest

from engine.services.anonymity import PeerAnonymity
from engine.tokens import Principal

AGENT = Principal("agent", "a1")
RULE = PeerAnonymity(threshold=3)


def peer(n: int) -> dict[str, Any]:
    return {
        "source": "peer",
        "author_id": f"p{n}",
        "text": f"peer says {n}",
        "rating": 4,
        "actor": "manager:bob",
        "at": f"2026-10-0{n}T10:00:00+00:00",
    }


MANAGER_INPUT = {
    "source": "manager",
    "author_id": "bob",
    "text": "steady",
    "rating": 4,
    "actor": "manager:bob",
    "at": "2026-10-01T09:00:00+00:00",
}


def review(peers: int) -> dict[str, Any]:
    return {
        "id": "r1",
        "agent_id": "a1",
        "team_id": "t1",
        "inputs": [MANAGER_INPUT, *(peer(n) for n in range(1, peers + 1))],
        "version": 1 + peers,
    }


def trail(peers: int) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = [
        {"sequence": 1, "type": "Review.Started", "actor": "manager:bob", "data": {}, "hash": "h1"}
    ]
    for n in range(1, peers + 1):
        rows.append(
            {
                "sequence": n + 1,
                "type": "Review.FeedbackReceived",
                "at": f"2026-10-0{n}T10:00:00+00:00",
                "actor": "manager:bob",
                "data": {k: v for k, v in peer(n).items() if k not in ("actor", "at")},
                "hash": f"h{n + 1}",
                "prev_hash": f"h{n}",
            }
        )
    rows.append(
        {
            "sequence": peers + 2,
            "type": "Review.Calibrated",
            "actor": "manager:bob",
            "data": {"after": 0.1},
            "hash": "hz",
            "prev_hash": f"h{peers + 1}",
        }
    )
    return rows


def test_below_the_threshold_the_agent_sees_no_peer_input_at_all() -> None:
    seen = RULE.review(AGENT, review(2))
    assert seen["inputs"] == [MANAGER_INPUT]
    assert seen["anonymity"] == {"sources": ["peer"], "threshold": 3, "shown": False}


def test_from_the_threshold_on_the_agent_sees_peer_inputs_without_author() -> None:
    seen = RULE.review(AGENT, review(3))
    peers = [i for i in seen["inputs"] if i["source"] == "peer"]
    assert [p["text"] for p in peers] == ["peer says 1", "peer says 2", "peer says 3"]
    assert all(set(p) == {"source", "text", "rating"} for p in peers)
    assert seen["inputs"][0] == MANAGER_INPUT  # other sources keep their author
    assert seen["anonymity"]["shown"] is True


@pytest.mark.parametrize("role", ["manager", "director", "auditor", "admin"])
def test_trusted_roles_see_every_author(role: str) -> None:
    doc = review(1)
    assert RULE.review(Principal(role, "bob"), doc) is doc
    assert RULE.trail(Principal(role, "bob"), "a1", trail(1)) == trail(1)


def test_the_agent_reviewed_never_sees_authors_whatever_role_the_token_says() -> None:
    seen = RULE.review(Principal("manager", "a1"), review(1))
    assert all(i["source"] != "peer" for i in seen["inputs"])


def test_the_threshold_is_a_setting() -> None:
    assert PeerAnonymity(threshold=1).review(AGENT, review(1))["anonymity"]["shown"] is True
    assert PeerAnonymity(threshold=5).review(AGENT, review(4))["anonymity"]["shown"] is False


def test_a_list_of_reviews_is_redacted_item_by_item() -> None:
    seen = RULE.reviews(AGENT, [review(2), review(3)])
    assert [len(r["inputs"]) for r in seen] == [1, 4]


def test_below_the_threshold_the_trail_only_marks_withheld_events() -> None:
    rows = RULE.trail(AGENT, "a1", trail(2))
    assert rows[1] == {"sequence": 2, "withheld": True}
    assert rows[2] == {"sequence": 3, "withheld": True}
    assert "peer" not in repr(rows) and "p1" not in repr(rows)
    # The next event repeats the withheld event's hash as its prev_hash: left out too.
    assert "prev_hash" not in rows[3] and rows[3]["hash"] == "hz"


def test_from_the_threshold_on_the_trail_shows_inputs_without_author_moment_or_hash() -> None:
    rows = RULE.trail(AGENT, "a1", trail(3))
    inputs = rows[1:4]
    assert [r["data"]["text"] for r in inputs] == ["peer says 1", "peer says 2", "peer says 3"]
    for row in inputs:
        assert set(row) == {"sequence", "type", "data", "withheld"}
        assert "author_id" not in row["data"]
    assert "p1" not in repr(rows) and "h2" not in repr(rows)
    assert rows[0]["hash"] == "h1"  # events that are not peer inputs keep their chain


def test_a_replayed_review_is_redacted_as_it_was_then() -> None:
    result = {"type": "Review", "state": review(2), "events": trail(2), "version": 4}
    seen = RULE.replayed(AGENT, result)
    assert seen["state"]["anonymity"]["shown"] is False
    assert {"sequence": 2, "withheld": True} in seen["events"]
    other = {"type": "Goal", "state": {"agent_id": "a1"}, "events": []}
    assert RULE.replayed(AGENT, other) is other


def test_a_review_without_inputs_is_left_alone() -> None:
    explanation = {"review_id": "r1", "agent_id": "a1", "score_changes": []}
    assert RULE.review(AGENT, explanation) is explanation
