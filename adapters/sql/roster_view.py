"""The roster read model: people, teams, sites and memberships, fed from the event store itself.

Scope and tokens read the roster at request time, and a moved manager must count at once in
every process: so this model is not fed through Kafka but straight from the event store's
notification log. `SqlRoster.catch_up` applies the roster's notifications after the position
it stored, storing the new position in the same transaction; every read first asks the event
store for its newest notification id (one cheap query) and catches up only when that moved
and a roster event is among the new ones. Several processes share the tables: the position
row is taken under the write lock, so each notification is applied once. The answers come
from an in-memory RosterIndex, reloaded whenever the roster's version (the notification id of
the last roster event applied) moves. This module is the only one that names the tables.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from adapters.sql.database import Cursor, Database
from adapters.sql.tables import TableSet
from aggregates.contract import envelope_of
from aggregates.roster import ROSTER_AGGREGATES
from engine.ports import Membership, RosterPerson, RosterSite, RosterTeam
from engine.roster_index import RosterIndex
from projections.roster import Row, apply_roster

BATCH = 5000
CHUNK = 500
POSITION = "roster"


def roster_topics() -> tuple[str, ...]:
    """The event-store topics of every roster event."""
    from eventsourcing.utils import get_topic

    return tuple(
        get_topic(value)
        for aggregate in ROSTER_AGGREGATES
        for name, value in vars(aggregate).items()
        if isinstance(value, type)
        and issubclass(value, aggregate.Event)
        and name not in ("Event", "Created")
    )


TOPICS = roster_topics()


@dataclass(frozen=True)
class RosterTables(TableSet):
    """The roster's tables: people, teams, sites, memberships, and the position applied."""

    @property
    def people(self) -> str:
        return self.named("roster_people")

    @property
    def teams(self) -> str:
        return self.named("roster_teams")

    @property
    def sites(self) -> str:
        return self.named("roster_sites")

    @property
    def memberships(self) -> str:
        return self.named("roster_memberships")

    @property
    def position(self) -> str:
        return self.named("roster_position")

    def tables(self) -> tuple[str, ...]:
        return (self.people, self.teams, self.sites, self.memberships, self.position)

    def ddl(self) -> list[str]:
        return [
            f"""CREATE TABLE IF NOT EXISTS {self.people} (
        id TEXT PRIMARY KEY, person_id TEXT NOT NULL, version INTEGER NOT NULL,
        display_name TEXT NOT NULL, email TEXT NOT NULL, role TEXT NOT NULL,
        external_id TEXT NOT NULL, manages TEXT NOT NULL)""",
            f"""CREATE TABLE IF NOT EXISTS {self.teams} (
        id TEXT PRIMARY KEY, team_id TEXT NOT NULL, version INTEGER NOT NULL, name TEXT NOT NULL,
        site_id TEXT NOT NULL, time_zone TEXT NOT NULL, managers TEXT NOT NULL)""",
            f"""CREATE TABLE IF NOT EXISTS {self.sites} (
        id TEXT PRIMARY KEY, site_id TEXT NOT NULL, version INTEGER NOT NULL, name TEXT NOT NULL,
        time_zone TEXT NOT NULL)""",
            f"""CREATE TABLE IF NOT EXISTS {self.memberships} (
        person_id TEXT NOT NULL, effective_from TEXT NOT NULL, team_id TEXT NOT NULL,
        PRIMARY KEY (person_id, effective_from))""",
            f"""CREATE TABLE IF NOT EXISTS {self.position} (
        name TEXT PRIMARY KEY, position BIGINT NOT NULL)""",
            # The row exists from the start, so that catching up can lock it.
            f"INSERT INTO {self.position} (name, position) VALUES ('{POSITION}', 0) "
            "ON CONFLICT (name) DO NOTHING",
        ]


LIVE = RosterTables()


def chunks(items: Sequence[str]) -> Iterable[Sequence[str]]:
    for start in range(0, len(items), CHUNK):
        yield items[start : start + CHUNK]


class RosterView:
    """Reads and writes the roster's tables (live, or fresh ones for a rebuild) in a transaction."""

    def __init__(self, tables: RosterTables = LIVE) -> None:
        self.t = tables

    def position(self, cur: Cursor, lock: bool = False) -> int:
        """The notification id of the last roster event applied (locked for the transaction)."""
        locking = " FOR UPDATE" if lock and cur.db.is_postgres else ""
        cur.execute(f"SELECT position FROM {self.t.position} WHERE name = ?{locking}", (POSITION,))
        row = cur.one()
        return int(row["position"]) if row else 0

    def save_position(self, cur: Cursor, position: int) -> None:
        cur.execute(
            f"INSERT INTO {self.t.position} (name, position) VALUES (?, ?) "
            "ON CONFLICT (name) DO UPDATE SET position = excluded.position",
            (POSITION, position),
        )

    def feed(self, cur: Cursor, app: Any, stop: int) -> int:
        """Applies every roster event after the stored position up to notification `stop`;
        returns the new position."""
        position = start = self.position(cur, lock=True)
        while True:
            notes = app.recorder.select_notifications(
                start=position, limit=BATCH, stop=stop, topics=TOPICS, inclusive_of_start=False
            )
            if not notes:
                break
            events = [envelope_of(n.id, n.topic, app.event_as_dict(n)) for n in notes]
            rows = self.load_rows(cur, sorted({e.id for e in events}))
            changed = apply_roster(rows, events)
            self.write_rows(cur, [rows[i] for i in sorted(changed)])
            position = notes[-1].id
        if position != start:
            self.save_position(cur, position)
        return position

    def load_rows(self, cur: Cursor, ids: Sequence[str]) -> dict[str, Row]:
        """The rows of these aggregates (people with their memberships), by aggregate id."""
        rows: dict[str, Row] = {}
        for part in chunks(ids):
            marks = ",".join("?" * len(part))
            for table in (self.t.people, self.t.teams, self.t.sites):
                cur.execute(f"SELECT * FROM {table} WHERE id IN ({marks})", part)
                for row in cur.rows():
                    for column in ("manages", "managers"):
                        if column in row:
                            row[column] = json.loads(row[column])
                    rows[row["id"]] = row
        people = {r["person_id"]: r for r in rows.values() if "person_id" in r}
        for row in people.values():
            row["memberships"] = {}
        for part in chunks(sorted(people)):
            marks = ",".join("?" * len(part))
            cur.execute(
                f"SELECT person_id, effective_from, team_id FROM {self.t.memberships} "
                f"WHERE person_id IN ({marks})",
                part,
            )
            for m in cur.rows():
                people[m["person_id"]]["memberships"][m["effective_from"]] = m["team_id"]
        return rows

    def write_rows(self, cur: Cursor, rows: Sequence[Row]) -> None:
        people = [r for r in rows if "person_id" in r]
        teams = [r for r in rows if "team_id" in r and "person_id" not in r]
        sites = [r for r in rows if "site_id" in r and "team_id" not in r]
        cur.executemany(
            f"INSERT INTO {self.t.people} (id, person_id, version, display_name, email, role, "
            "external_id, manages) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET "
            "version = excluded.version, display_name = excluded.display_name, "
            "email = excluded.email, role = excluded.role, external_id = excluded.external_id, "
            "manages = excluded.manages",
            [
                (
                    r["id"],
                    r["person_id"],
                    r["version"],
                    r["display_name"],
                    r["email"],
                    r["role"],
                    r["external_id"],
                    json.dumps(r["manages"]),
                )
                for r in people
            ],
        )
        cur.executemany(
            f"INSERT INTO {self.t.memberships} (person_id, effective_from, team_id) "
            "VALUES (?, ?, ?) ON CONFLICT (person_id, effective_from) DO UPDATE SET "
            "team_id = excluded.team_id",
            [
                (r["person_id"], day, team)
                for r in people
                for day, team in sorted(r["memberships"].items())
            ],
        )
        cur.executemany(
            f"INSERT INTO {self.t.teams} "
            "(id, team_id, version, name, site_id, time_zone, managers) "
            "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET "
            "version = excluded.version, name = excluded.name, site_id = excluded.site_id, "
            "time_zone = excluded.time_zone, managers = excluded.managers",
            [
                (
                    r["id"],
                    r["team_id"],
                    r["version"],
                    r["name"],
                    r["site_id"],
                    r["time_zone"],
                    json.dumps(r["managers"]),
                )
                for r in teams
            ],
        )
        cur.executemany(
            f"INSERT INTO {self.t.sites} (id, site_id, version, name, time_zone) "
            "VALUES (?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET "
            "version = excluded.version, name = excluded.name, time_zone = excluded.time_zone",
            [(r["id"], r["site_id"], r["version"], r["name"], r["time_zone"]) for r in sites],
        )

    def index(self, cur: Cursor) -> RosterIndex:
        """The whole roster as an in-memory index, at the position stored (locked while read, so
        no other process's catch-up interleaves)."""
        version = self.position(cur, lock=True)
        cur.execute(f"SELECT team_id, name, site_id, time_zone, managers FROM {self.t.teams}")
        teams = [
            RosterTeam(
                r["team_id"],
                r["name"],
                r["site_id"],
                r["time_zone"],
                tuple(json.loads(r["managers"])),
            )
            for r in cur.rows()
        ]
        site_of = {t.team_id: t.site_id for t in teams}
        cur.execute(f"SELECT site_id, name, time_zone FROM {self.t.sites}")
        sites = [RosterSite(r["site_id"], r["name"], r["time_zone"]) for r in cur.rows()]
        cur.execute(
            "SELECT person_id, display_name, email, role, external_id, manages "
            f"FROM {self.t.people}"
        )
        people = [person(r, site_of) for r in cur.rows()]
        cur.execute(f"SELECT person_id, effective_from, team_id FROM {self.t.memberships}")
        memberships = [
            Membership(r["person_id"], r["team_id"], date.fromisoformat(r["effective_from"]))
            for r in cur.rows()
        ]
        return RosterIndex(people, teams, sites, memberships, version)


def person(row: dict[str, Any], site_of: dict[str, str]) -> RosterPerson:
    """A person row as the port answers it; a director's sites are those of the teams named."""
    manages = tuple(json.loads(row["manages"]))
    sites: tuple[str, ...] = ()
    if row["role"] == "director":
        sites = tuple(sorted({site_of[t] for t in manages if t in site_of}))
    return RosterPerson(
        row["person_id"],
        row["display_name"],
        row["email"],
        row["role"],
        row["external_id"],
        sites,
        manages,
    )


class SqlRoster:
    """The Roster port (engine/ports.py) over the tables, kept up to date with the event store."""

    def __init__(self, app: Any, db: Database, tables: RosterTables = LIVE) -> None:
        self.app = app
        self.db = db
        self.view = RosterView(tables)
        self._lock = threading.Lock()
        self._checked = -1  # the notification id up to which this process has caught up
        self._index = RosterIndex()

    def catch_up(self) -> RosterIndex:
        """Applies every roster event stored so far; returns the roster as it then stands."""
        with self._lock:
            return self._current()

    def _current(self) -> RosterIndex:
        stop = self.app.recorder.max_notification_id() or 0
        if stop == self._checked:
            return self._index
        if self._checked < 0:
            with self.db.transaction() as cur:
                self._index = self.view.index(cur)
            self._checked = self._index.version()
        pending = self.app.recorder.select_notifications(
            start=self._checked, limit=1, stop=stop, topics=TOPICS, inclusive_of_start=False
        )
        if pending:
            with self.db.transaction() as cur:
                version = self.view.feed(cur, self.app, stop)
                if version != self._index.version():
                    self._index = self.view.index(cur)
        self._checked = stop
        return self._index

    def index(self) -> RosterIndex:
        """The roster as it stands now, caught up with the event store."""
        with self._lock:
            return self._current()

    # --- the Roster port ---------------------------------------------------------------

    def version(self) -> int:
        return self.index().version()

    def person(self, person_id: str) -> RosterPerson | None:
        return self.index().person(person_id)

    def person_by_external_id(self, external_id: str) -> RosterPerson | None:
        return self.index().person_by_external_id(external_id)

    def person_by_email(self, email: str) -> RosterPerson | None:
        return self.index().person_by_email(email)

    def team(self, team_id: str) -> RosterTeam | None:
        return self.index().team(team_id)

    def site(self, site_id: str) -> RosterSite | None:
        return self.index().site(site_id)

    def teams(self) -> list[RosterTeam]:
        return self.index().teams()

    def people(self) -> list[RosterPerson]:
        return self.index().people()

    def sites(self) -> list[RosterSite]:
        return self.index().sites()

    def memberships(self, person_id: str) -> list[Membership]:
        return self.index().memberships(person_id)

    def team_at(self, person_id: str, at: datetime) -> str | None:
        return self.index().team_at(person_id, at)

    def managed_teams(self, person_id: str) -> tuple[str, ...]:
        return self.index().managed_teams(person_id)

    def members(self, team_id: str, at: datetime) -> list[str]:
        return self.index().members(team_id, at)

    def names(self, ids: Sequence[str]) -> dict[str, str]:
        return self.index().names(ids)
