"""Anonymous peer 360 through HTTP, on every path the agent reviewed can read the review by:
the review, the list, the replayed state, the event trail and the explanation. Below the
threshold the agent sees no peer input; from it on, the inputs without author; the manager and
the auditor see authors (and their names) everywhere."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from engine.bootstrap import build
from tests.integration.live import LiveModels
from tests.support import make_settings, seed_roster, token

MANAGER, AGENT = token("manager", "bob", "t1"), token("agent", "a1")
AUDITOR, ADMIN = token("auditor", "ann"), token("admin", "root")
PEERS = {"peer-kim": "Kim Quartz", "peer-lee": "Lee Zircon", "peer-max": "Max Garnet"}
# Everything that would name or betray a peer author in an answer.
SECRETS = [*PEERS, *PEERS.values()]
TEAMS_CSV = "team_id,name,site,time_zone\nt1,North,lyon,UTC\n"
PEOPLE_CSV = (
    "person_id,display_name,email,role,team_id,manages,effective_from\n"
    + "".join(
        f"{pid},{name},{pid}@example.com,agent,t1,,2026-01-01\n"
        for pid, name in {"a1": "Ada Lovelace", **PEERS}.items()
    )
    + "bob,Bob Lead,bob@example.com,manager,,t1,\nann,Ann Auditor,ann@example.com,auditor,,,\n"
)
REVIEW = {
    "agent_id": "a1",
    "team_id": "t1",
    "period_start": "2026-10-01",
    "period_end": "2026-12-31",
    "criteria": ["quality"],
}


@pytest.fixture
def world(database_url: str, tmp_path: Path) -> Iterator[tuple[LiveModels, TestClient]]:
    container = build(make_settings(tmp_path, database_url, None))
    seed_roster(container, TEAMS_CSV, PEOPLE_CSV)
    try:
        yield LiveModels(container), TestClient(container.api())
    finally:
        container.close()


def feedback(client: TestClient, review_id: str, body: dict[str, Any]) -> None:
    answer = client.post(f"/v1/reviews/{review_id}/feedback", json=body, headers=MANAGER)
    assert answer.status_code == 200, answer.text


def peer_input(client: TestClient, review_id: str, author: str) -> None:
    text = f"peer view number {sorted(PEERS).index(author) + 1}"
    feedback(client, review_id, {"source": "peer", "author_id": author, "text": text, "rating": 4})


def reads(client: TestClient, review_id: str, who: dict[str, str]) -> dict[str, Any]:
    """Every way of reading the review, as that caller: path -> answer (all 200)."""
    paths = [
        f"/v1/reviews/{review_id}",
        "/v1/reviews?agent_id=a1",
        f"/v1/audit/{review_id}/events",
        f"/v1/audit/{review_id}/state",
        f"/v1/audit/{review_id}/state?version=3",
        f"/v1/reviews/{review_id}/explain",
        f"/v1/audit/reviews/{review_id}/score-changes",
    ]
    answers = {}
    for path in paths:
        answer = client.get(path, headers=who)
        assert answer.status_code == 200, (path, answer.text)
        answers[path] = answer
    return answers


def peer_texts(answer: Any) -> list[str]:
    """The peer input texts anywhere in an answer."""
    found: list[str] = []
    pending = [answer]
    while pending:
        item = pending.pop()
        if isinstance(item, dict):
            if item.get("source") == "peer" and "text" in item:
                found.append(item["text"])
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
    return sorted(found)


def started_review(live: LiveModels, client: TestClient) -> str:
    review_id: str = client.post("/v1/reviews", json=REVIEW, headers=MANAGER).json()["id"]
    # A manager's own input, its author left to the caller: the actor is recorded as author.
    feedback(client, review_id, {"source": "manager", "text": "steady", "rating": 4})
    peer_input(client, review_id, "peer-kim")
    peer_input(client, review_id, "peer-lee")
    live.project()
    return review_id


def test_below_the_threshold_the_agent_sees_no_peer_input_on_any_path(
    world: tuple[LiveModels, TestClient],
) -> None:
    live, client = world
    review_id = started_review(live, client)
    for path, answer in reads(client, review_id, AGENT).items():
        assert not any(secret in answer.text for secret in SECRETS), path
        assert "peer view" not in answer.text, path
    review = client.get(f"/v1/reviews/{review_id}", headers=AGENT).json()
    assert [i["source"] for i in review["inputs"]] == ["manager"]
    assert review["inputs"][0]["author_name"] == "Bob Lead"  # the manager's input keeps its author
    assert review["anonymity"] == {"sources": ["peer"], "threshold": 3, "shown": False}
    trail = client.get(f"/v1/audit/{review_id}/events", headers=AGENT).json()
    assert [row.get("withheld") for row in trail] == [None, None, True, True]


def test_from_the_threshold_on_the_agent_sees_peer_inputs_without_authors_on_every_path(
    world: tuple[LiveModels, TestClient],
) -> None:
    live, client = world
    review_id = started_review(live, client)
    peer_input(client, review_id, "peer-max")
    live.project()
    texts = [f"peer view number {n}" for n in (1, 2, 3)]
    answers = reads(client, review_id, AGENT)
    for path, answer in answers.items():
        assert not any(secret in answer.text for secret in SECRETS), path
    assert peer_texts(answers[f"/v1/reviews/{review_id}"].json()) == texts
    assert peer_texts(answers["/v1/reviews?agent_id=a1"].json()) == texts
    assert peer_texts(answers[f"/v1/audit/{review_id}/state"].json()) == sorted(texts * 2)
    events = answers[f"/v1/audit/{review_id}/events"].json()
    assert sorted(r["data"]["text"] for r in events if r.get("withheld") is False) == texts
    # A peer input's hash (repeated as the next prev_hash) could be tried against each peer.
    redacted = [n for n, r in enumerate(events) if "withheld" in r]
    assert redacted and all("hash" not in events[n] for n in redacted)
    assert all("prev_hash" not in events[n + 1] for n in redacted if n + 1 < len(events))
    # The state at version 3 holds one peer input: below the threshold, so none is shown.
    assert peer_texts(answers[f"/v1/audit/{review_id}/state?version=3"].json()) == []


@pytest.mark.parametrize("who", [MANAGER, AUDITOR, ADMIN], ids=["manager", "auditor", "admin"])
def test_managers_auditors_and_admins_see_every_author(
    world: tuple[LiveModels, TestClient], who: dict[str, str]
) -> None:
    live, client = world
    review_id = started_review(live, client)
    answers = reads(client, review_id, who)
    review = answers[f"/v1/reviews/{review_id}"].json()
    peers = {i["author_id"]: i["author_name"] for i in review["inputs"] if i["source"] == "peer"}
    assert peers == {"peer-kim": "Kim Quartz", "peer-lee": "Lee Zircon"}
    assert "anonymity" not in review
    trail = answers[f"/v1/audit/{review_id}/events"].json()
    assert [r["data"].get("author_id") for r in trail[2:]] == ["peer-kim", "peer-lee"]
    assert all("hash" in r and "withheld" not in r for r in trail)
    state = answers[f"/v1/audit/{review_id}/state"].json()
    assert {i["author_id"] for i in state["inputs"]} == {"bob", "peer-kim", "peer-lee"}


def test_the_threshold_comes_from_the_settings(database_url: str, tmp_path: Path) -> None:
    container = build(make_settings(tmp_path, database_url, None, peer_input_threshold=2))
    seed_roster(container, TEAMS_CSV, PEOPLE_CSV)
    try:
        live, client = LiveModels(container), TestClient(container.api())
        review_id = started_review(live, client)
        review = client.get(f"/v1/reviews/{review_id}", headers=AGENT).json()
        assert review["anonymity"]["threshold"] == 2
        assert peer_texts(review) == ["peer view number 1", "peer view number 2"]
        assert not any(secret in repr(review) for secret in SECRETS)
    finally:
        container.close()
