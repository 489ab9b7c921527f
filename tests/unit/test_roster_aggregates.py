"""The roster's aggregates: derived ids, effective-dated memberships, no-op changes, refusals."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from aggregates.errors import InvalidValue
from aggregates.roster import (
    ROLES,
    Person,
    Site,
    Team,
    person_uuid,
    site_uuid,
    team_uuid,
)
from engine.ports import ROSTER_ROLES
from engine.roster_csv import PersonRow

ACTOR = "admin:ada"


def agent(person_id: str = "agent-1", **more: Any) -> Person:
    fields: dict[str, Any] = {
        "display_name": "Li Wei",
        "email": "li@example.com",
        "role": "agent",
        "external_id": "",
        "manages": [],
        "actor": ACTOR,
    }
    fields.update(more)
    return Person(person_id=person_id, **fields)


def names(aggregate: Any) -> list[str]:
    return [type(e).__name__ for e in aggregate.collect_events()]


def test_ids_are_derived_from_roster_ids_so_a_retried_create_names_the_same_aggregate() -> None:
    assert agent("agent-1").id == agent("agent-1").id == person_uuid("agent-1")
    assert agent("agent-2").id != person_uuid("agent-1")
    team = Team(team_id="t1", name="T", site_id="s", time_zone="UTC", actor=ACTOR)
    assert team.id == team_uuid("t1")
    assert Site(site_id="s", name="S", time_zone="UTC", actor=ACTOR).id == site_uuid("s")
    # The three kinds never share an id, even for the same text.
    assert len({person_uuid("x"), team_uuid("x"), site_uuid("x")}) == 3


def test_the_same_membership_again_is_no_change_and_a_later_date_is_a_move() -> None:
    person = agent()
    assert person.join(team_id="t1", effective_from=date(2026, 1, 1), actor=ACTOR)
    assert not person.join(team_id="t1", effective_from=date(2026, 1, 1), actor=ACTOR)
    assert person.join(team_id="t2", effective_from=date(2026, 11, 16), actor=ACTOR)
    assert names(person) == ["Registered", "TeamJoined", "TeamJoined"]
    assert [(m["team_id"], m["effective_from"]) for m in person.memberships] == [
        ("t1", date(2026, 1, 1)),
        ("t2", date(2026, 11, 16)),
    ]


def test_another_team_on_the_same_date_corrects_that_dates_team() -> None:
    person = agent()
    person.join(team_id="t2", effective_from=date(2026, 3, 1), actor=ACTOR)
    person.join(
        team_id="t1", effective_from=date(2026, 1, 1), actor=ACTOR
    )  # earlier: kept in order
    person.join(team_id="t3", effective_from=date(2026, 3, 1), actor=ACTOR)
    assert [m["team_id"] for m in person.memberships] == ["t1", "t3"]


def test_changes_that_change_nothing_record_nothing() -> None:
    person = agent()
    person.collect_events()
    assert not person.update_details(
        display_name="Li Wei", email="li@example.com", external_id="", actor=ACTOR
    )
    assert not person.change_role(role="agent", actor=ACTOR)
    assert not person.set_manages(manages=[], actor=ACTOR)
    assert person.collect_events() == []
    assert person.change_role(role="manager", actor=ACTOR)
    assert person.set_manages(manages=["t1"], actor=ACTOR)
    assert names(person) == ["RoleChanged", "ManagesChanged"]


def test_every_roster_event_names_its_actor() -> None:
    person = agent()
    person.join(team_id="t1", effective_from=date(2026, 1, 1), actor="admin:bob")
    person.update_details(
        display_name="Wei Li", email="li@example.com", external_id="", actor=ACTOR
    )
    team = Team(team_id="t1", name="T", site_id="s", time_zone="Asia/Shanghai", actor=ACTOR)
    team.set_managers(managers=["m2", "m1", "m1"], actor=ACTOR)
    events = [*person.collect_events(), *team.collect_events()]
    assert [e.actor for e in events] == [ACTOR, "admin:bob", ACTOR, ACTOR, ACTOR]  # type: ignore[attr-defined]
    assert team.managers == ["m1", "m2"]


def test_a_team_keeps_its_managers_sorted_and_says_when_they_did_not_change() -> None:
    team = Team(team_id="t1", name="T", site_id="s", time_zone="Europe/Berlin", actor=ACTOR)
    assert team.set_managers(managers=["b", "a"], actor=ACTOR)
    assert not team.set_managers(managers=["a", "b"], actor=ACTOR)
    assert team.update(name="T2", site_id="s", time_zone="Europe/Berlin", actor=ACTOR)
    assert not team.update(name="T2", site_id="s", time_zone="Europe/Berlin", actor=ACTOR)


@pytest.mark.parametrize("zone", ["Mars/Olympus", "", "../../etc/passwd", "localtime", "+08:00"])
def test_a_time_zone_must_be_an_iana_name(zone: str) -> None:
    with pytest.raises(InvalidValue) as refused:
        Team(team_id="t1", name="T", site_id="s", time_zone=zone, actor=ACTOR)
    assert refused.value.field == "time_zone"
    with pytest.raises(InvalidValue):
        Site(site_id="s", name="S", time_zone=zone, actor=ACTOR)


def test_a_role_must_be_a_roster_role() -> None:
    with pytest.raises(InvalidValue) as refused:
        agent(role="ingest")
    assert refused.value.field == "role"
    with pytest.raises(InvalidValue):
        agent().change_role(role="superuser", actor=ACTOR)


@pytest.mark.parametrize("person_id", ["", " agent", "agent\n1", "a\x00"])
def test_an_id_must_be_printable_text(person_id: str) -> None:
    with pytest.raises(InvalidValue):
        agent(person_id)


def test_the_roles_are_the_ports_roles_everywhere() -> None:
    assert ROLES == ROSTER_ROLES
    annotation = PersonRow.model_fields["role"].annotation
    assert set(annotation.__args__) == set(ROSTER_ROLES)  # type: ignore[union-attr]
