"""The roster's rows from its events: each event sets values outright, a repeat changes nothing."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from aggregates.contract import EventEnvelope, envelope_of
from aggregates.roster import Person, Team
from projections.roster import apply_roster, roster_row

ACTOR = "admin:ada"


def envelopes(*aggregates: object) -> list[EventEnvelope]:
    found: list[EventEnvelope] = []
    for aggregate in aggregates:
        for event in aggregate.collect_events():  # type: ignore[attr-defined]
            topic = f"aggregates.roster:{type(event).__qualname__}"
            found.append(envelope_of(len(found) + 1, topic, vars(event)))
    return found


def test_a_persons_row_follows_its_events() -> None:
    person = Person(
        person_id="agent-0005",
        display_name="Wang Fang",
        email="wang.fang@example.com",
        role="agent",
        external_id="",
        manages=[],
        actor=ACTOR,
    )
    person.join(team_id="team-01", effective_from=date(2026, 1, 1), actor=ACTOR)
    person.join(team_id="team-02", effective_from=date(2026, 11, 16), actor=ACTOR)
    person.change_role(role="manager", actor=ACTOR)
    person.set_manages(manages=["team-02"], actor=ACTOR)
    rows: dict[str, dict[str, object]] = {}
    events = envelopes(person)
    assert apply_roster(rows, events) == {str(person.id)}
    row = rows[str(person.id)]
    assert row["memberships"] == {"2026-01-01": "team-01", "2026-11-16": "team-02"}
    assert (row["role"], row["manages"], row["version"]) == ("manager", ["team-02"], 5)
    # Applied again (a re-feed): nothing changes, nothing is reported changed.
    assert apply_roster(rows, events) == set()
    assert rows[str(person.id)] == row


def test_a_teams_row_keeps_its_managers_and_other_kinds_are_ignored() -> None:
    team = Team(team_id="t1", name="One", site_id="bj", time_zone="Asia/Shanghai", actor=ACTOR)
    team.set_managers(managers=["mei"], actor=ACTOR)
    team.update(name="Uno", site_id="bj", time_zone="Asia/Shanghai", actor=ACTOR)
    events = envelopes(team)
    goal = replace(events[0], id="g1", type="Goal.Set", topic="aggregates.goal:Goal.Set")
    rows: dict[str, dict[str, object]] = {}
    apply_roster(rows, [*events, goal])
    assert list(rows) == [str(team.id)]
    assert (rows[str(team.id)]["name"], rows[str(team.id)]["managers"]) == ("Uno", ["mei"])


def test_a_change_before_its_registration_is_refused() -> None:
    team = Team(team_id="t1", name="One", site_id="bj", time_zone="UTC", actor=ACTOR)
    team.set_managers(managers=["mei"], actor=ACTOR)
    changed = envelopes(team)[1]
    with pytest.raises(ValueError, match=r"before Team\.Registered"):
        roster_row(None, changed)
