"""The roster read model on SQLite and PostgreSQL: fed from the event store, current at once in
every process sharing the database, rebuilt equal to live, and in the audit trail."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from adapters.sql.documents_view import DocView
from adapters.sql.parked import ParkedView
from adapters.sql.rebuilder import rebuild
from adapters.telephony.ingestor import decode_archived
from aggregates.contract import decode, encode
from aggregates.roster import person_uuid, team_uuid
from engine.bootstrap import Container, build
from engine.commands import SetGoal
from engine.roster_csv import parse_people, parse_teams
from engine.roster_index import RosterIndex
from engine.roster_plan import plan
from engine.settings import Settings
from engine.tokens import Principal
from projections.store import EventProjection
from tests.fakes import roster_from_csv
from tests.support import example_roster, make_settings, seed_roster, stored_since

PEOPLE = "person_id,display_name,email,role,team_id,manages,effective_from\n"
MOVE_MAX = PEOPLE + "max,Max Manager,max@example.com,manager,,team-04,\n"


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return make_settings(tmp_path, database_url, None)


@pytest.fixture
def two(settings: Settings) -> Iterator[tuple[Container, Container]]:
    """Two containers on one database: two processes of perfledger."""
    first, second = build(settings), build(settings)
    try:
        yield first, second
    finally:
        first.close()
        second.close()


def test_a_roster_change_counts_at_once_in_another_process(
    two: tuple[Container, Container],
) -> None:
    importer, reader = two
    assert reader.roster.person("max") is None and reader.roster.version() == 0
    seed_roster(importer)
    assert reader.roster.managed_teams("max") == ("team-03",)
    assert reader.roster.version() == importer.roster.version() > 0
    seed_roster(importer, None, MOVE_MAX)
    # No waiting: the reader's next question sees the move.
    assert reader.roster.managed_teams("max") == ("team-04",)
    assert reader.roster.team("team-03").managers == ()  # type: ignore[union-attr]


def test_the_version_moves_only_when_the_roster_changes(two: tuple[Container, Container]) -> None:
    importer, reader = two
    seed_roster(importer)
    version = reader.roster.version()
    importer.app.set_goal(
        SetGoal(
            agent_id="agent-0001",
            team_id="team-01",
            title="AHT",
            kpi="aht_seconds",
            target=300.0,
            direction="at_most",
            period_start=date(2026, 7, 1),
            period_end=date(2026, 10, 1),
        ),
        "manager:mei",
    )
    seed_roster(importer)  # the same files: no change
    assert reader.roster.version() == version
    seed_roster(importer, None, MOVE_MAX)
    assert reader.roster.version() > version


def test_concurrent_catch_ups_in_two_processes_give_one_roster(
    two: tuple[Container, Container],
) -> None:
    first, second = two
    # Stored without catching up, so that both processes find the events new at once.
    teams, people = example_roster()
    changes, problems = plan(
        parse_teams(teams.encode(), 10**6).rows,
        parse_people(people.encode(), 10**6).rows,
        RosterIndex(),
    )
    assert problems == []
    first.app.apply_roster(changes, "admin:ada")
    errors: list[BaseException] = []

    def catch_up(container: Container) -> None:
        try:
            container.roster.catch_up()
        except BaseException as error:  # noqa: BLE001 - reported by the assertion below
            errors.append(error)

    threads = [threading.Thread(target=catch_up, args=(c,)) for c in (first, second) * 3]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    expected = roster_from_csv(*example_roster())
    for container in (first, second):
        roster = container.roster
        assert roster.people() == expected.people()
        assert roster.teams() == expected.teams()
        assert roster.memberships("agent-0005") == expected.memberships("agent-0005")
        assert roster.version() == first.app.recorder.max_notification_id()


def test_a_rebuild_equals_live_and_repairs_a_damaged_model(settings: Settings) -> None:
    container = build(settings)
    try:
        seed_roster(container)
        seed_roster(container, None, MOVE_MAX)

        def check() -> list[str]:
            return rebuild(
                container.db, container.app, decode_archived, lambda *_: None, ("roster",), True
            ).differences

        assert check() == []
        with container.db.transaction() as cur:
            cur.execute("DELETE FROM roster_memberships WHERE person_id = 'agent-0005'")
        found = check()
        assert found[0] == "roster_memberships: 2 row(s) only rebuilt"
        outcome = rebuild(container.db, container.app, decode_archived, lambda *_: None)
        assert outcome.differences == [] and outcome.roster == container.roster.version()
        assert check() == []
    finally:
        container.close()
    fresh = build(settings)
    try:
        assert [m.team_id for m in fresh.roster.memberships("agent-0005")] == [
            "team-01",
            "team-02",
        ]
        assert fresh.roster.managed_teams("max") == ("team-04",)
    finally:
        fresh.close()


def test_roster_events_travel_and_show_in_the_audit_trail_like_any_other(
    settings: Settings,
) -> None:
    container = build(settings)
    try:
        seed_roster(container, None, None, actor="ada")
        seed_roster(container, None, MOVE_MAX, actor="ada")
        envelopes, _ = stored_since(container.app, 0)
        assert all(decode(encode(e)) == e for e in envelopes)  # as the relay sends them
        with container.db.transaction() as cur:  # as the projector applies them
            EventProjection(DocView(), ParkedView()).apply(cur, envelopes)
        auditor = Principal("auditor", "audrey")
        trail = container.services.audit.events(auditor, str(person_uuid("agent-0005")))
        assert [(row["type"], row["actor"]) for row in trail] == [
            ("Person.Registered", "admin:ada"),
            ("Person.TeamJoined", "admin:ada"),
            ("Person.TeamJoined", "admin:ada"),
        ]
        team = container.services.audit.events(auditor, str(team_uuid("team-03")))
        assert [row["data"].get("after") for row in team if row["type"].endswith("Changed")] == [
            ["max"],
            [],
        ]
    finally:
        container.close()


def test_an_import_loads_each_changed_aggregate_once_and_nothing_unchanged(
    settings: Settings,
) -> None:
    container = build(settings)
    try:
        seed_roster(container)
        loads: Counter[str] = Counter()
        get = container.app.repository.get

        def counting(aggregate_id: Any, *args: Any, **kwargs: Any) -> Any:
            loads[str(aggregate_id)] += 1
            return get(aggregate_id, *args, **kwargs)

        container.app.repository.get = counting  # type: ignore[method-assign]
        seed_roster(container)
        assert loads == Counter()
        seed_roster(container, None, MOVE_MAX)  # max, team-03 and team-04 change
        assert loads == Counter(
            {str(person_uuid("max")): 1, str(team_uuid("team-03")): 1, str(team_uuid("team-04")): 1}
        )
    finally:
        container.close()
