"""Where telephony events count in SQL: call times, surveys and QA scores placed at their call, who handled a call.

The late-event rule (projections/kpi.py, `PlacementIndex`) needs the call times already
known and the linked events already placed; this module loads and writes them for the KPI
view (adapters/sql/kpi_view.py) and answers the telephony door's questions about calls.
The only module that names these tables.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from adapters.sql import archive
from adapters.sql.kpi_corrections import as_counted
from adapters.sql.tables import TableSet
from projections.kpi import PlacementIndex, call_key, is_linked

SEP = "\x1f"
CHUNK = 500
Run = Callable[[str, Sequence[Any]], list[dict[str, Any]]]


@dataclass(frozen=True)
class PlacementTables(TableSet):
    @property
    def calls(self) -> str:
        return self.named("telephony_calls")

    @property
    def linked(self) -> str:
        return self.named("telephony_linked")

    @property
    def call_agents(self) -> str:
        return self.named("telephony_call_agents")

    def tables(self) -> tuple[str, ...]:
        return (self.calls, self.linked, self.call_agents)

    def indexes(self) -> tuple[str, ...]:
        return (self.named("telephony_linked_by_call"),)

    def ddl(self) -> list[str]:
        return [
            f"""CREATE TABLE IF NOT EXISTS {self.calls} (
        call_ref TEXT PRIMARY KEY, occurred_at TEXT NOT NULL)""",
            f"""CREATE TABLE IF NOT EXISTS {self.linked} (
        event_id TEXT PRIMARY KEY, call_ref TEXT NOT NULL, placed_at TEXT NOT NULL)""",
            f"CREATE INDEX IF NOT EXISTS {self.indexes()[0]} ON {self.linked} (call_ref)",
            # Who handled each call (a transferred call has several legs): a survey or QA score for a
            # call already known for other agents only is refused (adapters/telephony/screening.py).
            f"""CREATE TABLE IF NOT EXISTS {self.call_agents} (
        call_id TEXT NOT NULL, agent_id TEXT NOT NULL, PRIMARY KEY (call_id, agent_id))""",
        ]


LIVE = PlacementTables()


def chunks(items: Sequence[str]) -> Iterable[Sequence[str]]:
    for start in range(0, len(items), CHUNK):
        yield items[start:start + CHUNK]


class Placements:
    """The placement state of the KPI model (live, or fresh for a rebuild), inside the caller's transaction."""

    def __init__(self, tables: PlacementTables, effective: str) -> None:
        self.t = tables
        self.effective = effective  # what corrected events count as (adapters/sql/kpi_corrections.py)
        self.archive = archive.ARCHIVE  # never rebuilt: the source of the KPI model

    def load_call_times(self, cur: Any, refs: Sequence[str]) -> dict[tuple[str, str], datetime]:
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

    def load_linked(self, cur: Any, refs: Sequence[str], index: PlacementIndex) -> dict[str, datetime]:
        """Surveys and QA scores already placed for these calls, into the index; by event id."""
        before: dict[str, datetime] = {}
        for part in chunks(refs):
            cur.execute(
                f"SELECT l.event_id, l.placed_at, a.payload, e.payload AS effective FROM {self.t.linked} l "
                f"JOIN {self.archive} a ON a.event_id = l.event_id "
                f"LEFT JOIN {self.effective} e ON e.event_id = l.event_id "
                f"WHERE l.call_ref IN ({','.join('?' * len(part))}) ORDER BY l.event_id",
                part,
            )
            for row in cur.rows():
                # The archive keeps the original bytes; the fields a move needs are as sent,
                # or as corrected: a move takes away what the event counts for now.
                event = as_counted({**json.loads(row["payload"]), "event_id": row["event_id"]}, row["effective"])
                at = datetime.fromisoformat(row["placed_at"])
                index.linked.setdefault(call_key(event), []).append((event, at))
                before[row["event_id"]] = at
        return before

    def write_calls(self, cur: Any, index: PlacementIndex, known: dict[tuple[str, str], datetime]
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
        self.write_call_agents(cur, legs)

    def write_call_agents(self, cur: Any, legs: set[tuple[str, str]]) -> None:
        """Who handled each call: surveys and QA scores for a call of other agents are refused at the door."""
        cur.executemany(
            f"INSERT INTO {self.t.call_agents} (call_id, agent_id) VALUES (?, ?) ON CONFLICT DO NOTHING",
            sorted(legs),
        )

    def write_linked(self, cur: Any, index: PlacementIndex, before: dict[str, datetime]) -> None:
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

    def placements(self, cur: Any, ids: Sequence[str]) -> dict[str, datetime]:
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
