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
from projections.store import Cursor, chunks

SEP = "\x1f"
# Weeks and months are summed from days when read: a month is at most 31 rows, and not
# storing them halves the writes per event.
STORED_KINDS = ("interval", "day")
_COLUMNS = ", ".join(COUNTERS)
_INSERT = (
    f"INSERT INTO kpi_sums (scope, scope_id, bucket, start, team_id, {_COLUMNS}) "
    f"VALUES (?, ?, ?, ?, ?, {', '.join('?' * len(COUNTERS))}) "
    "ON CONFLICT (scope, scope_id, bucket, start) DO UPDATE SET "
)
_ADD = ", ".join(f"{c} = kpi_sums.{c} + excluded.{c}" for c in COUNTERS)
_UPSERT = _INSERT + "team_id = excluded.team_id, " + _ADD
# A correction changes figures where its event already counts: the row's team stays as
# the events in their order left it, so the live model and a rebuild agree.
_UPSERT_KEEP_TEAM = _INSERT + _ADD
VOID_MARK = '{"voided": true}'
ArchiveKey = tuple[int, str]


def call_ref(event: Mapping[str, Any]) -> str:
    agent, call = call_key(event)
    return f"{agent}{SEP}{call}"


def apply_events(
    cur: Cursor, events: Sequence[Mapping[str, Any]], archived_until: ArchiveKey | None = None,
) -> int:
    """Counts new, distinct telephony events (archive dicts) into the KPI sums; returns rows touched.

    Corrections and voids are applied after the batch's other events. `archived_until` is
    for a rebuild, which feeds the archive in (seq, event_id) order: only events archived
    up to there count as known; live, every archived event is.
    """
    fixes = [e for e in events if is_correction(e)]
    if fixes:
        events = [e for e in events if not is_correction(e)]
    touched = _apply_measured(cur, events) if events else 0
    if fixes:
        touched += _apply_fixes(cur, fixes, archived_until)
    return touched


def _apply_measured(cur: Cursor, events: Sequence[Mapping[str, Any]]) -> int:
    refs = sorted({call_ref(e) for e in events if "call_id" in e})
    call_refs = {call_ref(e) for e in events if e["type"] == "call.completed"}
    index = PlacementIndex(call_times=_load_call_times(cur, refs))
    placed_before = _load_linked(cur, sorted(call_refs), index)
    known_calls = dict(index.call_times)
    batch = SumsBatch()
    teams: dict[str, str] = {}
    held = _held_corrections(cur, [e["event_id"] for e in events])
    for event in events:
        teams[event["agent_id"]] = event["team_id"]
        if event["event_id"] in held:
            event = _count_held(cur, event, held[event["event_id"]])
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
            f"SELECT l.event_id, l.placed_at, a.payload, e.payload AS effective FROM telephony_linked l "
            f"JOIN telephony_archive a ON a.event_id = l.event_id "
            f"LEFT JOIN telephony_effective e ON e.event_id = l.event_id "
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


def _write_sums(cur: Cursor, batch: SumsBatch, teams: dict[str, str], keep_team: bool = False) -> int:
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
    cur.executemany(_UPSERT_KEEP_TEAM if keep_team else _UPSERT, rows)
    cur.executemany(
        "DELETE FROM kpi_sums WHERE scope = ? AND scope_id = ? AND bucket = ? AND start = ? AND events = 0",
        emptied,
    )
    return len(rows)


# --- corrections and voids --------------------------------------------------------------

def _as_counted(original: dict[str, Any], stored: str | None) -> Mapping[str, Any]:
    """An event as it counts now: its effective content kept by `_apply_fixes`, else itself."""
    if stored is None:
        return original
    if stored == VOID_MARK:
        return Voided(original)
    return {**json.loads(stored), "event_id": original["event_id"]}


def _held_corrections(cur: Cursor, ids: Sequence[str]) -> dict[str, list[dict[str, Any]]]:
    """Corrections that arrived before their original, for these event ids (rare: one probe first)."""
    found: dict[str, list[dict[str, Any]]] = {}
    if not ids or not cur.execute("SELECT 1 AS found FROM telephony_corrections WHERE held = 1 LIMIT 1").rows():
        return found
    for part in chunks(sorted(set(ids))):
        cur.execute(
            "SELECT event_id, target, kind, agent_id, team_id, occurred_at, body FROM telephony_corrections "
            f"WHERE held = 1 AND target IN ({','.join('?' * len(part))}) ORDER BY event_id", part,
        )
        for row in cur.rows():
            found.setdefault(row["target"], []).append(_correction(row))
    return found


def _count_held(cur: Cursor, event: Mapping[str, Any], corrections: list[dict[str, Any]]) -> Mapping[str, Any]:
    """An original arriving after its corrections: counted at once as corrected, the corrections released."""
    counted = effective(event, corrections)
    _write_effective(cur, event["event_id"], counted, corrections)
    cur.executemany("UPDATE telephony_corrections SET held = 0 WHERE event_id = ?",
                    [(c["event_id"],) for c in corrections])
    return counted


def _correction(row: Mapping[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = {"event_id": row["event_id"], "type": row["kind"], "occurred_at": row["occurred_at"],
                             "agent_id": row["agent_id"], "team_id": row["team_id"]}
    if row["body"] is not None:
        found["event"] = json.loads(row["body"])
        found["body_text"] = row["body"]
    return found


def _write_effective(cur: Cursor, event_id: str, counted: Mapping[str, Any],
                     corrections: Sequence[Mapping[str, Any]]) -> None:
    """Keeps what an event counts as, by the stored text of the winning body (the same live and rebuilt)."""
    if type(counted) is Voided:
        text: str | None = VOID_MARK
    else:
        text = next((c["body_text"] for c in corrections if c.get("event") is counted), None)
    if text is None:
        cur.execute("DELETE FROM telephony_effective WHERE event_id = ?", (event_id,))
    else:
        cur.execute("INSERT INTO telephony_effective (event_id, payload) VALUES (?, ?) "
                    "ON CONFLICT (event_id) DO UPDATE SET payload = excluded.payload", (event_id, text))


def _apply_fixes(cur: Cursor, fixes: Sequence[Mapping[str, Any]], archived_until: ArchiveKey | None) -> int:
    """Records corrections and voids; for originals already counted, swaps old content for new where they count."""
    targets = sorted({target_of(f) for f in fixes})
    originals = _counted_originals(cur, targets, archived_until)
    cur.executemany(
        "INSERT INTO telephony_corrections (event_id, target, kind, agent_id, team_id, occurred_at, body, held) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [(f["event_id"], target_of(f), f["type"], f["agent_id"], f["team_id"], f["occurred_at"],
          json.dumps(f["event"], sort_keys=True) if f["type"] == "event.corrected" else None,
          int(target_of(f) not in originals)) for f in fixes],
    )
    known = sorted(originals)
    if not known:
        return 0
    corrections = _all_corrections(cur, known)
    placed = _placements(cur, known)
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
        _write_effective(cur, target, now, corrections.get(target, []))
    _mark_changed(cur, sorted(teams))
    return _write_sums(cur, batch, teams, keep_team=True)


def _counted_originals(
    cur: Cursor, ids: Sequence[str], archived_until: ArchiveKey | None,
) -> dict[str, tuple[dict[str, Any], Mapping[str, Any]]]:
    """Of these event ids, the measured events already counted: (original, as counted now)."""
    found: dict[str, tuple[dict[str, Any], Mapping[str, Any]]] = {}
    for part in chunks(ids):
        cur.execute(
            "SELECT a.event_id, a.seq, a.type, a.occurred_at, a.payload, e.payload AS effective "
            "FROM telephony_archive a LEFT JOIN telephony_effective e ON e.event_id = a.event_id "
            f"WHERE a.event_id IN ({','.join('?' * len(part))})", part,
        )
        for row in cur.rows():
            if is_correction(row) or (archived_until is not None and (int(row["seq"]), row["event_id"]) > archived_until):
                continue  # a correction of a correction is never applied; a rebuild has not reached it yet
            # The stored time is the validated one, in UTC; the bytes are as sent.
            original = {**json.loads(row["payload"]), "event_id": row["event_id"], "occurred_at": row["occurred_at"]}
            found[row["event_id"]] = (original, _as_counted(original, row["effective"]))
    return found


def _all_corrections(cur: Cursor, targets: Sequence[str]) -> dict[str, list[dict[str, Any]]]:
    found: dict[str, list[dict[str, Any]]] = {}
    for part in chunks(targets):
        cur.execute(
            "SELECT event_id, target, kind, agent_id, team_id, occurred_at, body FROM telephony_corrections "
            f"WHERE target IN ({','.join('?' * len(part))}) ORDER BY event_id", part,
        )
        for row in cur.rows():
            found.setdefault(row["target"], []).append(_correction(row))
    return found


def _placements(cur: Cursor, ids: Sequence[str]) -> dict[str, datetime]:
    """Where surveys and QA scores among these events count (their call's time, when known)."""
    found: dict[str, datetime] = {}
    for part in chunks(ids):
        cur.execute(f"SELECT event_id, placed_at FROM telephony_linked WHERE event_id IN ({','.join('?' * len(part))})",
                    part)
        found.update((row["event_id"], datetime.fromisoformat(row["placed_at"])) for row in cur.rows())
    return found
