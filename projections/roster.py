"""The roster read model's rows: a pure function from a roster event to the row of its aggregate.

Rows are plain dicts keyed by the aggregate id; a person's row also holds its memberships
({local date: team id}). Every event sets values outright, so applying an event again over
the row it produced gives the same row: the version guard in `apply_roster` only saves work.
"""

from __future__ import annotations

from typing import Any

from aggregates.contract import EventEnvelope

Row = dict[str, Any]
KINDS = ("Person", "Team", "Site")


def roster_row(row: Row | None, event: EventEnvelope) -> Row:
    """The row of the event's aggregate after it (row is None before its Registered event)."""
    kind, _, name = event.type.partition(".")
    data = event.data
    if name == "Registered":
        return registered(kind, event)
    if row is None:
        raise ValueError(f"{event.type} for {event.id} before {kind}.Registered")
    new = dict(row, version=event.version)
    if event.type == "Person.DetailsChanged":
        new.update(
            display_name=data["display_name"], email=data["email"], external_id=data["external_id"]
        )
    elif event.type == "Person.RoleChanged":
        new["role"] = data["after"]
    elif event.type == "Person.ManagesChanged":
        new["manages"] = list(data["after"])
    elif event.type == "Person.TeamJoined":
        new["memberships"] = {**row["memberships"], data["effective_from"]: data["team_id"]}
    elif event.type == "Team.Changed":
        new.update(name=data["name"], site_id=data["site_id"], time_zone=data["time_zone"])
    elif event.type == "Team.ManagersChanged":
        new["managers"] = list(data["after"])
    elif event.type == "Site.Changed":
        new.update(name=data["name"], time_zone=data["time_zone"])
    else:
        raise ValueError(f"unknown roster event {event.type}")
    return new


def registered(kind: str, event: EventEnvelope) -> Row:
    """The first row of a person, team or site."""
    data = event.data
    head = {"id": event.id, "version": event.version}
    if kind == "Person":
        return {
            **head,
            "person_id": data["person_id"],
            "display_name": data["display_name"],
            "email": data["email"],
            "role": data["role"],
            "external_id": data["external_id"],
            "manages": list(data["manages"]),
            "memberships": {},
        }
    if kind == "Team":
        return {
            **head,
            "team_id": data["team_id"],
            "name": data["name"],
            "site_id": data["site_id"],
            "time_zone": data["time_zone"],
            "managers": [],
        }
    if kind == "Site":
        return {
            **head,
            "site_id": data["site_id"],
            "name": data["name"],
            "time_zone": data["time_zone"],
        }
    raise ValueError(f"unknown roster event {event.type}")


def apply_roster(rows: dict[str, Row], events: list[EventEnvelope]) -> set[str]:
    """Applies events in order to the rows (by aggregate id); returns the ids of changed rows.

    An event at or below the version a row holds was applied already and is skipped.
    """
    changed: set[str] = set()
    for event in events:
        if event.kind not in KINDS:
            continue
        row = rows.get(event.id)
        if row is not None and event.version <= int(row["version"]):
            continue
        rows[event.id] = roster_row(row, event)
        changed.add(event.id)
    return changed
