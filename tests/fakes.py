"""In-memory fakes of the engine's ports (engine/ports.py), for unit tests without I/O.

tests/integration/test_port_contracts.py runs the same contract against each fake and the
real adapters (SQLite, PostgreSQL, the embedded broker), so a fake that drifts from
production fails there, not silently in the unit tests that trust it.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from aggregates.alert import alert_rules_id
from aggregates.contract import GENESIS, EventEnvelope, envelope_of
from aggregates.kpis import KPI_NAMES
from engine.alert_rules import DayValues
from engine.application import PerfLedger
from engine.ports import Message
from projections.goals import roll_up
from projections.history_rows import history_entry
from projections.kpi import COUNTERS, Sums, SumsKey, fold, kpis
from projections.store import BUILDERS

MAX_MESSAGE_BYTES = 1_048_576  # kafka-python's default max_request_size


class MessageSizeTooLargeError(Exception):
    """Named as kafka-python names it, so the pipeline's fault rule takes it for a data fault."""


class FakePublisher:
    """Publisher: keeps what it got per topic; refuses oversized messages, or all while down."""

    def __init__(self, max_bytes: int = MAX_MESSAGE_BYTES) -> None:
        self.topics: dict[str, list[Message]] = {}
        self.max_bytes = max_bytes
        self.down = False
        self.closed = 0

    def publish(self, topic: str, messages: Sequence[Message]) -> None:
        if self.down:
            raise ConnectionRefusedError(111, "broker away")
        for message in messages:
            if len(message[0]) + len(message[1]) > self.max_bytes:
                raise MessageSizeTooLargeError(f"the message is {len(message[1])} bytes")
        self.topics.setdefault(topic, []).extend(messages)

    def close(self) -> None:
        self.closed += 1

    def values(self, topic: str) -> list[bytes]:
        return [m[1] for m in self.topics.get(topic, [])]


class FakeBrokerLife:
    """BrokerLifeSource: one life until `restart`, which gives the broker a new one."""

    def __init__(self) -> None:
        self._lives = (f"life-{n}" for n in itertools.count(1))
        self.life = next(self._lives)
        self.reads = 0
        self.closed = False

    def current(self, timeout: float = 10.0) -> str:
        self.reads += 1
        return self.life

    def restart(self) -> None:
        self.life = next(self._lives)

    def close(self) -> None:
        self.closed = True


class FakeRelayPositions:
    """RelayPositions: the last saved (life, position)."""

    def __init__(self) -> None:
        self.saved: tuple[str, int] | None = None

    def load(self) -> tuple[str, int] | None:
        return self.saved

    def save(self, life: str, position: int) -> None:
        self.saved = (life, position)


class FakeParking:
    """Parking: one entry per (aggregate, version), a later parking replacing source and reason."""

    def __init__(self) -> None:
        self.parked: dict[tuple[str, int], tuple[str, str, bytes | None]] = {}

    def park(
        self, aggregate_id: str, version: int, source: str, reason: str, payload: bytes | None
    ) -> None:
        self.parked[(aggregate_id, version)] = (source, reason, payload)


def midnight(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=UTC)


class FakeReadModels:
    """The read models both sources read: documents, KPI sums, change marks, counters, positions."""

    def __init__(self) -> None:
        self.documents: dict[tuple[str, str], dict[str, Any]] = {}
        self.telephony: list[Mapping[str, Any]] = []
        self.sums: dict[SumsKey, Sums] = {}
        self.team_of: dict[str, str] = {}
        self.changes: dict[str, str] = {}
        self.marks: set[tuple[str, str]] = set()
        self.goal_position = 0
        self.accepted = 0
        self.synced = 0

    def project(self, events: Iterable[EventEnvelope]) -> None:
        """Domain events into documents, with the projections' own builders."""
        for event in events:
            key = (event.kind, event.id)
            self.documents[key] = BUILDERS[event.kind](self.documents.get(key), event)

    def accept(self, events: Sequence[Mapping[str, Any]]) -> None:
        """Accepted telephony events into the sums (the projections' own fold), marking their
        agents."""
        self.telephony.extend(events)
        self.sums = fold(self.telephony)
        now = datetime.now(UTC).isoformat()
        for event in events:
            self.team_of[event["agent_id"]] = event["team_id"]
            self.changes[event["agent_id"]] = now
        self.accepted += len(events)

    def sync(self, app: PerfLedger) -> None:
        """Projects what `app` stored since the last sync, as the projector would."""
        stored = app.recorder.select_notifications(
            start=self.synced, limit=10_000, inclusive_of_start=False
        )
        self.project(envelope_of(n.id, n.topic, app.event_as_dict(n)) for n in stored)
        self.synced = stored[-1].id if stored else self.synced

    def docs(self, kind: str, **where: str) -> list[dict[str, Any]]:
        return [
            doc
            for (k, _), doc in sorted(self.documents.items())
            if k == kind and all(doc.get(column) == value for column, value in where.items())
        ]

    def agent_sums(
        self, agent_id: str, bucket: str, start: datetime, end: datetime
    ) -> dict[datetime, Sums]:
        return {
            key[3]: sums
            for key, sums in self.sums.items()
            if key[:3] == ("agent", agent_id, bucket) and start <= key[3] < end
        }


class FakeProgressSource:
    """ProgressSource over FakeReadModels."""

    def __init__(self, models: FakeReadModels) -> None:
        self.models = models

    def changed_agents(self) -> dict[str, str]:
        return dict(self.models.changes)

    def forget_change(self, agent_id: str, changed_at: str) -> None:
        if self.models.changes.get(agent_id) == changed_at:
            del self.models.changes[agent_id]

    def mark_changed(self, agent_id: str) -> None:
        self.models.changes.setdefault(agent_id, datetime.now(UTC).isoformat())

    def measured_goals(self, agent_id: str) -> list[dict[str, Any]]:
        return [
            doc
            for doc in self.models.docs("Goal", agent_id=agent_id, status="active")
            if doc.get("kpi") in KPI_NAMES
        ]

    def period_kpis(
        self, agent_id: str, start: date, end: date
    ) -> tuple[dict[str, Any], datetime | None]:
        bounds = (midnight(start), midnight(end + timedelta(days=1)))
        days = self.models.agent_sums(agent_id, "day", *bounds)
        if not days:
            return kpis(dict.fromkeys(COUNTERS, 0)), None
        total = {c: sum(sums.get(c, 0) for sums in days.values()) for c in COUNTERS}
        intervals = self.models.agent_sums(agent_id, "interval", *bounds)
        return kpis(total), max(intervals) + timedelta(minutes=15) if intervals else None

    def claim(self, goal_id: str, interval_start: str) -> bool:
        if (goal_id, interval_start) in self.models.marks:
            return False
        self.models.marks.add((goal_id, interval_start))
        return True

    def goal_position(self) -> int:
        return self.models.goal_position

    def save_goal_position(self, position: int) -> None:
        self.models.goal_position = position


class FakeAlertSource:
    """AlertSource over FakeReadModels."""

    def __init__(self, models: FakeReadModels) -> None:
        self.models = models

    def fingerprint(self) -> str:
        watched = [
            [kind, len(docs), max((d["updated_at"] for d in docs), default=None)]
            for kind in ("AlertRules", "Goal")
            if (docs := self.models.docs(kind))
        ]
        return json.dumps([self.models.accepted, watched])

    def teams(self, since: date) -> list[str]:
        return sorted(
            {
                key[1]
                for key in self.models.sums
                if key[0] == "team" and key[2] == "day" and key[3] >= midnight(since)
            }
        )

    def day_values(self, team_id: str, since: date) -> DayValues:
        values: dict[str, dict[date, dict[str, Any]]] = {}
        for (scope, agent_id, bucket, start), sums in self.models.sums.items():
            if (
                (scope, bucket) == ("agent", "day")
                and start >= midnight(since)
                and self.models.team_of.get(agent_id) == team_id
            ):
                values.setdefault(agent_id, {})[start.date()] = kpis(
                    {c: sums.get(c, 0) for c in COUNTERS}
                )
        return values

    def active_goals(self, team_id: str) -> list[dict[str, Any]]:
        return [
            doc
            for doc in self.models.docs("Goal", team_id=team_id, status="active")
            if doc.get("kpi") in KPI_NAMES
        ]

    def rules(self, team_id: str) -> list[dict[str, Any]] | None:
        doc = self.models.documents.get(("AlertRules", str(alert_rules_id(team_id))))
        return list(doc["rules"]) if doc else None

    def known_alerts(self, ids: list[str]) -> set[str]:
        return {i for i in ids if ("Alert", i) in self.models.documents}


class FakeDocuments:
    """Documents (engine/ports.py) over FakeReadModels, the history chained as by the projector."""

    def __init__(self, models: FakeReadModels) -> None:
        self.models = models
        self.histories: dict[str, list[dict[str, Any]]] = {}

    def record(self, events: Iterable[EventEnvelope]) -> None:
        """Projects the events into documents and history rows."""
        events = list(events)
        self.models.project(events)
        for event in events:
            rows = self.histories.setdefault(event.id, [])
            if rows and rows[-1]["version"] >= event.version:
                continue  # at least once: a redelivered event is applied once
            rows.append(history_entry(event, rows[-1]["hash"] if rows else GENESIS))

    def get(self, kind: str, doc_id: str) -> dict[str, Any] | None:
        return self.models.documents.get((kind, doc_id))

    def find(self, doc_id: str) -> tuple[str, dict[str, Any]] | None:
        return next(
            ((kind, doc) for (kind, key), doc in self.models.documents.items() if key == doc_id),
            None,
        )

    def page(
        self,
        kind: str,
        *,
        filters: dict[str, str | None],
        teams: tuple[str, ...] | None,
        after: str | None,
        limit: int,
    ) -> list[dict[str, Any]]:
        found = [
            doc
            for (k, key), doc in sorted(self.models.documents.items())
            if k == kind
            and all(value is None or doc.get(column) == value for column, value in filters.items())
            and (teams is None or doc.get("team_id") in teams)
            and (not after or key > after)
        ]
        return found[:limit]

    def event_trail(self, aggregate_id: str) -> list[dict[str, Any]]:
        return [
            {
                "sequence": r["version"],
                "type": r["type"],
                "at": r["at"],
                "actor": r["actor"],
                "data": r["data"],
                "hash": r["hash"],
                "prev_hash": r["prev_hash"],
            }
            for r in self.histories.get(aggregate_id, [])
        ]

    def team_ids(self) -> list[str]:
        teams = {key[1] for key in self.models.sums if key[0] == "team" and key[2] == "day"}
        teams |= {
            doc["team_id"]
            for (kind, _), doc in self.models.documents.items()
            if kind == "Goal" and doc.get("team_id") is not None
        }
        return sorted(teams)

    def goal_rollup(
        self,
        team_id: str,
        template_id: str | None,
        start: date | None,
        end: date | None,
    ) -> dict[str, Any]:
        goals = [
            doc
            for doc in self.models.docs("Goal", team_id=team_id)
            if template_id is None or doc.get("template_id") == template_id
        ]
        return roll_up(goals, start, end)
