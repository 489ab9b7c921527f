"""The KPI read model in SQL: the sums and their change marks, and the writes that count
telephony events.

Interval and day sums are stored; week and month sums are added up from days when read.

The pure rules are in projections/kpi.py. `KpiView` loads the little state the late-event
rule needs (adapters/sql/kpi_placements.py: known call times, surveys and QA scores already
placed; adapters/sql/kpi_corrections.py: corrections and voids), runs the rule for a batch,
and writes back, all in the caller's transaction: placements, and additive changes to the
sums. A record whose events all moved away is deleted, so live and rebuilt models match row
for row. This module is the only one that names the sums and change-mark tables; a rebuild
constructs `KpiView` with fresh names for all the KPI model's tables (`KpiTables.fresh()`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from adapters.sql.database import Database
from adapters.sql.kpi_corrections import Corrections, CorrectionTables
from adapters.sql.kpi_placements import (
    Placements,
    PlacementTables,
    call_ref,
)
from adapters.sql.tables import TableSet
from projections.kpi import (
    COUNTERS,
    PlacementIndex,
    SumsBatch,
    as_counted_for,
    effective,
    is_correction,
    is_linked,
    occurred_at,
    target_of,
)

# Weeks and months are summed from days when read: a month is at most 31 rows, and not
# storing them halves the writes per event.
STORED_KINDS = ("interval", "day")
_COLUMNS = ", ".join(COUNTERS)
ArchiveKey = tuple[int, str]


@dataclass(frozen=True)
class SumsTables(TableSet):
    """The KPI sums and the marks of whose KPIs moved."""

    @property
    def sums(self) -> str:
        return self.named("kpi_sums")

    @property
    def changes(self) -> str:
        return self.named("kpi_changes")

    def tables(self) -> tuple[str, ...]:
        return (self.sums, self.changes)

    def models(self) -> tuple[str, ...]:
        # The change marks are written for the goal-progress manager, not a read model: a
        # rebuild writes them to scratch, and the live marks are left alone.
        return (self.sums,)

    def indexes(self) -> tuple[str, ...]:
        return (self.named("kpi_agent_days_by_team"),)

    def ddl(self) -> list[str]:
        counters = ", ".join(f"{c} BIGINT NOT NULL" for c in COUNTERS)
        return [
            f"""CREATE TABLE IF NOT EXISTS {self.sums} (
        scope TEXT NOT NULL, scope_id TEXT NOT NULL, bucket TEXT NOT NULL, start TEXT NOT NULL,
        team_id TEXT NOT NULL, {counters},
        PRIMARY KEY (scope, scope_id, bucket, start))""",
            # Only leaderboards look agents up by team, and only in day buckets: a partial index
            # spares every interval write its upkeep.
            (
                f"CREATE INDEX IF NOT EXISTS {self.indexes()[0]} ON {self.sums} (team_id, start) "
                "WHERE scope = 'agent' AND bucket = 'day'"
            ),
            f"""CREATE TABLE IF NOT EXISTS {self.changes} (
        agent_id TEXT PRIMARY KEY, changed_at TEXT NOT NULL)""",
        ]


LIVE = SumsTables()


@dataclass(frozen=True)
class KpiTables:
    """Every table the KPI model writes: sums, placements, corrections (live names, or fresh
    ones)."""

    sums: SumsTables = field(default_factory=SumsTables)
    placed: PlacementTables = field(default_factory=PlacementTables)
    fixes: CorrectionTables = field(default_factory=CorrectionTables)

    def fresh(self) -> KpiTables:
        return KpiTables(self.sums.fresh(), self.placed.fresh(), self.fixes.fresh())

    def sets(self) -> tuple[TableSet, ...]:
        return (self.placed, self.fixes, self.sums)

    def ddl(self) -> list[str]:
        return [statement for tables in self.sets() for statement in tables.ddl()]


LIVE_MODEL = KpiTables()


class KpiView:
    """Counts telephony events into the KPI tables (live, or fresh for a rebuild) inside the
    caller's transaction."""

    def __init__(self, tables: KpiTables = LIVE_MODEL) -> None:
        self.t = tables.sums
        self.placed = Placements(tables.placed, tables.fixes.effective)
        self.fixes = Corrections(tables.fixes)
        sums = tables.sums.sums
        insert = (
            f"INSERT INTO {sums} (scope, scope_id, bucket, start, team_id, {_COLUMNS}) "
            f"VALUES (?, ?, ?, ?, ?, {', '.join('?' * len(COUNTERS))}) "
            "ON CONFLICT (scope, scope_id, bucket, start) DO UPDATE SET "
        )
        add = ", ".join(f"{c} = {sums}.{c} + excluded.{c}" for c in COUNTERS)
        self._upsert = insert + "team_id = excluded.team_id, " + add
        # A correction changes figures where its event already counts: the row's team stays as
        # the events in their order left it, so the live model and a rebuild agree.
        self._upsert_keep_team = insert + add

    def apply_events(
        self,
        cur: Any,
        events: Sequence[Mapping[str, Any]],
        archived_until: ArchiveKey | None = None,
    ) -> int:
        """Counts new, distinct telephony events (archive dicts) into the KPI sums; returns rows
        touched.

        Corrections and voids are applied after the batch's other events. `archived_until` is
        for a rebuild, which feeds the archive in (seq, event_id) order: only events archived
        up to there count as known; live, every archived event is.
        """
        fixes = [e for e in events if is_correction(e)]
        if fixes:
            events = [e for e in events if not is_correction(e)]
        touched = self._apply_measured(cur, events) if events else 0
        if fixes:
            touched += self._apply_fixes(cur, fixes, archived_until)
        return touched

    def _apply_measured(self, cur: Any, events: Sequence[Mapping[str, Any]]) -> int:
        refs = sorted({call_ref(e) for e in events if "call_id" in e})
        calls = [e for e in events if e["type"] == "call.completed"]
        index = PlacementIndex(call_times=self.placed.load_call_times(cur, refs))
        # Only calls with surveys or QA scores stored (any agent named) and this batch's surveys
        # need who handled their call: the rest of the batch costs one lookup.
        stored = self.placed.linked_of_calls(cur, [e["call_id"] for e in calls]) if calls else []
        placed_before = self.placed.load_linked(cur, stored, index)
        needing_legs = {e["call_id"] for e in events if is_linked(e)} | set(index.named)
        if needing_legs:
            self.placed.load_legs(cur, sorted(needing_legs), index)
        known_calls = dict(index.call_times)
        batch = SumsBatch()
        teams: dict[str, str] = {}
        changed: set[str] = set()
        held = self.fixes.held(cur, [e["event_id"] for e in events])
        for event in events:
            if event["event_id"] in held:
                event = self.fixes.count_held(cur, event, held[event["event_id"]])
            for placed, at, sign in index.place(event):
                batch.add(placed, at, sign)
                changed.add(placed["agent_id"])
                if sign > 0:
                    teams[placed["agent_id"]] = placed["team_id"]
        self.placed.write_calls(cur, index, known_calls)
        self.placed.write_call_agents(
            cur, {(e["call_id"], e["agent_id"]): e["team_id"] for e in calls}
        )
        self.placed.write_linked(cur, index, placed_before)
        self._mark_changed(cur, sorted(changed))
        return self._write_sums(cur, batch, teams)

    def _mark_changed(self, cur: Any, agents: Sequence[str]) -> None:
        """Remembers whose KPIs moved, for the goal-progress process manager."""
        now = datetime.now(UTC).isoformat()
        cur.executemany(
            f"INSERT INTO {self.t.changes} (agent_id, changed_at) VALUES (?, ?) "
            "ON CONFLICT (agent_id) DO UPDATE SET changed_at = excluded.changed_at",
            [(agent, now) for agent in agents],
        )

    def backfill_call_agents(self, cur: Any) -> None:
        """Fills who handled which call from the calls known before that table existed (once, on
        upgrade)."""
        self.placed.backfill_call_agents(cur)

    def _write_sums(
        self, cur: Any, batch: SumsBatch, teams: dict[str, str], keep_team: bool = False
    ) -> int:
        rows, emptied = [], []
        starts: dict[datetime, str] = {}  # many keys share a bucket start: format each once
        for (scope, scope_id, bucket, start), sums in batch.records(STORED_KINDS).items():
            values = [sums[c] for c in COUNTERS]
            if not sums["events"] and not any(values):
                continue
            text = starts.get(start)
            if text is None:
                text = starts[start] = start.isoformat()
            team = scope_id if scope == "team" else teams.get(scope_id, "")
            key = (scope, scope_id, bucket, text)
            rows.append((*key, team, *values))
            if sums["events"] < 0:
                emptied.append(key)
        # An agent only taken away from in this batch (a survey moved off it) keeps its rows' team.
        known = [r for r in rows if not keep_team and (r[0] == "team" or r[1] in teams)]
        cur.executemany(self._upsert, known)
        cur.executemany(
            self._upsert_keep_team,
            [r for r in rows if keep_team or not (r[0] == "team" or r[1] in teams)],
        )
        cur.executemany(
            f"DELETE FROM {self.t.sums} "
            "WHERE scope = ? AND scope_id = ? AND bucket = ? AND start = ? AND events = 0",
            emptied,
        )
        return len(rows)

    def _apply_fixes(
        self, cur: Any, fixes: Sequence[Mapping[str, Any]], archived_until: ArchiveKey | None
    ) -> int:
        """Records corrections and voids; for originals already counted, swaps old content for
        new where they count."""
        targets = sorted({target_of(f) for f in fixes})
        originals = self.fixes.counted_originals(cur, targets, archived_until)
        self.fixes.add(cur, fixes, originals)
        known = sorted(originals)
        if not known:
            return 0
        corrections = self.fixes.all_corrections(cur, known)
        placed = self.placed.placements(cur, known)
        batch, teams = SumsBatch(), {}
        for target in known:
            original, before = originals[target]
            now = effective(original, corrections.get(target, []))
            if now == before and type(now) is type(before):
                continue
            at, owner = placed.get(target) or (occurred_at(original), None)
            owner = owner or (original["agent_id"], original["team_id"])
            # counted for its call's agent (when moved there): the correction swaps it there
            batch.add(as_counted_for(before, *owner), at, -1)
            batch.add(as_counted_for(now, *owner), at, 1)
            teams[owner[0]] = owner[1]
            self.fixes.write_effective(cur, target, now, corrections.get(target, []))
        self._mark_changed(cur, sorted(teams))
        return self._write_sums(cur, batch, teams, keep_team=True)


# --- reads of the sums and the change marks (live tables) --------------------------------

_SUMS = ", ".join(COUNTERS)
_SUMMED = ", ".join(f"SUM({c}) AS {c}" for c in COUNTERS)


def sums_rows(
    db: Database,
    scope: str,
    scope_id: str,
    bucket: str,
    start: str | None,
    end: str | None,
    after: str | None,
    limit: int | None,
) -> list[dict[str, Any]]:
    """The stored sums (start and counters) of one agent or team in one bucket kind, oldest
    first."""
    clauses, params = ["scope = ?", "scope_id = ?", "bucket = ?"], [scope, scope_id, bucket]
    for clause, value in (("start >= ?", start), ("start < ?", end), ("start > ?", after)):
        if value is not None:
            clauses.append(clause)
            params.append(value)
    limited = " LIMIT ?" if limit is not None else ""
    return db.query(
        f"SELECT start, {_SUMS} FROM {LIVE.sums} "
        f"WHERE {' AND '.join(clauses)} ORDER BY start{limited}",
        (*params, *([limit] if limit is not None else [])),
    )


def team_of_agent(db: Database, agent_id: str) -> str | None:
    """The team of the agent's most recent KPI bucket."""
    rows = db.query(
        f"SELECT team_id FROM {LIVE.sums} "
        "WHERE scope = 'agent' AND scope_id = ? AND bucket = 'day' "
        "ORDER BY start DESC LIMIT 1",
        (agent_id,),
    )
    return str(rows[0]["team_id"]) if rows else None


def agent_day_totals(
    db: Database, team_id: str, start: str | None, end: str | None
) -> list[dict[str, Any]]:
    """Each agent of the team with its day sums added up over the range (scope_id and counters)."""
    clauses, params = ["scope = 'agent'", "team_id = ?", "bucket = 'day'"], [team_id]
    for clause, value in (("start >= ?", start), ("start < ?", end)):
        if value is not None:
            clauses.append(clause)
            params.append(value)
    return db.query(
        f"SELECT scope_id, {_SUMMED} FROM {LIVE.sums} "
        f"WHERE {' AND '.join(clauses)} GROUP BY scope_id",
        params,
    )


def period_sums(
    db: Database, agent_id: str, start: str, end: str
) -> tuple[dict[str, Any], str | None]:
    """The agent's day sums over [start, end) added up (with n, the days found), and its latest
    interval's start."""
    bounds = (agent_id, start, end)
    sums = db.query(
        f"SELECT {_SUMMED}, COUNT(*) AS n FROM {LIVE.sums} WHERE scope = 'agent' AND scope_id = ? "
        "AND bucket = 'day' AND start >= ? AND start < ?",
        bounds,
    )[0]
    latest = db.query(
        f"SELECT MAX(start) AS latest FROM {LIVE.sums} WHERE scope = 'agent' AND scope_id = ? "
        "AND bucket = 'interval' AND start >= ? AND start < ?",
        bounds,
    )[0]["latest"]
    return sums, latest


def teams_since(db: Database, since: str) -> list[str]:
    """Teams with day sums from `since` on."""
    rows = db.query(
        f"SELECT DISTINCT scope_id FROM {LIVE.sums} "
        "WHERE scope = 'team' AND bucket = 'day' AND start >= ? "
        "ORDER BY scope_id",
        (since,),
    )
    return [r["scope_id"] for r in rows]


def agent_days_of_team(db: Database, team_id: str, since: str) -> list[dict[str, Any]]:
    """The day sums (scope_id, start, counters) of the team's agents from `since` on."""
    return db.query(
        f"SELECT scope_id, start, {_SUMS} FROM {LIVE.sums} WHERE scope = 'agent' AND team_id = ? "
        "AND bucket = 'day' AND start >= ?",
        (team_id, since),
    )


def has_team(db: Database, team_id: str) -> bool:
    return bool(
        db.query(
            f"SELECT 1 AS x FROM {LIVE.sums} WHERE scope = 'team' AND scope_id = ? LIMIT 1",
            (team_id,),
        )
    )


def team_ids_text() -> str:
    """A query of the teams with day sums (one column, team_id), to be combined with others."""
    return f"SELECT scope_id AS team_id FROM {LIVE.sums} WHERE scope = 'team' AND bucket = 'day'"


def changed_agents(db: Database) -> dict[str, str]:
    """Agents whose KPIs moved, with when they last moved."""
    return {
        r["agent_id"]: r["changed_at"]
        for r in db.query(f"SELECT agent_id, changed_at FROM {LIVE.changes}")
    }


def forget_change(db: Database, agent_id: str, changed_at: str) -> None:
    """Clears an agent's mark unless it moved again since it was read."""
    with db.transaction() as cur:
        cur.execute(
            f"DELETE FROM {LIVE.changes} WHERE agent_id = ? AND changed_at = ?",
            (agent_id, changed_at),
        )


def mark_changed(db: Database, agent_id: str) -> None:
    """Marks an agent to be looked at again."""
    with db.transaction() as cur:
        cur.execute(
            f"INSERT INTO {LIVE.changes} (agent_id, changed_at) VALUES (?, ?) "
            "ON CONFLICT (agent_id) DO NOTHING",
            (agent_id, datetime.now(UTC).isoformat()),
        )
