"""The KPI service names the zone its days are cut in, reads dates in it, and refuses bad zones."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest

from aggregates.errors import InvalidValue
from engine.ports import Membership, RosterTeam
from engine.roster_index import RosterIndex
from engine.services.kpis import KpiService, as_utc, cursor_utc
from engine.tokens import Principal
from tests.fakes import FakeKpiFigures, FakeReadModels

ADMIN = Principal("admin", "alice")
BEIJING = "Asia/Shanghai"


def call(agent: str, at: datetime) -> dict[str, Any]:
    return {
        "event_id": f"{agent}-{at.isoformat()}",
        "type": "call.completed",
        "agent_id": agent,
        "team_id": "team-bj",
        "occurred_at": at,
        "call_id": f"{agent}-{at.isoformat()}",
        "talk_seconds": 60,
        "hold_seconds": 0,
        "acw_seconds": 0,
        "transferred": False,
        "resolved_first_contact": True,
        "schema_version": 1,
    }


@pytest.fixture
def service() -> KpiService:
    models = FakeReadModels()
    # 23:30 and 00:30 in Beijing on either side of its midnight; one UTC day.
    models.accept(
        [
            call("bj-1", datetime(2026, 3, 1, 15, 30, tzinfo=UTC)),
            call("bj-1", datetime(2026, 3, 1, 16, 30, tzinfo=UTC)),
        ]
    )
    roster = RosterIndex(
        (),
        [RosterTeam("team-bj", "Beijing", "beijing", BEIJING)],
        (),
        [Membership("bj-1", "team-bj", date(2026, 1, 1))],
        1,
    )
    return KpiService(FakeKpiFigures(models), roster)


def days(answer: dict[str, Any]) -> list[tuple[str, int]]:
    return [(r["start"], r["calls_handled"]) for r in answer["rows"]]


def test_a_team_s_days_are_its_local_days_and_the_answer_names_the_zone(
    service: KpiService,
) -> None:
    answer = service.team(ADMIN, "team-bj", None, None, "day", 10, None, None)
    assert answer["time_zone"] == BEIJING
    assert days(answer) == [("2026-03-01T00:00:00+08:00", 1), ("2026-03-02T00:00:00+08:00", 1)]
    utc = service.team(ADMIN, "team-bj", None, None, "day", 10, None, None, tz="UTC")
    assert utc["time_zone"] == "UTC" and days(utc) == [("2026-03-01T00:00:00+00:00", 2)]


def test_dates_are_read_as_local_midnight_of_the_zone_asked_for(service: KpiService) -> None:
    second = service.team(
        ADMIN, "team-bj", date(2026, 3, 2), date(2026, 3, 3), "day", 10, None, None
    )
    assert days(second) == [("2026-03-02T00:00:00+08:00", 1)]
    assert as_utc(date(2026, 3, 2), BEIJING) == "2026-03-01T16:00:00+00:00"
    assert as_utc(datetime(2026, 3, 2, 0, 0), BEIJING) == "2026-03-01T16:00:00+00:00"


def test_a_cursor_shown_with_an_offset_pages_on(service: KpiService) -> None:
    first = service.agent(ADMIN, "bj-1", None, None, "day", 1, None, None)
    assert first["time_zone"] == BEIJING and first["next_cursor"] == "2026-03-01T00:00:00+08:00"
    rest = service.agent(ADMIN, "bj-1", None, None, "day", 1, first["next_cursor"], None)
    assert days(rest) == [("2026-03-02T00:00:00+08:00", 1)]
    assert cursor_utc("2026-03-01T00:00:00+08:00") == "2026-02-28T16:00:00+00:00"


@pytest.mark.parametrize("bad", ["Mars/Olympus_Mons", "../../etc/passwd", "Not a zone"])
def test_an_unknown_zone_is_an_invalid_tz(service: KpiService, bad: str) -> None:
    with pytest.raises(InvalidValue) as refused:
        service.team(ADMIN, "team-bj", None, None, "day", 10, None, None, tz=bad)
    assert refused.value.field == "tz"
    with pytest.raises(InvalidValue) as refused:
        service.agent(ADMIN, "bj-1", None, None, "day", 10, None, None, tz=bad)
    assert refused.value.field == "tz"
    with pytest.raises(InvalidValue) as refused:
        service.leaderboard(ADMIN, "team-bj", "calls_handled", None, None, None, 10, None, tz=bad)
    assert refused.value.field == "tz"


def test_a_cursor_that_is_no_bucket_start_is_refused(service: KpiService) -> None:
    with pytest.raises(InvalidValue) as refused:
        service.team(ADMIN, "team-bj", None, None, "day", 10, "yesterday", None)
    assert refused.value.field == "cursor"
