"""Which team each agent's counted intervals went to, and moving them when the roster changes.

The KPI sums attribute an agent's event to the roster's team of the agent at that instant and
cut that team's days at local midnight (projections/attribution.py). This module keeps what
that needs, in the KPI model's tables (the only module that names them):

- the ledger: per (agent, team telephony named, 15-minute interval) the sums counted and the
  team they were counted for. It holds the agents' interval sums (the sums table does not),
  and every sums row is the total of some ledger rows, so moving ledger rows between teams (or
  re-cutting their days in another zone) moves the sums exactly. Rows whose two teams differ
  are the flagged disagreements (GET /v1/telephony/team-mismatches);
- the roster as last applied: its version, each team's time zone, each known agent's
  memberships as instants.

When the roster's version moves, `Reattribution` compares memberships and zones with what was
applied, and for every ledger row whose team or zone changed subtracts it where it counted and
adds it where it counts now, in one transaction: the live model then equals a rebuild from the
archive under the new roster, row for row.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time
from typing import Any

from adapters.sql.database import Database
from adapters.sql.tables import TableSet
from engine.ports import Roster
from projections.attribution import UTC_ZONE, Attribution, interval_index, zone
from projections.kpi import COUNTERS, Sums, SumsBatch

CHUNK = 500
_COLUMNS = ", ".join(COUNTERS)
LedgerKey = tuple[str, str, int]  # (agent, telephony's team, interval number)
Spans = tuple[list[datetime], list[str]]  # membership start instants and their teams


@dataclass(frozen=True)
class AttributionTables(TableSet):
    """The ledger of attributed intervals and the roster as last applied to it."""

    @property
    def ledger(self) -> str:
        return self.named("kpi_attributed")

    @property
    def zones(self) -> str:
        return self.named("kpi_roster_zones")

    @property
    def version(self) -> str:
        return self.named("kpi_roster_version")

    @property
    def members(self) -> str:
        return self.named("kpi_roster_members")

    def tables(self) -> tuple[str, ...]:
        return (self.ledger, self.zones, self.version, self.members)

    def models(self) -> tuple[str, ...]:
        return self.tables()

    def compared(self) -> tuple[str, ...]:
        # The applied memberships are kept for the agents the model knew when the roster last
        # moved: which agents that is depends on when ingestion ran, not on the data.
        return (self.ledger, self.zones, self.version)

    def indexes(self) -> tuple[str, ...]:
        return (self.named("kpi_attributed_mismatches"),)

    def ddl(self) -> list[str]:
        counters = ", ".join(f"{c} BIGINT NOT NULL" for c in COUNTERS)
        return [
            f"""CREATE TABLE IF NOT EXISTS {self.ledger} (
        agent_id TEXT NOT NULL, telephony_team TEXT NOT NULL, start TEXT NOT NULL,
        team_id TEXT NOT NULL, {counters},
        PRIMARY KEY (agent_id, telephony_team, start))""",
            # Disagreements are rare: the index holds only them.
            (
                f"CREATE INDEX IF NOT EXISTS {self.indexes()[0]} ON {self.ledger} "
                "(team_id, agent_id) WHERE telephony_team <> team_id"
            ),
            f"""CREATE TABLE IF NOT EXISTS {self.zones} (
        team_id TEXT PRIMARY KEY, time_zone TEXT NOT NULL)""",
            f"""CREATE TABLE IF NOT EXISTS {self.version} (
        id INTEGER PRIMARY KEY, version BIGINT NOT NULL)""",
            f"""CREATE TABLE IF NOT EXISTS {self.members} (
        person_id TEXT NOT NULL, starts_at TEXT NOT NULL, team_id TEXT NOT NULL,
        PRIMARY KEY (person_id, starts_at))""",
        ]


LIVE = AttributionTables()


def consistent(roster: Roster) -> Roster:
    """One consistent value of the roster to read many times: the feed's caught-up index when
    the adapter is also a RosterFeed (adapters/sql/roster_view.py), else the roster itself."""
    catch_up = getattr(roster, "catch_up", None)
    return catch_up() if callable(catch_up) else roster


class RosterSnapshot:
    """The roster as the projection applies it: zones read once, memberships once per agent.

    Built whenever the roster's version moves, so counting an event costs a dict lookup and a
    bisect whatever the Roster adapter does per call.
    """

    def __init__(self, roster: Roster) -> None:
        self.roster = roster
        self.version = roster.version()
        self.zones = {team.team_id: team.time_zone for team in roster.teams()}
        self._spans: dict[str, Spans | None] = {}
        self.attribution = Attribution(self.team_at, self.zone_of)

    def zone_of(self, team: str) -> str:
        return self.zones.get(team, UTC_ZONE)

    def spans(self, agent: str) -> Spans | None:
        """The agent's membership starts (UTC instants) and teams, or None outside the roster."""
        if agent in self._spans:
            return self._spans[agent]
        rows = sorted(
            (
                datetime.combine(
                    m.effective_from, time(0), tzinfo=zone(self.zone_of(m.team_id))
                ).astimezone(UTC),
                m.team_id,
            )
            for m in self.roster.memberships(agent)
        )
        found = ([s for s, _ in rows], [t for _, t in rows]) if rows else None
        self._spans[agent] = found
        return found

    def team_at(self, agent: str, at: datetime) -> str | None:
        spans = self.spans(agent)
        if spans is None:
            return None
        i = bisect_right(spans[0], at)
        return spans[1][i - 1] if i else None


def member_rows(snapshot: RosterSnapshot, agents: Iterable[str]) -> dict[str, list[str]]:
    """Each agent's memberships as 'start|team' texts (absent: not in the roster)."""
    found: dict[str, list[str]] = {}
    for agent in agents:
        spans = snapshot.spans(agent)
        if spans is not None:
            found[agent] = [f"{s.isoformat()}|{t}" for s, t in zip(*spans, strict=True)]
    return found


class Ledger:
    """Reads and writes of the ledger and the applied roster inside the caller's transaction."""

    def __init__(self, tables: AttributionTables) -> None:
        self.t = tables
        self._upsert = (
            f"INSERT INTO {tables.ledger} (agent_id, telephony_team, start, team_id, {_COLUMNS}) "
            f"VALUES (?, ?, ?, ?, {', '.join('?' * len(COUNTERS))}) "
            "ON CONFLICT (agent_id, telephony_team, start) DO UPDATE SET "
            "team_id = excluded.team_id, "
            + ", ".join(f"{c} = {tables.ledger}.{c} + excluded.{c}" for c in COUNTERS)
        )

    def add(self, cur: Any, batch: SumsBatch, start_text: Mapping[int, str]) -> None:
        """Adds a batch's changes per (agent, telephony's team, interval); drops emptied rows."""
        rows, emptied = [], []
        for (agent, telephony, index), (team, sums) in batch.ledger().items():
            values = [sums[c] for c in COUNTERS]
            if not any(values):
                continue
            key = (agent, telephony, start_text[index])
            rows.append((*key, team, *values))
            if sums["events"] < 0:
                emptied.append(key)
        cur.executemany(self._upsert, rows)
        cur.executemany(
            f"DELETE FROM {self.t.ledger} "
            "WHERE agent_id = ? AND telephony_team = ? AND start = ? AND events = 0",
            emptied,
        )

    def backfill(self, cur: Any, sums: str) -> None:
        """Moves the agents' interval sums counted before the ledger existed into it (once, on
        upgrade): telephony's team is taken to be the one each row counted for, so the first
        roster applied moves and re-cuts what it changes."""
        where = "WHERE scope = 'agent' AND bucket = 'interval'"
        cur.execute(f"SELECT 1 AS x FROM {sums} {where} LIMIT 1")
        if not cur.rows():
            return
        cur.execute(
            f"INSERT INTO {self.t.ledger} (agent_id, telephony_team, start, team_id, {_COLUMNS}) "
            f"SELECT scope_id, team_id, start, team_id, {_COLUMNS} FROM {sums} {where}"
        )
        cur.execute(f"DELETE FROM {sums} {where}")

    def applied_version(self, cur: Any, lock: bool) -> int | None:
        """The roster version the model is attributed by (None: never applied); `lock` holds
        it for this transaction (others' re-attribution waits until commit)."""
        share = " FOR UPDATE" if lock else " FOR SHARE"
        cur.execute(
            f"SELECT version FROM {self.t.version} WHERE id = 1"
            + (share if cur.db.is_postgres else "")
        )
        rows = cur.rows()
        return int(rows[0]["version"]) if rows else None

    def lock(self, cur: Any) -> None:
        """Serialises re-attribution: the first applier inserts the row, the others wait on it."""
        cur.execute(
            f"INSERT INTO {self.t.version} (id, version) VALUES (1, -1) ON CONFLICT (id) DO NOTHING"
        )

    def applied(self, cur: Any) -> tuple[dict[str, str], dict[str, list[str]]]:
        """The zones and memberships last applied."""
        cur.execute(f"SELECT team_id, time_zone FROM {self.t.zones}")
        zones = {r["team_id"]: r["time_zone"] for r in cur.rows()}
        cur.execute(
            f"SELECT person_id, starts_at, team_id FROM {self.t.members} "
            "ORDER BY person_id, starts_at"
        )
        members: dict[str, list[str]] = {}
        for r in cur.rows():
            members.setdefault(r["person_id"], []).append(f"{r['starts_at']}|{r['team_id']}")
        return zones, members

    def agents(self, cur: Any) -> list[str]:
        cur.execute(f"SELECT DISTINCT agent_id FROM {self.t.ledger}")
        return [r["agent_id"] for r in cur.rows()]

    def rows_of(
        self, cur: Any, agents: Sequence[str], teams: Sequence[str]
    ) -> list[dict[str, Any]]:
        """The ledger rows of these agents, and of the agents' intervals counted for these
        teams."""
        found: dict[tuple[str, str, str], dict[str, Any]] = {}
        for column, values in (("agent_id", agents), ("team_id", teams)):
            for i in range(0, len(values), CHUNK):
                part = values[i : i + CHUNK]
                cur.execute(
                    f"SELECT agent_id, telephony_team, start, team_id, {_COLUMNS} "
                    f"FROM {self.t.ledger} WHERE {column} IN ({', '.join('?' * len(part))})",
                    part,
                )
                for r in cur.rows():
                    found[(r["agent_id"], r["telephony_team"], r["start"])] = r
        return list(found.values())

    def set_teams(self, cur: Any, moved: Sequence[tuple[str, str, str, str]]) -> None:
        """Records the team each moved row counts for now: (team, agent, telephony, start)."""
        cur.executemany(
            f"UPDATE {self.t.ledger} SET team_id = ? "
            "WHERE agent_id = ? AND telephony_team = ? AND start = ?",
            moved,
        )

    def save(
        self,
        cur: Any,
        version: int,
        zones: Mapping[str, str],
        members: Mapping[str, list[str]],
        changed: Iterable[str],
    ) -> None:
        """Records the roster as now applied (members rewritten only for the changed agents)."""
        cur.execute(f"UPDATE {self.t.version} SET version = ? WHERE id = 1", (version,))
        cur.execute(f"DELETE FROM {self.t.zones}")
        cur.executemany(
            f"INSERT INTO {self.t.zones} (team_id, time_zone) VALUES (?, ?)", sorted(zones.items())
        )
        changed = sorted(changed)
        cur.executemany(
            f"DELETE FROM {self.t.members} WHERE person_id = ?", [(a,) for a in changed]
        )
        cur.executemany(
            f"INSERT INTO {self.t.members} (person_id, starts_at, team_id) VALUES (?, ?, ?)",
            [(agent, *line.split("|", 1)) for agent in changed for line in members.get(agent, [])],
        )


def moves(
    rows: Sequence[Mapping[str, Any]],
    before: Mapping[str, str],
    now: RosterSnapshot,
) -> tuple[SumsBatch, SumsBatch, list[tuple[str, str, str, str]]]:
    """Ledger rows to take away (cut in the zones `before`) and to add (under `now`)."""
    old = SumsBatch(Attribution(now.team_at, lambda team: before.get(team, UTC_ZONE)))
    new = SumsBatch(now.attribution)
    moved = []
    for row in rows:
        agent, telephony, start = row["agent_id"], row["telephony_team"], row["start"]
        at = datetime.fromisoformat(start)
        was, team = row["team_id"], now.team_at(agent, at) or telephony
        if was == team and before.get(was, UTC_ZONE) == now.zone_of(team):
            continue
        sums: Sums = {c: int(row[c]) for c in COUNTERS}
        index = interval_index(at)
        old.add_sums(agent, was, telephony, index, sums, -1)
        new.add_sums(agent, team, telephony, index, sums, 1)
        moved.append((team, agent, telephony, start))
    return old, new, moved


def team_mismatches(db: Database, team: str | None) -> list[dict[str, Any]]:
    """Agents whose events telephony put in another team than the roster's (live), with counts:
    for one team (as the roster's or telephony's), or all."""
    where = "telephony_team <> team_id"
    if team is not None:
        where += " AND (team_id = ? OR telephony_team = ?)"
    rows = db.query(
        "SELECT agent_id, telephony_team, team_id AS roster_team, SUM(events) AS events, "
        "MIN(start) AS first_interval, MAX(start) AS last_interval "
        f"FROM {LIVE.ledger} WHERE {where} "
        "GROUP BY agent_id, telephony_team, team_id ORDER BY agent_id, telephony_team, team_id",
        (team, team) if team is not None else (),
    )
    return [{**r, "events": int(r["events"])} for r in rows]


# --- an agent's intervals: the ledger's rows of all telephony teams added up ------------------

_SUMMED = ", ".join(f"SUM({c}) AS {c}" for c in COUNTERS)


def _bounded(
    clauses: list[str], params: list[Any], start: str | None, end: str | None, after: str | None
) -> None:
    for clause, value in (("start >= ?", start), ("start < ?", end), ("start > ?", after)):
        if value is not None:
            clauses.append(clause)
            params.append(value)


def agent_intervals(
    db: Database,
    agent_id: str,
    start: str | None,
    end: str | None,
    after: str | None,
    limit: int | None,
) -> list[dict[str, Any]]:
    """An agent's interval sums (start and counters), oldest first."""
    clauses, params = ["agent_id = ?"], [agent_id]
    _bounded(clauses, params, start, end, after)
    limited = " LIMIT ?" if limit is not None else ""
    rows = db.query(
        f"SELECT start, {_SUMMED} FROM {LIVE.ledger} WHERE {' AND '.join(clauses)} "
        f"GROUP BY start ORDER BY start{limited}",
        (*params, *([limit] if limit is not None else [])),
    )
    return [{"start": r["start"], **{c: int(r[c]) for c in COUNTERS}} for r in rows]


def team_agent_totals(
    db: Database, team_id: str, start: str | None, end: str | None
) -> list[dict[str, Any]]:
    """Each agent's interval sums counted for the team over [start, end), added up."""
    clauses, params = ["team_id = ?"], [team_id]
    _bounded(clauses, params, start, end, None)
    return db.query(
        f"SELECT agent_id AS scope_id, {_SUMMED} FROM {LIVE.ledger} "
        f"WHERE {' AND '.join(clauses)} GROUP BY agent_id",
        params,
    )


def latest_interval(
    db: Database, agent_id: str, start: str, end: str, team_id: str | None
) -> str | None:
    """The start of the agent's latest interval with data in [start, end) (for the team)."""
    clauses, params = ["agent_id = ?"], [agent_id]
    _bounded(clauses, params, start, end, None)
    if team_id is not None:
        clauses.append("team_id = ?")
        params.append(team_id)
    found = db.query(
        f"SELECT MAX(start) AS latest FROM {LIVE.ledger} WHERE {' AND '.join(clauses)}", params
    )
    return found[0]["latest"] if found else None


def mismatched_events(db: Database, team_id: str, start: str | None, end: str | None) -> int:
    """Events counted for the team in [start, end) whose telephony team was another."""
    clauses, params = ["telephony_team <> team_id", "team_id = ?"], [team_id]
    _bounded(clauses, params, start, end, None)
    found = db.query(
        f"SELECT SUM(events) AS n FROM {LIVE.ledger} WHERE {' AND '.join(clauses)}", params
    )
    return int(found[0]["n"] or 0) if found else 0


def applied_version(db: Database) -> int | None:
    """The roster version the live KPI model is attributed by (None: never applied)."""
    found = db.query(f"SELECT version FROM {LIVE.version} WHERE id = 1")
    return int(found[0]["version"]) if found else None
