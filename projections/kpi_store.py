"""The KPI read model in SQL: places new telephony events and adds their sums, in one transaction.

Interval and day sums are stored; week and month sums are added up from days when read.

The pure rules are in projections/kpi.py. This module loads the little state the late-event
rule needs (known call times, surveys and QA scores already placed), runs the rule for a
batch, and writes back: call times, placements, and additive changes to `kpi_sums`.
A record whose events all moved away is deleted, so live and rebuilt models match row for row.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from projections.kpi import COUNTERS, PlacementIndex, SumsBatch, call_key, is_linked
from projections.store import Cursor, chunks

SEP = "\x1f"
# Weeks and months are summed from days when read: a month is at most 31 rows, and not
# storing them halves the writes per event.
STORED_KINDS = ("interval", "day")
_COLUMNS = ", ".join(COUNTERS)
_UPSERT = (
    f"INSERT INTO kpi_sums (scope, scope_id, bucket, start, team_id, {_COLUMNS}) "
    f"VALUES (?, ?, ?, ?, ?, {', '.join('?' * len(COUNTERS))}) "
    "ON CONFLICT (scope, scope_id, bucket, start) DO UPDATE SET team_id = excluded.team_id, "
    + ", ".join(f"{c} = kpi_sums.{c} + excluded.{c}" for c in COUNTERS)
)


def call_ref(event: Mapping[str, Any]) -> str:
    agent, call = call_key(event)
    return f"{agent}{SEP}{call}"


def apply_events(cur: Cursor, events: Sequence[Mapping[str, Any]]) -> int:
    """Counts new, distinct telephony events (archive dicts) into the KPI sums; returns rows touched."""
    if not events:
        return 0
    refs = sorted({call_ref(e) for e in events if "call_id" in e})
    call_refs = {call_ref(e) for e in events if e["type"] == "call.completed"}
    index = PlacementIndex(call_times=_load_call_times(cur, refs))
    placed_before = _load_linked(cur, sorted(call_refs), index)
    known_calls = dict(index.call_times)
    batch = SumsBatch()
    teams: dict[str, str] = {}
    for event in events:
        teams[event["agent_id"]] = event["team_id"]
        batch.add_placed(index.place(event))
    _write_calls(cur, index, known_calls)
    _write_call_agents(cur, {(e["call_id"], e["agent_id"]) for e in events if e["type"] == "call.completed"})
    _write_linked(cur, index, placed_before)
    _mark_changed(cur, sorted(teams))
    return _write_sums(cur, batch, teams)


def _mark_changed(cur: Cursor, agents: Sequence[str]) -> None:
    """Remembers whose KPIs moved, for the goal-progress process manager."""
    now = datetime.now(UTC).isoformat()
    cur.executemany(
        "INSERT INTO kpi_changes (agent_id, changed_at) VALUES (?, ?) "
        "ON CONFLICT (agent_id) DO UPDATE SET changed_at = excluded.changed_at",
        [(agent, now) for agent in agents],
    )


def _load_call_times(cur: Cursor, refs: Sequence[str]) -> dict[tuple[str, str], datetime]:
    found: dict[tuple[str, str], datetime] = {}
    for part in chunks(refs):
        cur.execute(
            f"SELECT call_ref, occurred_at FROM telephony_calls WHERE call_ref IN ({','.join('?' * len(part))})",
            part,
        )
        for row in cur.rows():
            agent, call = row["call_ref"].split(SEP, 1)
            found[(agent, call)] = datetime.fromisoformat(row["occurred_at"])
    return found


def _load_linked(cur: Cursor, refs: Sequence[str], index: PlacementIndex) -> dict[str, datetime]:
    """Surveys and QA scores already placed for these calls, into the index; by event id."""
    before: dict[str, datetime] = {}
    for part in chunks(refs):
        cur.execute(
            f"SELECT l.event_id, l.placed_at, a.payload FROM telephony_linked l "
            f"JOIN telephony_archive a ON a.event_id = l.event_id "
            f"WHERE l.call_ref IN ({','.join('?' * len(part))}) ORDER BY l.event_id",
            part,
        )
        for row in cur.rows():
            # The archive keeps the original bytes; the fields a move needs are as sent.
            event = {**json.loads(row["payload"]), "event_id": row["event_id"]}
            at = datetime.fromisoformat(row["placed_at"])
            index.linked.setdefault(call_key(event), []).append((event, at))
            before[row["event_id"]] = at
    return before


def _write_calls(
    cur: Cursor, index: PlacementIndex, known: dict[tuple[str, str], datetime]
) -> None:
    changed = [
        (f"{agent}{SEP}{call}", at.isoformat())
        for (agent, call), at in index.call_times.items() if known.get((agent, call)) != at
    ]
    cur.executemany(
        "INSERT INTO telephony_calls (call_ref, occurred_at) VALUES (?, ?) "
        "ON CONFLICT (call_ref) DO UPDATE SET occurred_at = excluded.occurred_at",
        changed,
    )


def backfill_call_agents(cur: Cursor) -> None:
    """Fills who handled which call from the calls known before that table existed (once, on upgrade)."""
    if cur.execute("SELECT 1 AS found FROM telephony_call_agents LIMIT 1").rows():
        return
    refs = cur.execute("SELECT call_ref FROM telephony_calls").rows()
    legs = set()
    for row in refs:
        agent, call = row["call_ref"].split(SEP, 1)
        legs.add((call, agent))
    _write_call_agents(cur, legs)


def _write_call_agents(cur: Cursor, legs: set[tuple[str, str]]) -> None:
    """Who handled each call: surveys and QA scores for a call of other agents are refused at the door."""
    cur.executemany(
        "INSERT INTO telephony_call_agents (call_id, agent_id) VALUES (?, ?) ON CONFLICT DO NOTHING",
        sorted(legs),
    )


def _write_linked(cur: Cursor, index: PlacementIndex, before: dict[str, datetime]) -> None:
    changed = [
        (event["event_id"], call_ref(event), at.isoformat())
        for placed in index.linked.values() for event, at in placed
        if is_linked(event) and before.get(event["event_id"]) != at
    ]
    cur.executemany(
        "INSERT INTO telephony_linked (event_id, call_ref, placed_at) VALUES (?, ?, ?) "
        "ON CONFLICT (event_id) DO UPDATE SET placed_at = excluded.placed_at",
        changed,
    )


def _write_sums(cur: Cursor, batch: SumsBatch, teams: dict[str, str]) -> int:
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
    cur.executemany(_UPSERT, rows)
    cur.executemany(
        "DELETE FROM kpi_sums WHERE scope = ? AND scope_id = ? AND bucket = ? AND start = ? AND events = 0",
        emptied,
    )
    return len(rows)
