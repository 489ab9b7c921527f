"""The KPI read model in SQL: the sums and their change marks, and the writes that count
telephony events.

Teams' interval and day sums and agents' day sums are stored (agents' intervals are the
attribution ledger's rows, adapters/sql/kpi_attribution.py); week and month sums are added up
from days when read. Each event counts for its agent's roster team at that instant, days cut
at that team's local midnight (projections/attribution.py); `sync` re-attributes what a roster
change moved, so live and rebuilt models stay equal.

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
from adapters.sql.kpi_attribution import (
    AttributionTables,
    Ledger,
    RosterSnapshot,
    agent_intervals,
    consistent,
    latest_interval,
    member_rows,
    moves,
    team_agent_totals,
)
from adapters.sql.kpi_corrections import Corrections, CorrectionTables
from adapters.sql.kpi_placements import (
    Placements,
    PlacementTables,
    call_ref,
)
from adapters.sql.tables import TableSet
from engine.ports import Roster
from engine.roster_index import RosterIndex
from projections.attribution import AS_TELEPHONY_SAYS, UTC_ZONE, starts_of_interval
from projections.kpi import (
    COUNTERS,
    PlacementIndex,
    Sums,
    SumsBatch,
    SumsKey,
    as_counted_for,
    effective,
    is_correction,
    is_linked,
    occurred_at,
    target_of,
)

# Weeks and months are summed from days when read: a month is at most 31 rows, and not
# storing them halves the writes per event. An agent's intervals are the attribution ledger's
# rows (adapters/sql/kpi_attribution.py), per telephony team, so they are not stored twice.
STORED_KINDS = ("interval", "day")
AGENT_KINDS = ("day",)
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
    attributed: AttributionTables = field(default_factory=AttributionTables)

    def fresh(self) -> KpiTables:
        return KpiTables(
            self.sums.fresh(), self.placed.fresh(), self.fixes.fresh(), self.attributed.fresh()
        )

    def sets(self) -> tuple[TableSet, ...]:
        return (self.placed, self.fixes, self.sums, self.attributed)

    def ddl(self) -> list[str]:
        return [statement for tables in self.sets() for statement in tables.ddl()]


LIVE_MODEL = KpiTables()


class RosterMoved(RuntimeError):
    """The model is attributed by a newer roster than this process read: read it, then retry."""

    def __init__(self, applied: int, held: int) -> None:
        super().__init__(f"the KPI model follows roster version {applied}, this process {held}")


class KpiView:
    """Counts telephony events into the KPI tables (live, or fresh for a rebuild) inside the
    caller's transaction, each for its agent's roster team and cut in that team's time zone."""

    def __init__(self, tables: KpiTables = LIVE_MODEL, roster: Roster | None = None) -> None:
        self.t = tables.sums
        self.roster: Roster = RosterIndex() if roster is None else roster
        self.ledger = Ledger(tables.attributed)
        self._snapshot: RosterSnapshot | None = None
        self._start_texts: dict[int, str] = {}
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
        if not events:
            return 0
        self.sync(cur)
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
        batch = self.batch()
        changed: set[str] = set()
        held = self.fixes.held(cur, [e["event_id"] for e in events])
        for event in events:
            if event["event_id"] in held:
                event = self.fixes.count_held(cur, event, held[event["event_id"]])
            for placed, at, sign in index.place(event):
                batch.add(placed, at, sign)
                changed.add(placed["agent_id"])
        self.placed.write_calls(cur, index, known_calls)
        self.placed.write_call_agents(
            cur, {(e["call_id"], e["agent_id"]): e["team_id"] for e in calls}
        )
        self.placed.write_linked(cur, index, placed_before)
        self._mark_changed(cur, sorted(changed))
        return self._write_sums(cur, batch)

    def batch(self) -> SumsBatch:
        """An empty batch under the roster as last synced."""
        return SumsBatch(self._snapshot.attribution if self._snapshot else AS_TELEPHONY_SAYS)

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

    def backfill_ledger(self, cur: Any) -> None:
        """Fills the attribution ledger from sums counted before it existed (once, on upgrade)."""
        self.ledger.backfill(cur, self.t.sums)

    def _write_sums(self, cur: Any, batch: SumsBatch, keep_team: bool = False) -> int:
        self.ledger.add(cur, batch, self._interval_texts(batch))
        totals, teams = batch.records_and_teams(STORED_KINDS, AGENT_KINDS)
        return self._write_records(cur, totals, {} if keep_team else teams)

    def _interval_texts(self, batch: SumsBatch) -> dict[int, str]:
        texts = self._start_texts
        if len(texts) > 1 << 16:
            texts.clear()
        for _, _, index in batch.ledger():
            if index not in texts:
                texts[index] = starts_of_interval(index, UTC_ZONE)[0].isoformat()
        return texts

    def _write_records(
        self,
        cur: Any,
        totals: Mapping[SumsKey, Sums],
        teams: Mapping[SumsKey, str],
        retag: bool = False,
    ) -> int:
        """Adds changes to the sums; an agent row takes the team in `teams` (else keeps its own).

        With `retag`, rows whose sums do not change are written too, for their new team.
        """
        rows, emptied = [], []
        keep: list[tuple[Any, ...]] = []
        starts: dict[datetime, str] = {}  # many keys share a bucket start: format each once
        for key, sums in totals.items():
            scope, scope_id, bucket, start = key
            values = [sums[c] for c in COUNTERS]
            if not any(values) and not (retag and key in teams):
                continue
            text = starts.get(start)
            if text is None:
                text = starts[start] = start.isoformat()
            row_key = (scope, scope_id, bucket, text)
            if scope == "team":
                rows.append((*row_key, scope_id, *values))
            elif key in teams:
                rows.append((*row_key, teams[key], *values))
            else:
                # An agent only taken away from here (a survey moved off it) keeps its row's team.
                keep.append((*row_key, "", *values))
            if sums["events"] < 0:
                emptied.append(row_key)
        cur.executemany(self._upsert, rows)
        cur.executemany(self._upsert_keep_team, keep)
        cur.executemany(
            f"DELETE FROM {self.t.sums} "
            "WHERE scope = ? AND scope_id = ? AND bucket = ? AND start = ? AND events = 0",
            emptied,
        )
        return len(rows) + len(keep)

    # --- the roster --------------------------------------------------------------------

    def refresh(self) -> RosterSnapshot:
        """Reads the roster again if its version moved. Call it outside any write transaction:
        the roster's adapter may catch up with the event store in a transaction of its own."""
        current = consistent(self.roster)
        if self._snapshot is None or self._snapshot.version != current.version():
            self._snapshot = RosterSnapshot(current)
        return self._snapshot

    def sync(self, cur: Any) -> RosterSnapshot:
        """Brings the model in step with the roster as last read: re-attributes what it changed.

        Cheap when nothing moved (one indexed read); the first process to see a new version
        moves the counted sums, others wait on its lock and then find nothing left to do. A
        process holding an older roster than the model's refuses to count (RosterMoved, which
        the consumer retries after reading the roster again).
        """
        snapshot = self._snapshot or self.refresh()
        applied = self.ledger.applied_version(cur, lock=False)
        if applied != snapshot.version:
            self.ledger.lock(cur)
            applied = self.ledger.applied_version(cur, lock=True)
            if applied is not None and applied > snapshot.version:
                self._snapshot = None
                raise RosterMoved(applied, snapshot.version)
            if applied != snapshot.version:
                self._reattribute(cur, snapshot)
        return snapshot

    def _reattribute(self, cur: Any, now: RosterSnapshot) -> None:
        zones_before, members_before = self.ledger.applied(cur)
        agents = set(self.ledger.agents(cur)) | set(members_before)
        members_now = member_rows(now, agents)
        changed = sorted(a for a in agents if members_now.get(a) != members_before.get(a))
        rezoned = sorted(
            team
            for team in set(zones_before) | set(now.zones)
            if zones_before.get(team, UTC_ZONE) != now.zone_of(team)
        )
        rows = self.ledger.rows_of(cur, changed, rezoned) if changed or rezoned else []
        old, new, moved = moves(rows, zones_before, now)
        totals, _ = old.records_and_teams(STORED_KINDS, AGENT_KINDS)
        added, teams = new.records_and_teams(STORED_KINDS, AGENT_KINDS)
        for key, sums in added.items():
            total = totals.setdefault(key, dict.fromkeys(COUNTERS, 0))
            for name in COUNTERS:
                total[name] += sums[name]
        self._write_records(cur, totals, teams, retag=True)
        self.ledger.set_teams(cur, moved)
        self._mark_changed(cur, sorted({agent for _, agent, _, _ in moved}))
        self.ledger.save(cur, now.version, now.zones, members_now, changed)

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
        batch, agents = self.batch(), set()
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
            agents.add(owner[0])
            self.fixes.write_effective(cur, target, now, corrections.get(target, []))
        self._mark_changed(cur, sorted(agents))
        return self._write_sums(cur, batch, keep_team=True)


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
    if scope == "agent" and bucket == "interval":
        return agent_intervals(db, scope_id, start, end, after, limit)
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
    db: Database, team_id: str, start: str | None, end: str | None, bucket: str = "day"
) -> list[dict[str, Any]]:
    """Each agent of the team with its day (or interval) sums added up over the range (scope_id
    and counters)."""
    if bucket == "interval":
        return team_agent_totals(db, team_id, start, end)
    clauses, params = ["scope = 'agent'", "team_id = ?", "bucket = ?"], [team_id, bucket]
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
    db: Database, agent_id: str, start: str, end: str, team_id: str | None = None
) -> tuple[dict[str, Any], str | None]:
    """The agent's day sums over [start, end) added up (with n, the days found), and its latest
    interval's start; with `team_id`, only the days the agent counted for that team."""
    bounds: tuple[str, ...] = (agent_id, start, end)
    in_team = ""
    if team_id is not None:
        bounds, in_team = (*bounds, team_id), " AND team_id = ?"
    sums = db.query(
        f"SELECT {_SUMMED}, COUNT(*) AS n FROM {LIVE.sums} WHERE scope = 'agent' AND scope_id = ? "
        "AND bucket = 'day' AND start >= ? AND start < ?" + in_team,
        bounds,
    )[0]
    return sums, latest_interval(db, agent_id, start, end, team_id)


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
