"""The KPI read model in SQL: its tables, the writes that place telephony events and add their sums, in one transaction.

Interval and day sums are stored; week and month sums are added up from days when read.

The pure rules are in projections/kpi.py. This module loads the little state the late-event
rule needs (known call times, surveys and QA scores already placed), runs the rule for a
batch, and writes back: call times, placements, and additive changes to the sums.
A record whose events all moved away is deleted, so live and rebuilt models match row for row.
It is the only module that names the KPI tables; a rebuild constructs `KpiView` with fresh names.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from adapters.sql import archive
from adapters.sql.database import Database
from adapters.sql.tables import TableSet
from projections.kpi import (
    COUNTERS,
    PlacementIndex,
    SumsBatch,
    Voided,
    call_key,
    effective,
    is_correction,
    is_linked,
    occurred_at,
    target_of,
)

SEP = "\x1f"
# Weeks and months are summed from days when read: a month is at most 31 rows, and not
# storing them halves the writes per event.
STORED_KINDS = ("interval", "day")
_COLUMNS = ", ".join(COUNTERS)
VOID_MARK = '{"voided": true}'
ArchiveKey = tuple[int, str]
Run = Callable[[str, Sequence[Any]], list[dict[str, Any]]]


@dataclass(frozen=True)
class KpiTables(TableSet):
    """The KPI sums, the placement state of telephony events, their corrections, and the change marks."""

    @property
    def sums(self) -> str:
        return self.named("kpi_sums")

    @property
    def changes(self) -> str:
        return self.named("kpi_changes")

    @property
    def calls(self) -> str:
        return self.named("telephony_calls")

    @property
    def linked(self) -> str:
        return self.named("telephony_linked")

    @property
    def call_agents(self) -> str:
        return self.named("telephony_call_agents")

    @property
    def corrections(self) -> str:
        return self.named("telephony_corrections")

    @property
    def effective(self) -> str:
        return self.named("telephony_effective")

    def models(self) -> tuple[str, ...]:
        """The tables a rebuild compares with live and swaps in."""
        return (self.sums, self.calls, self.linked, self.call_agents, self.corrections, self.effective)

    def scratch(self) -> tuple[str, ...]:
        """Written for the goal-progress manager, not a read model: a rebuild writes it to scratch."""
        return (self.changes,)

    def tables(self) -> tuple[str, ...]:
        return (self.calls, self.linked, self.call_agents, self.corrections, self.effective, self.sums,
                self.changes)

    def indexes(self) -> tuple[str, ...]:
        return (self.named("telephony_linked_by_call"), self.named("telephony_corrections_by_target"),
                self.named("telephony_corrections_of"), self.named("kpi_agent_days_by_team"))

    def ddl(self) -> list[str]:
        linked_by_call, corrections_by_target, corrections_of, agent_days = self.indexes()
        counters = ", ".join(f"{c} BIGINT NOT NULL" for c in COUNTERS)
        return [
            f"""CREATE TABLE IF NOT EXISTS {self.calls} (
        call_ref TEXT PRIMARY KEY, occurred_at TEXT NOT NULL)""",
            f"""CREATE TABLE IF NOT EXISTS {self.linked} (
        event_id TEXT PRIMARY KEY, call_ref TEXT NOT NULL, placed_at TEXT NOT NULL)""",
            f"CREATE INDEX IF NOT EXISTS {linked_by_call} ON {self.linked} (call_ref)",
            # Who handled each call (a transferred call has several legs): a survey or QA score for a
            # call already known for other agents only is refused (adapters/telephony/screening.py).
            f"""CREATE TABLE IF NOT EXISTS {self.call_agents} (
        call_id TEXT NOT NULL, agent_id TEXT NOT NULL, PRIMARY KEY (call_id, agent_id))""",
            # Corrections and voids of telephony events (projections/kpi.py): held = 1 while the
            # original is unknown; the effective table keeps what a corrected event counts as.
            f"""CREATE TABLE IF NOT EXISTS {self.corrections} (
        event_id TEXT PRIMARY KEY, target TEXT NOT NULL, kind TEXT NOT NULL, agent_id TEXT NOT NULL,
        team_id TEXT NOT NULL, occurred_at TEXT NOT NULL,
        body TEXT, held INTEGER NOT NULL)""",
            f"CREATE INDEX IF NOT EXISTS {corrections_by_target} ON {self.corrections} (held, target)",
            f"CREATE INDEX IF NOT EXISTS {corrections_of} ON {self.corrections} (target)",
            f"""CREATE TABLE IF NOT EXISTS {self.effective} (
        event_id TEXT PRIMARY KEY, payload TEXT NOT NULL)""",
            f"""CREATE TABLE IF NOT EXISTS {self.sums} (
        scope TEXT NOT NULL, scope_id TEXT NOT NULL, bucket TEXT NOT NULL, start TEXT NOT NULL,
        team_id TEXT NOT NULL, {counters},
        PRIMARY KEY (scope, scope_id, bucket, start))""",
            # Only leaderboards look agents up by team, and only in day buckets: a partial index
            # spares every interval write its upkeep.
            (f"CREATE INDEX IF NOT EXISTS {agent_days} ON {self.sums} (team_id, start) "
             "WHERE scope = 'agent' AND bucket = 'day'"),
            f"""CREATE TABLE IF NOT EXISTS {self.changes} (
        agent_id TEXT PRIMARY KEY, changed_at TEXT NOT NULL)""",
        ]


LIVE = KpiTables()
CHUNK = 500


def chunks(items: Sequence[str]) -> Iterable[Sequence[str]]:
    for start in range(0, len(items), CHUNK):
        yield items[start:start + CHUNK]


class KpiView:
    """Counts telephony events into the KPI tables (live, or fresh for a rebuild) inside the caller's transaction."""

    def __init__(self, tables: KpiTables = LIVE) -> None:
        self.t = tables
        self.archive = archive.LIVE.archive  # never rebuilt: the source of the KPI model
        insert = (
            f"INSERT INTO {tables.sums} (scope, scope_id, bucket, start, team_id, {_COLUMNS}) "
            f"VALUES (?, ?, ?, ?, ?, {', '.join('?' * len(COUNTERS))}) "
            "ON CONFLICT (scope, scope_id, bucket, start) DO UPDATE SET "
        )
        add = ", ".join(f"{c} = {tables.sums}.{c} + excluded.{c}" for c in COUNTERS)
        self._upsert = insert + "team_id = excluded.team_id, " + add
        # A correction changes figures where its event already counts: the row's team stays as
        # the events in their order left it, so the live model and a rebuild agree.
        self._upsert_keep_team = insert + add

    def apply_events(self, cur: Any, events: Sequence[Mapping[str, Any]], archived_until: ArchiveKey | None = None,
    ) -> int:
        """Counts new, distinct telephony events (archive dicts) into the KPI sums; returns rows touched.

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
        call_refs = {call_ref(e) for e in events if e["type"] == "call.completed"}
        index = PlacementIndex(call_times=self._load_call_times(cur, refs))
        placed_before = self._load_linked(cur, sorted(call_refs), index)
        known_calls = dict(index.call_times)
        batch = SumsBatch()
        teams: dict[str, str] = {}
        held = self._held_corrections(cur, [e["event_id"] for e in events])
        for event in events:
            teams[event["agent_id"]] = event["team_id"]
            if event["event_id"] in held:
                event = self._count_held(cur, event, held[event["event_id"]])
            batch.add_placed(index.place(event))
        self._write_calls(cur, index, known_calls)
        self._write_call_agents(cur, {(e["call_id"], e["agent_id"]) for e in events if e["type"] == "call.completed"})
        self._write_linked(cur, index, placed_before)
        self._mark_changed(cur, sorted(teams))
        return self._write_sums(cur, batch, teams)

    def _mark_changed(self, cur: Any, agents: Sequence[str]) -> None:
        """Remembers whose KPIs moved, for the goal-progress process manager."""
        now = datetime.now(UTC).isoformat()
        cur.executemany(
            f"INSERT INTO {self.t.changes} (agent_id, changed_at) VALUES (?, ?) "
            "ON CONFLICT (agent_id) DO UPDATE SET changed_at = excluded.changed_at",
            [(agent, now) for agent in agents],
        )

    def _load_call_times(self, cur: Any, refs: Sequence[str]) -> dict[tuple[str, str], datetime]:
        found: dict[tuple[str, str], datetime] = {}
        for part in chunks(refs):
            cur.execute(
                f"SELECT call_ref, occurred_at FROM {self.t.calls} WHERE call_ref IN ({','.join('?' * len(part))})",
                part,
            )
            for row in cur.rows():
                agent, call = row["call_ref"].split(SEP, 1)
                found[(agent, call)] = datetime.fromisoformat(row["occurred_at"])
        return found

    def _load_linked(self, cur: Any, refs: Sequence[str], index: PlacementIndex) -> dict[str, datetime]:
        """Surveys and QA scores already placed for these calls, into the index; by event id."""
        before: dict[str, datetime] = {}
        for part in chunks(refs):
            cur.execute(
                f"SELECT l.event_id, l.placed_at, a.payload, e.payload AS effective FROM {self.t.linked} l "
                f"JOIN {self.archive} a ON a.event_id = l.event_id "
                f"LEFT JOIN {self.t.effective} e ON e.event_id = l.event_id "
                f"WHERE l.call_ref IN ({','.join('?' * len(part))}) ORDER BY l.event_id",
                part,
            )
            for row in cur.rows():
                # The archive keeps the original bytes; the fields a move needs are as sent,
                # or as corrected: a move takes away what the event counts for now.
                event = _as_counted({**json.loads(row["payload"]), "event_id": row["event_id"]}, row["effective"])
                at = datetime.fromisoformat(row["placed_at"])
                index.linked.setdefault(call_key(event), []).append((event, at))
                before[row["event_id"]] = at
        return before

    def _write_calls(self, cur: Any, index: PlacementIndex, known: dict[tuple[str, str], datetime]
    ) -> None:
        changed = [
            (f"{agent}{SEP}{call}", at.isoformat())
            for (agent, call), at in index.call_times.items() if known.get((agent, call)) != at
        ]
        cur.executemany(
            f"INSERT INTO {self.t.calls} (call_ref, occurred_at) VALUES (?, ?) "
            "ON CONFLICT (call_ref) DO UPDATE SET occurred_at = excluded.occurred_at",
            changed,
        )

    def backfill_call_agents(self, cur: Any) -> None:
        """Fills who handled which call from the calls known before that table existed (once, on upgrade)."""
        if cur.execute(f"SELECT 1 AS found FROM {self.t.call_agents} LIMIT 1").rows():
            return
        refs = cur.execute(f"SELECT call_ref FROM {self.t.calls}").rows()
        legs = set()
        for row in refs:
            agent, call = row["call_ref"].split(SEP, 1)
            legs.add((call, agent))
        self._write_call_agents(cur, legs)

    def _write_call_agents(self, cur: Any, legs: set[tuple[str, str]]) -> None:
        """Who handled each call: surveys and QA scores for a call of other agents are refused at the door."""
        cur.executemany(
            f"INSERT INTO {self.t.call_agents} (call_id, agent_id) VALUES (?, ?) ON CONFLICT DO NOTHING",
            sorted(legs),
        )

    def _write_linked(self, cur: Any, index: PlacementIndex, before: dict[str, datetime]) -> None:
        changed = [
            (event["event_id"], call_ref(event), at.isoformat())
            for placed in index.linked.values() for event, at in placed
            if is_linked(event) and before.get(event["event_id"]) != at
        ]
        cur.executemany(
            f"INSERT INTO {self.t.linked} (event_id, call_ref, placed_at) VALUES (?, ?, ?) "
            "ON CONFLICT (event_id) DO UPDATE SET placed_at = excluded.placed_at",
            changed,
        )

    def _write_sums(self, cur: Any, batch: SumsBatch, teams: dict[str, str], keep_team: bool = False) -> int:
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
        cur.executemany(self._upsert_keep_team if keep_team else self._upsert, rows)
        cur.executemany(
            f"DELETE FROM {self.t.sums} WHERE scope = ? AND scope_id = ? AND bucket = ? AND start = ? AND events = 0",
            emptied,
        )
        return len(rows)

    def _held_corrections(self, cur: Any, ids: Sequence[str]) -> dict[str, list[dict[str, Any]]]:
        """Corrections that arrived before their original, for these event ids (rare: one probe first)."""
        found: dict[str, list[dict[str, Any]]] = {}
        if not ids or not cur.execute(f"SELECT 1 AS found FROM {self.t.corrections} WHERE held = 1 LIMIT 1").rows():
            return found
        for part in chunks(sorted(set(ids))):
            cur.execute(
                f"SELECT event_id, target, kind, agent_id, team_id, occurred_at, body FROM {self.t.corrections} "
                f"WHERE held = 1 AND target IN ({','.join('?' * len(part))}) ORDER BY event_id", part,
            )
            for row in cur.rows():
                found.setdefault(row["target"], []).append(_correction(row))
        return found

    def _count_held(self, cur: Any, event: Mapping[str, Any], corrections: list[dict[str, Any]]) -> Mapping[str, Any]:
        """An original arriving after its corrections: counted at once as corrected, the corrections released."""
        counted = effective(event, corrections)
        self._write_effective(cur, event["event_id"], counted, corrections)
        cur.executemany(f"UPDATE {self.t.corrections} SET held = 0 WHERE event_id = ?",
                        [(c["event_id"],) for c in corrections])
        return counted

    def _write_effective(self, cur: Any, event_id: str, counted: Mapping[str, Any],
                         corrections: Sequence[Mapping[str, Any]]) -> None:
        """Keeps what an event counts as, by the stored text of the winning body (the same live and rebuilt)."""
        if type(counted) is Voided:
            text: str | None = VOID_MARK
        else:
            text = next((c["body_text"] for c in corrections if c.get("event") is counted), None)
        if text is None:
            cur.execute(f"DELETE FROM {self.t.effective} WHERE event_id = ?", (event_id,))
        else:
            cur.execute(f"INSERT INTO {self.t.effective} (event_id, payload) VALUES (?, ?) "
                        "ON CONFLICT (event_id) DO UPDATE SET payload = excluded.payload", (event_id, text))

    def _apply_fixes(self, cur: Any, fixes: Sequence[Mapping[str, Any]], archived_until: ArchiveKey | None) -> int:
        """Records corrections and voids; for originals already counted, swaps old content for new where they count."""
        targets = sorted({target_of(f) for f in fixes})
        originals = self._counted_originals(cur, targets, archived_until)
        cur.executemany(
            f"INSERT INTO {self.t.corrections} (event_id, target, kind, agent_id, team_id, occurred_at, body, held) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [(f["event_id"], target_of(f), f["type"], f["agent_id"], f["team_id"], f["occurred_at"],
              json.dumps(f["event"], sort_keys=True) if f["type"] == "event.corrected" else None,
              int(target_of(f) not in originals)) for f in fixes],
        )
        known = sorted(originals)
        if not known:
            return 0
        corrections = self._all_corrections(cur, known)
        placed = self._placements(cur, known)
        batch, teams = SumsBatch(), {}
        for target in known:
            original, before = originals[target]
            now = effective(original, corrections.get(target, []))
            if now == before and type(now) is type(before):
                continue
            at = placed.get(target) or occurred_at(original)
            batch.add(before, at, -1)
            batch.add(now, at, 1)
            teams[original["agent_id"]] = original["team_id"]
            self._write_effective(cur, target, now, corrections.get(target, []))
        self._mark_changed(cur, sorted(teams))
        return self._write_sums(cur, batch, teams, keep_team=True)

    def _counted_originals(self, cur: Any, ids: Sequence[str], archived_until: ArchiveKey | None,
    ) -> dict[str, tuple[dict[str, Any], Mapping[str, Any]]]:
        """Of these event ids, the measured events already counted: (original, as counted now)."""
        found: dict[str, tuple[dict[str, Any], Mapping[str, Any]]] = {}
        for part in chunks(ids):
            cur.execute(
                "SELECT a.event_id, a.seq, a.type, a.occurred_at, a.payload, e.payload AS effective "
                f"FROM {self.archive} a LEFT JOIN {self.t.effective} e ON e.event_id = a.event_id "
                f"WHERE a.event_id IN ({','.join('?' * len(part))})", part,
            )
            for row in cur.rows():
                if is_correction(row) or (archived_until is not None and (int(row["seq"]), row["event_id"]) > archived_until):
                    continue  # a correction of a correction is never applied; a rebuild has not reached it yet
                # The stored time is the validated one, in UTC; the bytes are as sent.
                original = {**json.loads(row["payload"]), "event_id": row["event_id"], "occurred_at": row["occurred_at"]}
                found[row["event_id"]] = (original, _as_counted(original, row["effective"]))
        return found

    def _all_corrections(self, cur: Any, targets: Sequence[str]) -> dict[str, list[dict[str, Any]]]:
        found: dict[str, list[dict[str, Any]]] = {}
        for part in chunks(targets):
            cur.execute(
                f"SELECT event_id, target, kind, agent_id, team_id, occurred_at, body FROM {self.t.corrections} "
                f"WHERE target IN ({','.join('?' * len(part))}) ORDER BY event_id", part,
            )
            for row in cur.rows():
                found.setdefault(row["target"], []).append(_correction(row))
        return found

    def _placements(self, cur: Any, ids: Sequence[str]) -> dict[str, datetime]:
        """Where surveys and QA scores among these events count (their call's time, when known)."""
        found: dict[str, datetime] = {}
        for part in chunks(ids):
            cur.execute(f"SELECT event_id, placed_at FROM {self.t.linked} WHERE event_id IN ({','.join('?' * len(part))})",
                        part)
            found.update((row["event_id"], datetime.fromisoformat(row["placed_at"])) for row in cur.rows())
        return found


def call_ref(event: Mapping[str, Any]) -> str:
    agent, call = call_key(event)
    return f"{agent}{SEP}{call}"


# --- corrections and voids --------------------------------------------------------------

def _as_counted(original: dict[str, Any], stored: str | None) -> Mapping[str, Any]:
    """An event as it counts now: its effective content kept by `_apply_fixes`, else itself."""
    if stored is None:
        return original
    if stored == VOID_MARK:
        return Voided(original)
    return {**json.loads(stored), "event_id": original["event_id"]}


def _correction(row: Mapping[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = {"event_id": row["event_id"], "type": row["kind"], "occurred_at": row["occurred_at"],
                             "agent_id": row["agent_id"], "team_id": row["team_id"]}
    if row["body"] is not None:
        found["event"] = json.loads(row["body"])
        found["body_text"] = row["body"]
    return found


# --- reads for the telephony door and its admins (live tables) ---------------------------

def call_agents(run: Run, call_ids: Sequence[str]) -> dict[str, set[str]]:
    """The agents known to have handled each of these calls (a transferred call has several)."""
    found: dict[str, set[str]] = {}
    for part in chunks(sorted(set(call_ids))):
        rows = run(f"SELECT call_id, agent_id FROM {LIVE.call_agents} "
                   f"WHERE call_id IN ({','.join('?' * len(part))})", part)
        for row in rows:
            found.setdefault(row["call_id"], set()).add(row["agent_id"])
    return found


def mismatched_linked(run: Run, limit: int = 1000) -> list[dict[str, Any]]:
    """Surveys and QA scores counted for an agent who, as it turned out, did not handle their call."""
    rows = run(
        f"SELECT l.event_id, a.agent_id, a.payload FROM {LIVE.linked} l "
        f"JOIN {archive.ARCHIVE} a ON a.event_id = l.event_id "
        f"WHERE NOT EXISTS (SELECT 1 FROM {LIVE.calls} c WHERE c.call_ref = l.call_ref) "
        "ORDER BY l.event_id", (),
    )
    found: list[dict[str, Any]] = []
    calls = call_agents(run, [json.loads(r["payload"])["call_id"] for r in rows])
    for row in rows:
        call_id = json.loads(row["payload"])["call_id"]
        if calls.get(call_id):
            found.append({"event_id": row["event_id"], "agent_id": row["agent_id"], "call_id": call_id,
                          "call_agents": sorted(calls[call_id])})
        if len(found) >= limit:
            break
    return found


# --- reads of the sums and the change marks (live tables) --------------------------------

_SUMS = ", ".join(COUNTERS)
_SUMMED = ", ".join(f"SUM({c}) AS {c}" for c in COUNTERS)


def sums_rows(
    db: Database, scope: str, scope_id: str, bucket: str, start: str | None, end: str | None,
    after: str | None, limit: int | None,
) -> list[dict[str, Any]]:
    """The stored sums (start and counters) of one agent or team in one bucket kind, oldest first."""
    clauses, params = ["scope = ?", "scope_id = ?", "bucket = ?"], [scope, scope_id, bucket]
    for clause, value in (("start >= ?", start), ("start < ?", end), ("start > ?", after)):
        if value is not None:
            clauses.append(clause)
            params.append(value)
    limited = " LIMIT ?" if limit is not None else ""
    return db.query(
        f"SELECT start, {_SUMS} FROM {LIVE.sums} WHERE {' AND '.join(clauses)} ORDER BY start{limited}",
        (*params, *([limit] if limit is not None else [])),
    )


def team_of_agent(db: Database, agent_id: str) -> str | None:
    """The team of the agent's most recent KPI bucket."""
    rows = db.query(
        f"SELECT team_id FROM {LIVE.sums} WHERE scope = 'agent' AND scope_id = ? AND bucket = 'day' "
        "ORDER BY start DESC LIMIT 1",
        (agent_id,),
    )
    return str(rows[0]["team_id"]) if rows else None


def agent_day_totals(db: Database, team_id: str, start: str | None, end: str | None) -> list[dict[str, Any]]:
    """Each agent of the team with its day sums added up over the range (scope_id and counters)."""
    clauses, params = ["scope = 'agent'", "team_id = ?", "bucket = 'day'"], [team_id]
    for clause, value in (("start >= ?", start), ("start < ?", end)):
        if value is not None:
            clauses.append(clause)
            params.append(value)
    return db.query(
        f"SELECT scope_id, {_SUMMED} FROM {LIVE.sums} WHERE {' AND '.join(clauses)} GROUP BY scope_id",
        params,
    )


def period_sums(db: Database, agent_id: str, start: str, end: str) -> tuple[dict[str, Any], str | None]:
    """The agent's day sums over [start, end) added up (with n, the days found), and its latest interval's start."""
    bounds = (agent_id, start, end)
    sums = db.query(
        f"SELECT {_SUMMED}, COUNT(*) AS n FROM {LIVE.sums} WHERE scope = 'agent' AND scope_id = ? "
        "AND bucket = 'day' AND start >= ? AND start < ?", bounds)[0]
    latest = db.query(
        f"SELECT MAX(start) AS latest FROM {LIVE.sums} WHERE scope = 'agent' AND scope_id = ? "
        "AND bucket = 'interval' AND start >= ? AND start < ?", bounds)[0]["latest"]
    return sums, latest


def teams_since(db: Database, since: str) -> list[str]:
    """Teams with day sums from `since` on."""
    rows = db.query(
        f"SELECT DISTINCT scope_id FROM {LIVE.sums} WHERE scope = 'team' AND bucket = 'day' AND start >= ? "
        "ORDER BY scope_id", (since,))
    return [r["scope_id"] for r in rows]


def agent_days_of_team(db: Database, team_id: str, since: str) -> list[dict[str, Any]]:
    """The day sums (scope_id, start, counters) of the team's agents from `since` on."""
    return db.query(
        f"SELECT scope_id, start, {_SUMS} FROM {LIVE.sums} WHERE scope = 'agent' AND team_id = ? "
        "AND bucket = 'day' AND start >= ?", (team_id, since))


def has_team(db: Database, team_id: str) -> bool:
    return bool(db.query(f"SELECT 1 AS x FROM {LIVE.sums} WHERE scope = 'team' AND scope_id = ? LIMIT 1",
                         (team_id,)))


def team_ids_text() -> str:
    """A query of the teams with day sums (one column, team_id), to be combined with others."""
    return f"SELECT scope_id AS team_id FROM {LIVE.sums} WHERE scope = 'team' AND bucket = 'day'"


def changed_agents(db: Database) -> dict[str, str]:
    """Agents whose KPIs moved, with when they last moved."""
    return {r["agent_id"]: r["changed_at"] for r in db.query(f"SELECT agent_id, changed_at FROM {LIVE.changes}")}


def forget_change(db: Database, agent_id: str, changed_at: str) -> None:
    """Clears an agent's mark unless it moved again since it was read."""
    with db.transaction() as cur:
        cur.execute(f"DELETE FROM {LIVE.changes} WHERE agent_id = ? AND changed_at = ?", (agent_id, changed_at))


def mark_changed(db: Database, agent_id: str) -> None:
    """Marks an agent to be looked at again."""
    with db.transaction() as cur:
        cur.execute(f"INSERT INTO {LIVE.changes} (agent_id, changed_at) VALUES (?, ?) "
                    "ON CONFLICT (agent_id) DO NOTHING", (agent_id, datetime.now(UTC).isoformat()))


def corrections_rows(db: Database, event_id: str) -> list[dict[str, Any]]:
    """The corrections and voids of one telephony event, each with its archived row, in time order."""
    return db.query(
        "SELECT c.event_id, c.kind, c.agent_id, c.team_id, c.occurred_at, c.body, c.held, a.recorded_at, a.payload "
        f"FROM {LIVE.corrections} c JOIN {archive.ARCHIVE} a ON a.event_id = c.event_id "
        "WHERE c.target = ? ORDER BY c.occurred_at, c.event_id", (event_id,))


def counted_payload(db: Database, event_id: str) -> str | None:
    """What a corrected or voided event counts as (its effective text), None when it counts as sent."""
    stored = db.query(f"SELECT payload FROM {LIVE.effective} WHERE event_id = ?", (event_id,))
    return str(stored[0]["payload"]) if stored else None
