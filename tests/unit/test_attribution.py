"""Local days, weeks and months per team's time zone, and the team an agent's event counts for."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from adapters.sql.kpi_attribution import RosterSnapshot, member_rows, moves
from engine.ports import Membership, RosterTeam
from engine.roster_index import RosterIndex
from projections.attribution import (
    AS_TELEPHONY_SAYS,
    INTERVAL_SECONDS,
    Attribution,
    UnknownZone,
    interval_index,
    is_zone,
    local_midnight,
    shown,
    starts,
    zone,
)
from projections.kpi import COUNTERS, SumsBatch, fold

BERLIN, BEIJING, KOLKATA = "Europe/Berlin", "Asia/Shanghai", "Asia/Kolkata"


def call(agent: str, team: str, at: datetime, n: int = 0) -> dict[str, Any]:
    return {
        "event_id": f"e-{agent}-{at.isoformat()}-{n}",
        "type": "call.completed",
        "agent_id": agent,
        "team_id": team,
        "occurred_at": at.isoformat(),
        "call_id": f"c-{agent}-{at.isoformat()}-{n}",
        "talk_seconds": 100,
        "hold_seconds": 10,
        "acw_seconds": 5,
        "transferred": False,
        "resolved_first_contact": True,
    }


def intervals_in_local_day(day: date, name: str) -> int:
    """Quarter hours in a local day, counted by walking UTC quarter hours (not our code)."""
    tz = ZoneInfo(name)
    at = datetime(day.year, day.month, day.day, tzinfo=tz).astimezone(UTC)
    count = 0
    while at.astimezone(tz).date() == day:
        count, at = count + 1, at + timedelta(seconds=INTERVAL_SECONDS)
    return count


@pytest.mark.parametrize(
    ("day", "hours"),
    [(date(2026, 3, 29), 23), (date(2026, 10, 25), 25), (date(2026, 3, 30), 24)],
)
def test_berlin_s_daylight_saving_days_have_23_or_25_hours(day: date, hours: int) -> None:
    first = local_midnight(day, BERLIN)
    following = local_midnight(day + timedelta(days=1), BERLIN)
    assert following - first == timedelta(hours=hours)
    assert intervals_in_local_day(day, BERLIN) == hours * 4
    # every interval of the local day starts that day and nothing else does
    index = interval_index(first)
    day_starts = {starts(first + timedelta(minutes=15 * i), BERLIN)[1] for i in range(hours * 4)}
    assert day_starts == {first}
    assert starts(following, BERLIN)[1] == following
    assert interval_index(following) - index == hours * 4


def test_beijing_days_start_at_sixteen_hundred_utc_the_day_before() -> None:
    at = datetime(2026, 3, 1, 15, 59, tzinfo=UTC)  # 23:59 in Beijing
    interval, day, week, month = starts(at, BEIJING)
    assert interval == datetime(2026, 3, 1, 15, 45, tzinfo=UTC)
    assert day == datetime(2026, 2, 28, 16, tzinfo=UTC)
    assert month == datetime(2026, 2, 28, 16, tzinfo=UTC)  # 1 March, Beijing
    assert week == datetime(2026, 3, 1, 16, tzinfo=UTC) - timedelta(days=7)  # Monday 23 Feb
    assert starts(at + timedelta(minutes=1), BEIJING)[1] == datetime(2026, 3, 1, 16, tzinfo=UTC)


def test_utc_is_the_zone_of_teams_the_roster_does_not_know() -> None:
    at = datetime(2026, 3, 1, 23, 59, tzinfo=UTC)
    assert starts(at)[1:] == (
        datetime(2026, 3, 1, tzinfo=UTC),
        datetime(2026, 2, 23, tzinfo=UTC),
        datetime(2026, 3, 1, tzinfo=UTC),
    )


def test_half_hour_offsets_keep_local_midnight_on_an_interval_boundary() -> None:
    midnight = local_midnight(date(2026, 3, 1), KOLKATA)
    assert midnight == datetime(2026, 2, 28, 18, 30, tzinfo=UTC)
    assert midnight.timestamp() % INTERVAL_SECONDS == 0


def test_a_start_is_shown_with_the_zone_s_offset_of_that_instant() -> None:
    assert shown("2026-03-28T23:00:00+00:00", BERLIN) == "2026-03-29T00:00:00+01:00"
    assert shown("2026-03-29T22:00:00+00:00", BERLIN) == "2026-03-30T00:00:00+02:00"


def test_unknown_zones_are_refused_by_name() -> None:
    assert is_zone(BEIJING) and is_zone("UTC")
    for bad in ("Mars/Olympus_Mons", "../../etc/passwd", ""):
        assert not is_zone(bad)
    with pytest.raises(UnknownZone, match="Mars"):
        zone("Mars/Olympus_Mons")


def test_no_roster_counts_as_telephony_says_in_utc() -> None:
    at = datetime(2026, 3, 1, 20, tzinfo=UTC)
    assert AS_TELEPHONY_SAYS.team("a", "t", at) == "t"
    assert AS_TELEPHONY_SAYS.zone_of("t") == "UTC"


def index_of(*memberships: Membership, beijing_zone: str = BEIJING) -> RosterIndex:
    teams = [
        RosterTeam("team-be", "Berlin", "berlin", BERLIN),
        RosterTeam("team-bj", "Beijing", "beijing", beijing_zone),
    ]
    return RosterIndex((), teams, (), memberships, 1)


MOVE = (
    Membership("m", "team-be", date(2026, 1, 1)),
    Membership("m", "team-bj", date(2026, 3, 16)),
)


def test_an_event_counts_for_the_roster_s_team_at_its_instant_and_its_day_in_that_zone() -> None:
    snapshot = RosterSnapshot(index_of(*MOVE))
    before = datetime(2026, 3, 15, 15, 59, tzinfo=UTC)
    after = datetime(2026, 3, 15, 16, 0, tzinfo=UTC)  # 16 March, 00:00 in Beijing
    sums = fold([call("m", "team-be", before), call("m", "team-be", after)], snapshot.attribution)
    days = {k: v["calls"] for k, v in sums.items() if k[2] == "day"}
    assert days == {
        ("agent", "m", "day", datetime(2026, 3, 14, 23, tzinfo=UTC)): 1,  # 15 March, Berlin
        ("team", "team-be", "day", datetime(2026, 3, 14, 23, tzinfo=UTC)): 1,
        ("agent", "m", "day", datetime(2026, 3, 15, 16, tzinfo=UTC)): 1,  # 16 March, Beijing
        ("team", "team-bj", "day", datetime(2026, 3, 15, 16, tzinfo=UTC)): 1,
    }


def test_the_ledger_keeps_telephony_s_team_beside_the_one_counted_for() -> None:
    snapshot = RosterSnapshot(index_of(*MOVE))
    batch = SumsBatch(snapshot.attribution)
    at = datetime(2026, 3, 20, 3, tzinfo=UTC)
    batch.add(call("m", "team-be", at))
    batch.add(call("stranger", "team-x", at))
    ledger = batch.ledger()
    assert ledger[("m", "team-be", interval_index(at))][0] == "team-bj"
    assert ledger[("stranger", "team-x", interval_index(at))][0] == "team-x"
    _, teams = batch.records_and_teams(("day",))
    assert teams[("agent", "m", "day", datetime(2026, 3, 19, 16, tzinfo=UTC))] == "team-bj"


def test_memberships_are_compared_as_instants_so_a_zone_change_is_a_change() -> None:
    agents = ["m", "nobody"]
    before = member_rows(RosterSnapshot(index_of(*MOVE)), agents)
    after = member_rows(RosterSnapshot(index_of(*MOVE, beijing_zone="Asia/Tokyo")), agents)
    assert "nobody" not in before
    assert before["m"][1] == "2026-03-15T16:00:00+00:00|team-bj"
    assert after["m"][1] == "2026-03-15T15:00:00+00:00|team-bj"


def ledger_row(agent: str, telephony: str, at: datetime, team: str, calls: int) -> dict[str, Any]:
    row: dict[str, Any] = {c: 0 for c in ("events", "calls", "handle_ms")}

    row = dict.fromkeys(COUNTERS, 0)
    row.update({"events": calls, "calls": calls, "handle_ms": 1000 * calls})
    return {
        "agent_id": agent,
        "telephony_team": telephony,
        "start": at.isoformat(),
        "team_id": team,
        **row,
    }


def test_a_backdated_move_takes_the_counted_intervals_from_one_team_to_the_other() -> None:
    now = RosterSnapshot(index_of(*MOVE))
    zones_before = {"team-be": BERLIN, "team-bj": BEIJING}
    moved_at = datetime(2026, 3, 20, 3, tzinfo=UTC)
    kept_at = datetime(2026, 3, 10, 3, tzinfo=UTC)
    rows = [
        ledger_row("m", "team-be", moved_at, "team-be", 2),
        ledger_row("m", "team-be", kept_at, "team-be", 3),
    ]
    old, new, moved = moves(rows, zones_before, now)
    assert moved == [("team-bj", "m", "team-be", moved_at.isoformat())]
    taken = {k: v["calls"] for k, v in old.records(("interval", "day")).items()}
    added = {k: v["calls"] for k, v in new.records(("interval", "day")).items()}
    assert taken[("team", "team-be", "day", datetime(2026, 3, 19, 23, tzinfo=UTC))] == -2
    assert added[("team", "team-bj", "day", datetime(2026, 3, 19, 16, tzinfo=UTC))] == 2
    # the agent's day moves from Berlin's cut to Beijing's; its interval stays where it is
    assert taken[("agent", "m", "day", datetime(2026, 3, 19, 23, tzinfo=UTC))] == -2
    assert added[("agent", "m", "day", datetime(2026, 3, 19, 16, tzinfo=UTC))] == 2
    assert taken[("agent", "m", "interval", moved_at)] == -2
    assert added[("agent", "m", "interval", moved_at)] == 2


def test_a_zone_change_recuts_days_without_moving_teams() -> None:
    now = RosterSnapshot(index_of(Membership("b", "team-bj", date(2026, 1, 1)), beijing_zone="UTC"))
    at = datetime(2026, 3, 20, 20, tzinfo=UTC)
    old, new, moved = moves(
        [ledger_row("b", "team-bj", at, "team-bj", 1)], {"team-bj": BEIJING}, now
    )
    assert moved == [("team-bj", "b", "team-bj", at.isoformat())]
    assert {k for k, v in old.records(("day",)).items() if v["calls"]} == {
        ("agent", "b", "day", datetime(2026, 3, 20, 16, tzinfo=UTC)),
        ("team", "team-bj", "day", datetime(2026, 3, 20, 16, tzinfo=UTC)),
    }
    assert {k for k, v in new.records(("day",)).items() if v["calls"]} == {
        ("agent", "b", "day", datetime(2026, 3, 20, tzinfo=UTC)),
        ("team", "team-bj", "day", datetime(2026, 3, 20, tzinfo=UTC)),
    }


def test_an_unchanged_row_does_not_move() -> None:
    now = RosterSnapshot(index_of(*MOVE))
    at = datetime(2026, 3, 10, 3, tzinfo=UTC)
    _, _, moved = moves(
        [ledger_row("m", "team-be", at, "team-be", 1)],
        {"team-be": BERLIN, "team-bj": BEIJING},
        now,
    )
    assert moved == []


def test_an_attribution_is_two_plain_functions() -> None:
    custom = Attribution(
        lambda agent, at: "roster-team" if agent == "a" else None, lambda t: BERLIN
    )
    at = datetime(2026, 3, 1, tzinfo=UTC)
    assert custom.team("a", "tel", at) == "roster-team"
    assert custom.team("b", "tel", at) == "tel"
