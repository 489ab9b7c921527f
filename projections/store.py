"""Applies domain events to the document and event-trail read models, each event exactly once.

Events of one aggregate arrive in version order (one Kafka key, one partition), but
may arrive twice (at-least-once relay, re-feeds after a new broker life). A model only
takes the version right after the one it holds: older ones are duplicates, and a
version further ahead means a gap, which is left for the re-feed to fill in order.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from aggregates.contract import GENESIS, EventEnvelope
from projections.alerts import apply_alert, apply_alert_rules
from projections.check_ins import apply_check_in
from projections.development_plans import apply_development_plan
from projections.goals import apply_goal, apply_goal_template
from projections.history_rows import history_entry
from projections.parking import Parking, blocked, park_event, store_source
from projections.reviews import apply_agent_reviews, apply_review, apply_review_template

Doc = dict[str, Any]
Builder = Callable[[Doc | None, EventEnvelope], Doc]
Source = Callable[[EventEnvelope], str]

BUILDERS: dict[str, Builder] = {
    "Goal": apply_goal,
    "CheckIn": apply_check_in,
    "Review": apply_review,
    "GoalTemplate": apply_goal_template,
    "ReviewTemplate": apply_review_template,
    "Alert": apply_alert,
    "AlertRules": apply_alert_rules,
    "AgentReviews": apply_agent_reviews,
    "DevelopmentPlan": apply_development_plan,
}
CHUNK = 500


class Cursor(Protocol):
    def execute(self, text: str, params: Sequence[Any] = ()) -> Any: ...
    def executemany(self, text: str, rows: Sequence[Sequence[Any]]) -> None: ...
    def rows(self) -> list[dict[str, Any]]: ...


class EventModels(Protocol):
    """Where the document model and the event trail are kept (adapters/sql/documents_view.py), in
    `cur`'s transaction."""

    def load_docs(self, cur: Any, ids: Sequence[str]) -> dict[str, tuple[Doc | None, int]]: ...
    def load_heads(self, cur: Any, ids: Sequence[str]) -> dict[str, tuple[int, str]]: ...
    def write_docs(self, cur: Any, changed: dict[str, tuple[str, Doc]]) -> None: ...
    def write_trail(self, cur: Any, entries: list[dict[str, Any]]) -> None: ...


@dataclass
class Applied:
    """What one batch did: events taken, duplicates skipped, gaps seen, events parked behind a
    parked one."""

    applied: int = 0
    duplicates: int = 0
    gaps: list[tuple[str, int]] = field(default_factory=list)
    waiting: int = 0


def chunks(items: Sequence[str]) -> Iterable[Sequence[str]]:
    for start in range(0, len(items), CHUNK):
        yield items[start : start + CHUNK]


class EventProjection:
    """The document models (goals, ...) and the event trail, projected from domain events."""

    def __init__(
        self, models: EventModels, parking: Parking, builders: dict[str, Builder] | None = None
    ) -> None:
        self.models = models
        self.parking = parking
        self.builders = builders or BUILDERS

    def apply(
        self, cur: Cursor, events: Sequence[EventEnvelope], source: Source = store_source
    ) -> Applied:
        """Applies events in order; raises on an event that cannot be applied (see
        projections/parking.py)."""
        result = Applied()
        ids = sorted({e.id for e in events})
        docs = self.models.load_docs(cur, ids)
        heads = self.models.load_heads(cur, ids)
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
        self.models.write_docs(cur, changed)
        self.models.write_trail(cur, entries)
        self._park_waiting(cur, events, result, source)
        return result

    def _park_waiting(
        self, cur: Cursor, events: Sequence[EventEnvelope], result: Applied, source: Source
    ) -> None:
        """Gaps behind a parked version are not gaps to re-feed: they wait, parked, behind it."""
        gaps = list(dict.fromkeys(result.gaps))
        result.gaps = gaps
        if not gaps:
            return
        first_parked = blocked(self.parking, cur, sorted({aggregate for aggregate, _ in gaps}))
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
            park_event(
                self.parking,
                cur,
                event,
                source(event),
                f"waits behind version {behind}, which is parked",
                behind,
            )
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
