"""Where telephony events count in SQL: call times, surveys and QA scores placed at their
call, who handled a call.

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
from projections.kpi import PlacementIndex, call_key

SEP = "\x1f"
CHUNK = 500
Run = Callable[[str, Sequence[Any]], list[dict[str, Any]]]
Placement = tuple[datetime, tuple[str, str]]  # (counted at, (agent, team) counted for)


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

    @property
    def linked_calls(self) -> str:
        return self.named("telephony_linked_calls")

    @property
    def moved(self) -> str:
        return self.named("telephony_moved")

    def tables(self) -> tuple[str, ...]:
        return (self.calls, self.linked, self.call_agents, self.linked_calls, self.moved)

    def indexes(self) -> tuple[str, ...]:
        return (self.named("telephony_linked_by_call"),)

    def ddl(self) -> list[str]:
        return [
            f"""CREATE TABLE IF NOT EXISTS {self.calls} (
        call_ref TEXT PRIMARY KEY, occurred_at TEXT NOT NULL)""",
            f"""CREATE TABLE IF NOT EXISTS {self.linked} (
        event_id TEXT PRIMARY KEY, call_ref TEXT NOT NULL, placed_at TEXT NOT NULL)""",
            f"CREATE INDEX IF NOT EXISTS {self.indexes()[0]} ON {self.linked} (call_ref)",
            # Who handled each call (a transferred call has several legs): a survey or QA score
            # for a call already known for other agents only is refused
            # (adapters/telephony/screening.py).
            # team_id: the leg's team (the smallest, should a call key repeat across teams); ''
            # for legs recorded before the column existed (a survey moved to such a leg keeps its
            # own team).
            f"""CREATE TABLE IF NOT EXISTS {self.call_agents} (
        call_id TEXT NOT NULL, agent_id TEXT NOT NULL, team_id TEXT NOT NULL DEFAULT '',
        PRIMARY KEY (call_id, agent_id))""",
            # The surveys and QA scores of each call, whatever agent they name: a call's arrival
            # looks here, by its primary key, to find what it may move to its agent.
            f"""CREATE TABLE IF NOT EXISTS {self.linked_calls} (
        call_id TEXT NOT NULL, event_id TEXT NOT NULL, PRIMARY KEY (call_id, event_id))""",
            # Surveys and QA scores counted for their call's agent, not the one they name
            # (flagged: GET /v1/telephony/mismatches lists them).
            f"""CREATE TABLE IF NOT EXISTS {self.moved} (
        event_id TEXT PRIMARY KEY, call_id TEXT NOT NULL, from_agent TEXT NOT NULL, """
            """from_team TEXT NOT NULL,
        agent_id TEXT NOT NULL, team_id TEXT NOT NULL)""",
        ]

    def upgrade(self, cur: Any) -> None:
        """Adds the leg team column to a table made before it existed, and indexes surveys by
        call (once)."""
        if cur.db.is_postgres:
            cur.execute(
                f"ALTER TABLE {self.call_agents} ADD COLUMN IF NOT EXISTS team_id "
                "TEXT NOT NULL DEFAULT ''"
            )
        elif not any(
            r["name"] == "team_id"
            for r in cur.execute(f"PRAGMA table_info({self.call_agents})").rows()
        ):
            cur.execute(
                f"ALTER TABLE {self.call_agents} ADD COLUMN team_id TEXT NOT NULL DEFAULT ''"
            )
        if cur.execute(f"SELECT 1 AS found FROM {self.linked_calls} LIMIT 1").rows():
            return
        rows = cur.execute(f"SELECT event_id, call_ref FROM {self.linked}").rows()
        cur.executemany(
            f"INSERT INTO {self.linked_calls} (call_id, event_id) VALUES (?, ?) "
            "ON CONFLICT DO NOTHING",
            [(r["call_ref"].split(SEP, 1)[1], r["event_id"]) for r in rows],
        )


LIVE = PlacementTables()


def chunks(items: Sequence[str]) -> Iterable[Sequence[str]]:
    for start in range(0, len(items), CHUNK):
        yield items[start : start + CHUNK]


class Placements:
    """The placement state of the KPI model (live, or fresh for a rebuild), inside the caller's
    transaction."""

    def __init__(self, tables: PlacementTables, effective: str) -> None:
        self.t = tables
        self.effective = (
            effective  # what corrected events count as (adapters/sql/kpi_corrections.py)
        )
        self.archive = archive.ARCHIVE  # never rebuilt: the source of the KPI model

    def load_call_times(self, cur: Any, refs: Sequence[str]) -> dict[tuple[str, str], datetime]:
        found: dict[tuple[str, str], datetime] = {}
        for part in chunks(refs):
            cur.execute(
                f"SELECT call_ref, occurred_at FROM {self.t.calls} "
                f"WHERE call_ref IN ({','.join('?' * len(part))})",
                part,
            )
            for row in cur.rows():
                agent, call = row["call_ref"].split(SEP, 1)
                found[(agent, call)] = datetime.fromisoformat(row["occurred_at"])
        return found

    def linked_of_calls(self, cur: Any, call_ids: Sequence[str]) -> list[str]:
        """The event ids of the surveys and QA scores stored for these calls (any agent named)."""
        found: list[str] = []
        for part in chunks(sorted(set(call_ids))):
            cur.execute(
                f"SELECT event_id FROM {self.t.linked_calls} "
                f"WHERE call_id IN ({','.join('?' * len(part))})",
                part,
            )
            found += [row["event_id"] for row in cur.rows()]
        return found

    def load_linked(
        self, cur: Any, ids: Sequence[str], index: PlacementIndex
    ) -> dict[str, Placement]:
        """These surveys and QA scores, already placed, into the index; where each counts, by
        event id."""
        before: dict[str, Placement] = {}
        for part in chunks(sorted(ids)):
            cur.execute(
                "SELECT l.event_id, l.placed_at, a.payload, e.payload AS effective, "
                f"m.agent_id AS moved_agent, m.team_id AS moved_team FROM {self.t.linked} l "
                f"JOIN {self.archive} a ON a.event_id = l.event_id "
                f"LEFT JOIN {self.effective} e ON e.event_id = l.event_id "
                f"LEFT JOIN {self.t.moved} m ON m.event_id = l.event_id "
                f"WHERE l.event_id IN ({','.join('?' * len(part))}) ORDER BY l.event_id",
                part,
            )
            for row in cur.rows():
                # The archive keeps the original bytes; the fields a move needs are as sent,
                # or as corrected: a move takes away what the event counts for now.
                event = as_counted(
                    {**json.loads(row["payload"]), "event_id": row["event_id"]}, row["effective"]
                )
                at = datetime.fromisoformat(row["placed_at"])
                index.add_linked(event, at)
                owner = (event["agent_id"], event["team_id"])
                if row["moved_agent"] is not None:
                    owner = index.moved[row["event_id"]] = (row["moved_agent"], row["moved_team"])
                before[row["event_id"]] = (at, owner)
        return before

    def load_legs(self, cur: Any, call_ids: Sequence[str], index: PlacementIndex) -> None:
        """Who handled these calls (with their teams and times), into the index."""
        refs = []
        for part in chunks(sorted(set(call_ids))):
            cur.execute(
                f"SELECT call_id, agent_id, team_id FROM {self.t.call_agents} "
                f"WHERE call_id IN ({','.join('?' * len(part))})",
                part,
            )
            for row in cur.rows():
                index.legs.setdefault(row["call_id"], {})[row["agent_id"]] = row["team_id"]
                if (row["agent_id"], row["call_id"]) not in index.call_times:
                    refs.append(f"{row['agent_id']}{SEP}{row['call_id']}")
        index.call_times.update(self.load_call_times(cur, refs))

    def write_calls(
        self, cur: Any, index: PlacementIndex, known: dict[tuple[str, str], datetime]
    ) -> None:
        changed = [
            (f"{agent}{SEP}{call}", at.isoformat())
            for (agent, call), at in index.call_times.items()
            if known.get((agent, call)) != at
        ]
        cur.executemany(
            f"INSERT INTO {self.t.calls} (call_ref, occurred_at) VALUES (?, ?) "
            "ON CONFLICT (call_ref) DO UPDATE SET occurred_at = excluded.occurred_at",
            changed,
        )

    def backfill_call_agents(self, cur: Any) -> None:
        """Fills who handled which call from the calls known before that table existed (once, on
        upgrade)."""
        self.t.upgrade(cur)
        if cur.execute(f"SELECT 1 AS found FROM {self.t.call_agents} LIMIT 1").rows():
            return
        refs = cur.execute(f"SELECT call_ref FROM {self.t.calls}").rows()
        legs: dict[tuple[str, str], str] = {}
        for row in refs:
            agent, call = row["call_ref"].split(SEP, 1)
            legs[(call, agent)] = ""
        self.write_call_agents(cur, legs)

    def write_call_agents(self, cur: Any, legs: Mapping[tuple[str, str], str]) -> None:
        """Who handled each call, with the leg's team: (call_id, agent_id) -> team_id."""
        t = self.t.call_agents
        cur.executemany(
            f"INSERT INTO {t} (call_id, agent_id, team_id) VALUES (?, ?, ?) "
            "ON CONFLICT (call_id, agent_id) "
            f"DO UPDATE SET team_id = excluded.team_id WHERE {t}.team_id = '' "
            f"OR excluded.team_id < {t}.team_id",
            [(call, agent, team) for (call, agent), team in sorted(legs.items())],
        )

    def write_linked(
        self, cur: Any, index: PlacementIndex, before: Mapping[str, Placement]
    ) -> None:
        """Where each survey and QA score of the index counts now, where that changed (and who it
        is moved to)."""
        changed, new, moved, unmoved = [], [], [], []
        for placed in index.linked.values():
            for event, at in placed:
                owner = index.counted_for(event)
                was = before.get(event["event_id"])
                if was is None:
                    new.append((event["call_id"], event["event_id"]))
                if was is not None and was[0] == at and was[1] == owner:
                    continue
                changed.append((event["event_id"], call_ref(event), at.isoformat()))
                if owner != (event["agent_id"], event["team_id"]):
                    moved.append(
                        (
                            event["event_id"],
                            event["call_id"],
                            event["agent_id"],
                            event["team_id"],
                            *owner,
                        )
                    )
                elif was is not None:
                    unmoved.append((event["event_id"],))
        cur.executemany(
            f"INSERT INTO {self.t.linked} (event_id, call_ref, placed_at) VALUES (?, ?, ?) "
            "ON CONFLICT (event_id) DO UPDATE SET placed_at = excluded.placed_at",
            changed,
        )
        cur.executemany(
            f"INSERT INTO {self.t.linked_calls} (call_id, event_id) VALUES (?, ?) "
            "ON CONFLICT DO NOTHING",
            new,
        )
        cur.executemany(
            f"INSERT INTO {self.t.moved} "
            "(event_id, call_id, from_agent, from_team, agent_id, team_id) "
            "VALUES (?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (event_id) DO UPDATE SET agent_id = excluded.agent_id, "
            "team_id = excluded.team_id",
            moved,
        )
        cur.executemany(f"DELETE FROM {self.t.moved} WHERE event_id = ?", unmoved)

    def placements(
        self, cur: Any, ids: Sequence[str]
    ) -> dict[str, tuple[datetime, tuple[str, str] | None]]:
        """Where surveys and QA scores among these events count: their call's time and agent
        (and team), when known."""
        found: dict[str, tuple[datetime, tuple[str, str] | None]] = {}
        for part in chunks(ids):
            cur.execute(
                f"SELECT l.event_id, l.placed_at, m.agent_id, m.team_id FROM {self.t.linked} l "
                f"LEFT JOIN {self.t.moved} m ON m.event_id = l.event_id "
                f"WHERE l.event_id IN ({','.join('?' * len(part))})",
                part,
            )
            for row in cur.rows():
                owner = None if row["agent_id"] is None else (row["agent_id"], row["team_id"])
                found[row["event_id"]] = (datetime.fromisoformat(row["placed_at"]), owner)
        return found


def call_ref(event: Mapping[str, Any]) -> str:
    agent, call = call_key(event)
    return f"{agent}{SEP}{call}"


def call_agents(run: Run, call_ids: Sequence[str]) -> dict[str, set[str]]:
    """The agents known to have handled each of these calls (a transferred call has several)."""
    found: dict[str, set[str]] = {}
    for part in chunks(sorted(set(call_ids))):
        rows = run(
            f"SELECT call_id, agent_id FROM {LIVE.call_agents} "
            f"WHERE call_id IN ({','.join('?' * len(part))})",
            part,
        )
        for row in rows:
            found.setdefault(row["call_id"], set()).add(row["agent_id"])
    return found


def mismatched_linked(run: Run, limit: int = 1000) -> list[dict[str, Any]]:
    """Surveys and QA scores naming an agent who did not handle their call, moved to the
    call's agent."""
    rows = run(
        f"SELECT event_id, call_id, from_agent, from_team, agent_id, team_id FROM {LIVE.moved} "
        "ORDER BY event_id LIMIT ?",
        (limit,),
    )
    calls = call_agents(run, [r["call_id"] for r in rows])
    return [
        {
            "event_id": r["event_id"],
            "agent_id": r["from_agent"],
            "call_id": r["call_id"],
            "call_agents": sorted(calls.get(r["call_id"], ())),
            "moved_from": {"agent_id": r["from_agent"], "team_id": r["from_team"]},
            "moved_to": {"agent_id": r["agent_id"], "team_id": r["team_id"]},
        }
        for r in rows
    ]
