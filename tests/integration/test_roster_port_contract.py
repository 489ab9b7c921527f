"""The Roster port's contract (engine/ports.py), run against a RosterIndex built directly from the
example roster's lines and against the SQL read model (adapters/sql/roster_view.py) that importing
the same files gives, on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from engine.bootstrap import build
from engine.ports import Membership, Roster, RosterPerson, RosterSite, RosterTeam
from engine.roster_index import RosterIndex
from tests.support import example_roster, make_settings, seed_roster


def directly() -> RosterIndex:
    """The example roster read with the csv module alone: no aggregates, no projection."""
    teams_text, people_text = example_roster()
    teams = list(csv.DictReader(io.StringIO(teams_text)))
    lines = list(csv.DictReader(io.StringIO(people_text)))
    site_of = {t["team_id"]: t["site"] for t in teams}
    managers: dict[str, list[str]] = {}
    for line in lines:
        if line["role"] == "manager":
            for team in filter(None, line["manages"].split(";")):
                managers.setdefault(team, []).append(line["person_id"])
    people = {
        line["person_id"]: RosterPerson(
            line["person_id"],
            line["display_name"],
            line["email"],
            line["role"],
            "",
            tuple(sorted({site_of[t] for t in filter(None, line["manages"].split(";"))}))
            if line["role"] == "director"
            else (),
            tuple(filter(None, line["manages"].split(";"))),
        )
        for line in lines
    }
    return RosterIndex(
        people.values(),
        [
            RosterTeam(
                t["team_id"],
                t["name"],
                t["site"],
                t["time_zone"],
                tuple(sorted(managers.get(t["team_id"], []))),
            )
            for t in teams
        ],
        {t["site"]: RosterSite(t["site"], t["site"], t["time_zone"]) for t in teams}.values(),
        [
            Membership(
                line["person_id"], line["team_id"], date.fromisoformat(line["effective_from"])
            )
            for line in lines
            if line["team_id"]
        ],
        version=1,
    )


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


class RosterContract:
    """What every Roster answers of the example roster."""

    def test_a_person_by_id_by_email_whatever_its_case_and_by_external_id(
        self, roster: Roster
    ) -> None:
        wang = roster.person("agent-0005")
        assert wang is not None
        assert (wang.display_name, wang.email, wang.role) == (
            "Wang Fang",
            "wang.fang@example.com",
            "agent",
        )
        assert roster.person_by_email("Wang.Fang@EXAMPLE.com") == wang
        assert roster.person("nobody") is None
        assert roster.person_by_email("nobody@example.com") is None
        assert roster.person_by_external_id("") is None
        assert roster.person_by_external_id("hr-1") is None

    def test_teams_sites_and_people_in_id_order(self, roster: Roster) -> None:
        assert [t.team_id for t in roster.teams()] == ["team-01", "team-02", "team-03", "team-04"]
        assert [s.site_id for s in roster.sites()] == ["beijing", "berlin"]
        ids = [p.person_id for p in roster.people()]
        assert ids == sorted(ids) and len(ids) == 16
        assert roster.team("team-01") == RosterTeam(
            "team-01", "Beijing Inbound", "beijing", "Asia/Shanghai", ("mei",)
        )
        assert roster.site("berlin") == RosterSite("berlin", "berlin", "Europe/Berlin")
        assert roster.team("team-99") is None
        assert roster.site("paris") is None

    def test_memberships_hold_from_local_midnight_of_their_date(self, roster: Roster) -> None:
        assert roster.memberships("agent-0005") == [
            Membership("agent-0005", "team-01", date(2026, 1, 1)),
            Membership("agent-0005", "team-02", date(2026, 11, 16)),
        ]
        assert roster.memberships("ada") == []
        # Beijing's midnight is 16:00 UTC the day before; Berlin's 23:00 in winter.
        assert roster.team_at("agent-0005", at("2025-12-31T15:59:59")) is None
        assert roster.team_at("agent-0005", at("2025-12-31T16:00:00")) == "team-01"
        assert roster.team_at("agent-0005", at("2026-11-15T15:59:59")) == "team-01"
        assert roster.team_at("agent-0005", at("2026-11-15T16:00:00")) == "team-02"
        assert roster.team_at("agent-0003", at("2025-12-31T22:59:59")) is None
        assert roster.team_at("agent-0003", at("2025-12-31T23:00:00")) == "team-03"
        assert roster.team_at("nobody", at("2026-06-01T00:00:00")) is None

    def test_members_of_a_team_at_an_instant(self, roster: Roster) -> None:
        assert roster.members("team-01", at("2026-11-01T00:00:00")) == ["agent-0001", "agent-0005"]
        assert roster.members("team-01", at("2026-11-20T00:00:00")) == ["agent-0001"]
        assert roster.members("team-02", at("2026-11-20T00:00:00")) == [
            "agent-0002",
            "agent-0005",
            "agent-0006",
        ]
        assert roster.members("team-99", at("2026-11-20T00:00:00")) == []

    def test_managers_manage_the_teams_their_line_names(self, roster: Roster) -> None:
        assert roster.managed_teams("mei") == ("team-01",)
        assert roster.managed_teams("lena") == ("team-04",)
        assert roster.managed_teams("agent-0001") == ()
        assert roster.managed_teams("dirk") == ()  # a director reads, manages nothing

    def test_a_directors_sites_are_those_of_the_teams_named(self, roster: Roster) -> None:
        dirk, dora = roster.person("dirk"), roster.person("dora")
        assert dirk is not None and dora is not None
        assert (dirk.sites, dirk.manages) == (("berlin",), ("team-03", "team-04"))
        assert (dora.sites, dora.manages) == ((), ())  # the whole centre

    def test_names_of_people_teams_and_sites(self, roster: Roster) -> None:
        assert roster.names(["agent-0005", "team-01", "beijing", "nobody"]) == {
            "agent-0005": "Wang Fang",
            "team-01": "Beijing Inbound",
            "beijing": "beijing",
        }


class TestRosterIndexBuiltDirectly(RosterContract):
    @pytest.fixture
    def roster(self) -> Roster:
        return directly()


class TestSqlRoster(RosterContract):
    @pytest.fixture
    def roster(self, tmp_path: Path, database_url: str) -> Iterator[Roster]:
        container = build(make_settings(tmp_path, database_url, None))
        try:
            seed_roster(container)
            yield container.roster
        finally:
            container.close()
