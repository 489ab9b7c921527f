"""Applies domain events to the document and history read models, each event exactly once.

Events of one aggregate arrive in version order (one Kafka key, one partition), but
may arrive twice (at-least-once relay, re-feeds after a new broker life). A model only
takes the version right after the one it holds: older ones are duplicates, and a
version further ahead means a gap, which is left for the re-feed to fill in order.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from aggregates.contract import GENESIS, EventEnvelope
from projections.alerts import apply_alert, apply_alert_rules
from projections.check_ins import apply_check_in
from projections.goals import apply_goal, apply_goal_template
from projections.history import history_entry
from projections.parking import blocked, park_event, store_source
from projections.reviews import apply_agent_reviews, apply_review, apply_review_template

Doc = dict[str, Any]
Builder = Callable[[Doc | None, EventEnvelope], Doc]
Source = Callable[[EventEnvelope], str]

BUILDERS: dict[str, Builder] = {
    "Goal": apply_goal, "CheckIn": apply_check_in, "Review": apply_review,
    "GoalTemplate": apply_goal_template, "ReviewTemplate": apply_review_template,
    "Alert": apply_alert, "AlertRules": apply_alert_rules, "AgentReviews": apply_agent_reviews,
}
CHUNK = 500


class Cursor(Protocol):
    def execute(self, text: str, params: Sequence[Any] = ()) -> Any: ...
    def executemany(self, text: str, rows: Sequence[Sequence[Any]]) -> None: ...
    def rows(self) -> list[dict[str, Any]]: ...


@dataclass
class Applied:
    """What one batch did: events taken, duplicates skipped, gaps seen, events parked behind a parked one."""

    applied: int = 0
    duplicates: int = 0
    gaps: list[tuple[str, int]] = field(default_factory=list)
    waiting: int = 0


def chunks(items: Sequence[str]) -> Iterable[Sequence[str]]:
    for start in range(0, len(items), CHUNK):
        yield items[start:start + CHUNK]


class EventProjection:
    """The documents (goals, ...) and the history, projected from domain events."""

    def __init__(self, builders: dict[str, Builder] | None = None) -> None:
        self.builders = builders or BUILDERS

    def apply(self, cur: Cursor, events: Sequence[EventEnvelope], source: Source = store_source) -> Applied:
        """Applies events in order; raises on an event that cannot be applied (see projections/parking.py)."""
        result = Applied()
        ids = sorted({e.id for e in events})
        docs = self._load_docs(cur, ids)
        heads = self._load_heads(cur, ids)
        changed: dict[str, tuple[str, Doc]] = {}
        entries: list[dict[str, Any]] = []
        for event in events:
            builder = self.builders.get(event.kind)
            if builder is not None and self._next(docs.get(event.id, (None, 0))[1], event, result):
                doc = builder(docs.get(event.id, (None, 0))[0], event)
                docs[event.id] = (doc, event.version)
                changed[event.id] = (event.kind, doc)
            version, last_hash = heads.get(event.id, (0, GENESIS))
            if self._next(version, event, result):
                entry = history_entry(event, last_hash)
                heads[event.id] = (event.version, entry["hash"])
                entries.append(entry)
                result.applied += 1
        self._write_docs(cur, changed)
        self._write_history(cur, entries)
        self._park_waiting(cur, events, result, source)
        return result

    @staticmethod
    def _park_waiting(cur: Cursor, events: Sequence[EventEnvelope], result: Applied, source: Source) -> None:
        """Gaps behind a parked version are not gaps to re-feed: they wait, parked, behind it."""
        gaps = list(dict.fromkeys(result.gaps))
        result.gaps = gaps
        if not gaps:
            return
        first_parked = blocked(cur, sorted({aggregate for aggregate, _ in gaps}))
        if not first_parked:
            return
        by_key = {(e.id, e.version): e for e in events}
        result.gaps = []
        for key in gaps:
            behind = first_parked.get(key[0])
            if behind is None or key[1] <= behind:
                result.gaps.append(key)
                continue
            event = by_key[key]
            park_event(cur, event, source(event), f"waits behind version {behind}, which is parked", behind)
            result.waiting += 1

    @staticmethod
    def _next(held: int, event: EventEnvelope, result: Applied) -> bool:
        if event.version == held + 1:
            return True
        if event.version <= held:
            result.duplicates += 1
        else:
            result.gaps.append((event.id, event.version))
        return False

    @staticmethod
    def _load_docs(cur: Cursor, ids: Sequence[str]) -> dict[str, tuple[Doc | None, int]]:
        found: dict[str, tuple[Doc | None, int]] = {}
        for part in chunks(ids):
            marks = ",".join("?" * len(part))
            cur.execute(f"SELECT id, version, doc FROM documents WHERE id IN ({marks})", part)
            for row in cur.rows():
                found[row["id"]] = (json.loads(row["doc"]), int(row["version"]))
        return found

    @staticmethod
    def _load_heads(cur: Cursor, ids: Sequence[str]) -> dict[str, tuple[int, str]]:
        found: dict[str, tuple[int, str]] = {}
        for part in chunks(ids):
            marks = ",".join("?" * len(part))
            cur.execute(
                f"SELECT h.aggregate_id, h.version, h.hash FROM history h JOIN ("
                f"SELECT aggregate_id, MAX(version) AS v FROM history WHERE aggregate_id IN ({marks}) "
                f"GROUP BY aggregate_id) m ON h.aggregate_id = m.aggregate_id AND h.version = m.v",
                part,
            )
            for row in cur.rows():
                found[row["aggregate_id"]] = (int(row["version"]), row["hash"])
        return found

    @staticmethod
    def _write_docs(cur: Cursor, changed: dict[str, tuple[str, Doc]]) -> None:
        cur.executemany(
            "INSERT INTO documents (kind, id, version, agent_id, team_id, status, doc, updated_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (kind, id) DO UPDATE SET "
            "version = excluded.version, agent_id = excluded.agent_id, team_id = excluded.team_id, "
            "status = excluded.status, doc = excluded.doc, updated_at = excluded.updated_at",
            [
                (kind, doc_id, doc["version"], doc.get("agent_id"), doc.get("team_id"),
                 doc.get("status"), json.dumps(doc, sort_keys=True), doc["updated_at"])
                for doc_id, (kind, doc) in changed.items()
            ],
        )

    @staticmethod
    def _write_history(cur: Cursor, entries: list[dict[str, Any]]) -> None:
        cur.executemany(
            "INSERT INTO history (aggregate_id, version, type, at, actor, data, notification_id, "
            "hash, prev_hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (e["aggregate_id"], e["version"], e["type"], e["at"], e["actor"],
                 json.dumps(e["data"], sort_keys=True), e["notification_id"], e["hash"], e["prev_hash"])
                for e in entries
            ],
        )
