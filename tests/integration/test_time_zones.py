"""Days cut at each team's local midnight, and each day counted for the agent's roster team.

Through the real pipeline (Kafka -> ingestor -> KPI read model -> HTTP), on SQLite and
PostgreSQL. The expected figures are recomputed here from the raw events with zoneinfo and the
roster's dates, sharing no code with the projection: a Beijing team (UTC+8 all year) and a
Berlin team whose March has the 23-hour day of 29 March 2026, a mover who joins Beijing on
16 March, and telephony that still reports the mover (and one Beijing agent) in Berlin.
"""

from __future__ import annotations

import json
import uuid
from collections import defaultdict
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from adapters.kafka.broker import EmbeddedBroker
from adapters.kafka.client import topics_of
from adapters.sql.ingest_counts import counter_totals as ingest_counters
from adapters.sql.rebuilder import rebuild
from adapters.telephony.ingestor import decode_archived
from tests.integration.test_telephony_ingest import produce
from tests.roster_worlds import AGENTS, BEIJING, BERLIN, MOVE_DAY, MOVER, people_csv, teams_csv
from tests.support import Pipeline, make_settings, seed_roster, token, wait_until

ADMIN = token("admin", "alice")
ZONES = {"team-bj": BEIJING, "team-be": BERLIN}
FIRST, LAST = datetime(2026, 2, 28, tzinfo=UTC), datetime(2026, 4, 1, 12, tzinfo=UTC)
MOVED_AT = datetime(2026, 3, 16, tzinfo=ZoneInfo(BEIJING))
# Telephony learns of the move four days late, and files every 7th call of bj-2 under Berlin.
TELEPHONY_CATCHES_UP = datetime(2026, 3, 20, tzinfo=UTC)


def telephony_team(agent: str, at: datetime, n: int) -> str:
    if agent == MOVER:
        return "team-be" if at < TELEPHONY_CATCHES_UP else "team-bj"
    if agent == "bj-2" and n % 7 == 0:
        return "team-be"
    return AGENTS[agent]


def roster_team(agent: str, at: datetime) -> str:
    """The test's own reading of the roster: the mover is in Beijing from its local midnight."""
    if agent == MOVER:
        return "team-bj" if at >= MOVED_AT else "team-be"
    return AGENTS[agent]


def calls() -> list[dict[str, Any]]:
    """One call per agent in every quarter hour from FIRST to LAST, at a varying second."""
    found = []
    for agent in [*sorted(AGENTS), MOVER]:
        at, n = FIRST, 0
        while at < LAST:
            when = at + timedelta(seconds=(n * 131 + len(agent) * 17) % 900)
            found.append(
                {
                    "event_id": str(uuid.uuid4()),
                    "type": "call.completed",
                    "agent_id": agent,
                    "team_id": telephony_team(agent, when, n),
                    "occurred_at": when.isoformat(),
                    "call_id": f"{agent}-{n}",
                    "talk_seconds": 100 + (n * 37) % 200,
                    "hold_seconds": n % 30,
                    "acw_seconds": 10,
                    "transferred": False,
                    "resolved_first_contact": None,
                }
            )
            at, n = at + timedelta(minutes=15), n + 1
    return found


def expected_days(events: list[dict[str, Any]], team: str, zone: str) -> dict[str, tuple[int, int]]:
    """(calls, handle seconds) per local day of `zone` for the team's calls, by the roster."""
    days: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for e in events:
        at = datetime.fromisoformat(e["occurred_at"])
        if roster_team(e["agent_id"], at) != team:
            continue
        local = at.astimezone(ZoneInfo(zone)).date()
        key = datetime(local.year, local.month, local.day, tzinfo=ZoneInfo(zone)).isoformat()
        day = days[key]
        day[0] += 1
        day[1] += e["talk_seconds"] + e["hold_seconds"] + e["acw_seconds"]
    return {k: (v[0], v[1]) for k, v in days.items()}


def messages(events: list[dict[str, Any]]) -> list[tuple[bytes, bytes]]:
    return [(e["agent_id"].encode(), json.dumps(e).encode()) for e in events]


def got_days(client: Any, team: str, **params: str) -> tuple[str, dict[str, tuple[int, float]]]:
    response = client.get(
        f"/v1/teams/{team}/kpis",
        params={"bucket": "day", "limit": "10000", **params},
        headers=ADMIN,
    )
    assert response.status_code == 200, response.text
    body = response.json()
    return body["time_zone"], {
        r["start"]: (r["calls_handled"], r["aht_seconds"]) for r in body["rows"]
    }


def assert_days_match(got: dict[str, tuple[int, float]], want: dict[str, tuple[int, int]]) -> None:
    assert sorted(got) == sorted(want)
    for start, (n, handle) in want.items():
        assert got[start][0] == n, start
        assert got[start][1] == pytest.approx(handle / n, abs=1e-6), start


World = tuple[Pipeline, list[dict[str, Any]]]


@pytest.fixture
def world(tmp_path: Path, database_url: str, broker: EmbeddedBroker) -> Iterator[World]:
    """The month counted with the mover's move already in the roster."""
    yield from running(tmp_path, database_url, broker, mover_moves=True)


@pytest.fixture
def unmoved_world(tmp_path: Path, database_url: str, broker: EmbeddedBroker) -> Iterator[World]:
    """The month counted before the roster learnt of the move."""
    yield from running(tmp_path, database_url, broker, mover_moves=False)


def running(
    tmp_path: Path, database_url: str, broker: EmbeddedBroker, mover_moves: bool
) -> Iterator[World]:
    settings = make_settings(tmp_path, database_url, broker.bootstrap)
    pipeline = Pipeline(settings)
    seed_roster(pipeline.container, teams_csv(), people_csv(mover_moves))
    pipeline.start("ingestor")
    events = calls()
    try:
        feed(pipeline, events)
        yield pipeline, events
    finally:
        pipeline.close()


def feed(pipeline: Pipeline, events: list[dict[str, Any]]) -> None:
    db = pipeline.container.db
    before = ingest_counters(db).get("accepted", 0)
    produce(
        pipeline.settings.kafka_bootstrap or "",
        topics_of(pipeline.settings).telephony,
        messages(events),
    )
    wait_until(lambda: ingest_counters(db).get("accepted", 0) >= before + len(events), timeout=120)


def rebuilt_differences(pipeline: Pipeline) -> list[str]:
    container = pipeline.container
    return rebuild(
        container.db,
        container.app,
        decode_archived,
        lambda *_: None,
        projections=("kpi",),
        check=True,
        roster=container.roster,
    ).differences


def test_beijing_and_berlin_days_equal_a_recomputation_at_local_midnight(
    world: World,
) -> None:
    pipeline, events = world
    client = pipeline.client()
    for team, zone in ZONES.items():
        named, got = got_days(client, team, **{"from": "2026-03-01", "to": "2026-04-01"})
        assert named == zone
        want = {
            k: v
            for k, v in expected_days(events, team, zone).items()
            if "2026-03-01" <= k[:10] < "2026-04-01"
        }
        assert len(want) == 31
        assert_days_match(got, want)
    # Berlin's 29 March has 23 hours: its days hold 92 quarter hours of calls per agent, not 96.
    _, berlin = got_days(client, "team-be", **{"from": "2026-03-28", "to": "2026-03-31"})
    assert [berlin[k][0] for k in sorted(berlin)] == [2 * 96, 2 * 92, 2 * 96]
    assert sorted(berlin) == [
        "2026-03-28T00:00:00+01:00",
        "2026-03-29T00:00:00+01:00",
        "2026-03-30T00:00:00+02:00",
    ]
    assert rebuilt_differences(pipeline) == []


def test_weeks_and_months_are_cut_at_the_team_s_local_midnight(
    world: World,
) -> None:
    pipeline, events = world
    client = pipeline.client()
    response = client.get("/v1/teams/team-bj/kpis", params={"bucket": "month"}, headers=ADMIN)
    months = {r["start"]: r["calls_handled"] for r in response.json()["rows"]}
    march = sum(
        n for k, (n, _) in expected_days(events, "team-bj", BEIJING).items() if k[:7] == "2026-03"
    )
    assert months["2026-03-01T00:00:00+08:00"] == march
    response = client.get("/v1/teams/team-be/kpis", params={"bucket": "week"}, headers=ADMIN)
    weeks = {r["start"]: r["calls_handled"] for r in response.json()["rows"]}
    # The ISO week holding the change starts on Monday 23 March in winter time.
    week = [
        n
        for k, (n, _) in expected_days(events, "team-be", BERLIN).items()
        if "2026-03-23" <= k[:10] <= "2026-03-29"
    ]
    assert len(week) == 7 and weeks["2026-03-23T00:00:00+01:00"] == sum(week)


def test_tz_asks_for_another_zone_and_an_unknown_zone_is_refused(
    world: World,
) -> None:
    pipeline, events = world
    client = pipeline.client()
    named, got = got_days(client, "team-bj", tz="UTC", **{"from": "2026-03-01", "to": "2026-04-01"})
    assert named == "UTC"
    want = {
        k: v
        for k, v in expected_days(events, "team-bj", "UTC").items()
        if "2026-03-01" <= k[:10] < "2026-04-01"
    }
    assert_days_match(got, want)
    named, got = got_days(
        client, "team-be", tz=BEIJING, **{"from": "2026-03-28", "to": "2026-03-31"}
    )
    assert named == BEIJING
    assert_days_match(
        got,
        {
            k: v
            for k, v in expected_days(events, "team-be", BEIJING).items()
            if "2026-03-28" <= k[:10] < "2026-03-31"
        },
    )
    for path in ("/v1/teams/team-bj/kpis", "/v1/agents/bj-1/kpis", "/v1/teams/team-bj/leaderboard"):
        response = client.get(path, params={"tz": "Mars/Olympus_Mons"}, headers=ADMIN)
        assert response.status_code == 422, (path, response.text)
        assert "tz" in response.text and "Mars/Olympus_Mons" in response.text


def test_the_mover_counts_for_berlin_before_the_move_and_beijing_after(
    world: World,
) -> None:
    pipeline, events = world
    client = pipeline.client()

    def board(team: str, start: str, end: str) -> dict[str, int]:
        response = client.get(
            f"/v1/teams/{team}/leaderboard",
            params={"kpi": "calls_handled", "from": start, "to": end},
            headers=ADMIN,
        )
        assert response.status_code == 200, response.text
        return {r["agent_id"]: r["value"] for r in response.json()["rows"]}

    before = board("team-be", "2026-03-01", MOVE_DAY.isoformat())
    after = board("team-bj", MOVE_DAY.isoformat(), "2026-04-01")
    assert before[MOVER] == sum(
        1
        for e in events
        if e["agent_id"] == MOVER
        and datetime(2026, 3, 1, tzinfo=ZoneInfo(BERLIN))
        <= datetime.fromisoformat(e["occurred_at"])
        < MOVED_AT
    )
    assert after[MOVER] == 4 * 24 * 16  # 16 March to 31 March, Beijing days
    assert MOVER not in board("team-bj", "2026-03-01", MOVE_DAY.isoformat())
    assert MOVER not in board("team-be", MOVE_DAY.isoformat(), "2026-04-01")
    # The agent's own days: cut in the zone of the team it is in now.
    response = client.get(
        f"/v1/agents/{MOVER}/kpis",
        params={"bucket": "day", "from": "2026-03-16", "to": "2026-03-18"},
        headers=ADMIN,
    )
    body = response.json()
    assert body["time_zone"] == BEIJING
    assert [(r["start"], r["calls_handled"]) for r in body["rows"]] == [
        ("2026-03-16T00:00:00+08:00", 96),
        ("2026-03-17T00:00:00+08:00", 96),
    ]


def test_a_telephony_team_that_disagrees_is_counted_for_the_roster_team_and_flagged(
    world: World,
) -> None:
    pipeline, events = world
    client = pipeline.client()
    response = client.get("/v1/telephony/team-mismatches", headers=ADMIN)
    assert response.status_code == 200, response.text
    rows = {
        (r["agent_id"], r["telephony_team"], r["roster_team"]): r["events"]
        for r in response.json()["rows"]
    }
    want: dict[tuple[str, str, str], int] = defaultdict(int)
    for e in events:
        team = roster_team(e["agent_id"], datetime.fromisoformat(e["occurred_at"]))
        if team != e["team_id"]:
            want[(e["agent_id"], e["team_id"], team)] += 1
    assert rows == dict(want)
    assert set(rows) == {("bj-2", "team-be", "team-bj"), (MOVER, "team-be", "team-bj")}
    # The team's KPI answer says how many of its events telephony filed elsewhere.
    answer = client.get("/v1/teams/team-bj/kpis", params={"bucket": "total"}, headers=ADMIN)
    assert answer.json()["telephony_team_mismatches"] == sum(want.values())
    answer = client.get("/v1/teams/team-be/kpis", params={"bucket": "total"}, headers=ADMIN)
    assert answer.json()["telephony_team_mismatches"] == 0
    # Counted for the roster's team: Beijing's days hold every bj-2 call (checked above, and
    # here, Berlin's do not).
    _, berlin = got_days(client, "team-be", **{"from": "2026-03-02", "to": "2026-03-03"})
    assert next(iter(berlin.values()))[0] == 3 * 96
    scoped = client.get(
        "/v1/telephony/team-mismatches",
        params={"team_id": "team-be"},
        headers=token("manager", "carol", "team-be"),
    )
    assert scoped.status_code == 200 and len(scoped.json()["rows"]) == 2
    refused = client.get(
        "/v1/telephony/team-mismatches", headers=token("manager", "carol", "team-be")
    )
    assert refused.status_code == 403


def test_goal_progress_counts_the_mover_s_days_in_each_team(world: World) -> None:
    pipeline, events = world
    pipeline.start("progress")
    client = pipeline.client()
    goals = {}
    for team in ("team-be", "team-bj"):
        response = client.post(
            "/v1/goals",
            json={
                "agent_id": MOVER,
                "team_id": team,
                "title": f"Calls in {team}",
                "description": "calls handled over March",
                "kpi": "calls_handled",
                "target": 1000,
                "direction": "at_least",
                "period_start": "2026-03-01",
                "period_end": "2026-03-31",
                "weight": 1,
            },
            headers=ADMIN,
        )
        assert response.status_code == 201, response.text
        goals[team] = uuid.UUID(response.json()["id"])
    in_berlin = sum(
        1
        for e in events
        if e["agent_id"] == MOVER
        and datetime(2026, 3, 1, tzinfo=ZoneInfo(BERLIN))
        <= datetime.fromisoformat(e["occurred_at"])
        < MOVED_AT
    )
    app = pipeline.container.app

    def values() -> dict[str, Any] | None:
        found: dict[str, Any] = {
            team: app.repository.get(goal).latest_value for team, goal in goals.items()
        }
        return found if None not in found.values() else None

    assert wait_until(values, timeout=60) == {"team-be": in_berlin, "team-bj": 96 * 16}
    # The explanation recomputes the same local days of the goal's team from the archive.
    explained = client.get(f"/v1/goals/{goals['team-bj']}/progress/1/explain", headers=ADMIN)
    assert explained.status_code == 200, explained.text
    body = explained.json()
    assert body["reproduced"] is True and body["recomputed"] == 96 * 16
    assert body["buckets"][0]["start"] == "2026-03-16T00:00:00+08:00"
    assert len(body["buckets"]) == 16


def test_a_backdated_move_re_attributes_counted_days_and_live_equals_a_rebuild(
    unmoved_world: World,
) -> None:
    pipeline, events = unmoved_world
    client = pipeline.client()
    _, before = got_days(client, "team-bj", **{"from": "2026-03-16", "to": "2026-03-17"})
    assert next(iter(before.values()))[0] == 2 * 96
    # The roster learns, on 1 April, that the mover joined Beijing on 16 March.
    seed_roster(pipeline.container, None, people_csv(mover_moves=True))
    late = calls()[:1]
    feed(pipeline, late)  # the next poll re-attributes before it counts
    for team, zone in ZONES.items():
        _, got = got_days(client, team)
        assert_days_match(got, expected_days([*events, *late], team, zone))
    assert rebuilt_differences(pipeline) == []
    # A team's zone changes too, and no event follows: the goal-progress worker's pass applies
    # the roster to what was counted.
    seed_roster(pipeline.container, teams_csv({"team-be": "Europe/London"}), None)
    pipeline.start("progress")
    span = {"from": "2026-03-02", "to": "2026-03-03"}

    def re_cut() -> tuple[str, dict[str, tuple[int, float]]] | None:
        found = got_days(client, "team-be", **span)
        return found if list(found[1]) == ["2026-03-02T00:00:00+00:00"] else None

    named, got = wait_until(re_cut, timeout=60)
    assert named == "Europe/London"
    assert next(iter(got.values()))[0] == 3 * 96  # the mover was in the team then
    assert rebuilt_differences(pipeline) == []
