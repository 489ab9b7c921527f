"""The read ports of the application services (engine/ports.py), on the SQL read models.

The one module through which the services reach the read side: the query functions it
calls may move between modules of adapters/sql without the engine or the HTTP routes noticing.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any
from uuid import UUID

from adapters.sql import documents_view as queries
from adapters.sql import inbox_store
from adapters.sql.database import Database
from adapters.sql.explain import explain_progress, explain_review
from adapters.sql.health import stored_health
from adapters.sql.ingest_counts import counter_totals, deliveries
from adapters.sql.kpi_asof import known_agent_totals, known_rows
from adapters.sql.kpi_attribution import (
    RosterSnapshot,
    consistent,
    mismatched_events,
    team_mismatches,
)
from adapters.sql.kpi_placements import mismatched_linked
from adapters.sql.kpi_queries import agent_totals, corrections_of, kpi_rows, team_of_agent
from adapters.sql.parked import parked_counts, parked_list
from adapters.sql.positions import consumer_lag, load_relay_position, partition_lags
from adapters.sql.verify import verify_against_published
from engine.application import PerfLedger
from engine.health import ComponentHealth
from engine.integrity import seal_key
from engine.ports import Roster
from engine.seal_heads import PublishedHeads
from engine.settings import Settings
from projections.attribution import AS_TELEPHONY_SAYS, UTC_ZONE, Attribution
from projections.goals import roll_up


class SqlDocuments:
    """Documents, histories and teams from the projected read models."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def get(self, kind: str, doc_id: str) -> dict[str, Any] | None:
        return queries.get_document(self.db, kind, doc_id)

    def find(self, doc_id: str) -> tuple[str, dict[str, Any]] | None:
        return queries.find_document(self.db, doc_id)

    def page(
        self,
        kind: str,
        *,
        filters: dict[str, str | None],
        teams: tuple[str, ...] | None,
        after: str | None,
        limit: int,
    ) -> list[dict[str, Any]]:
        return queries.list_documents(
            self.db, kind, filters=filters, teams=teams, after=after, limit=limit
        )

    def event_trail(self, aggregate_id: str) -> list[dict[str, Any]]:
        return queries.event_trail(self.db, aggregate_id)

    def team_ids(self) -> list[str]:
        return queries.team_ids(self.db)

    def goal_rollup(
        self,
        team_id: str,
        template_id: str | None,
        start: date | None,
        end: date | None,
    ) -> dict[str, Any]:
        """A team's goals (or one template's) whose period meets [start, end), rolled up."""
        goals = queries.list_documents(
            self.db, "Goal", filters={"team_id": team_id}, teams=None, after=None, limit=1_000_000
        )
        if template_id is not None:
            goals = [g for g in goals if g.get("template_id") == template_id]
        return roll_up(goals, start, end)


class SqlExplanations:
    """Explanations recomputed from the event store and the telephony archive."""

    def __init__(self, app: PerfLedger, db: Database, roster: Roster | None = None) -> None:
        self.app = app
        self.db = db
        self.roster = roster

    def progress(self, goal_id: UUID, n: int) -> dict[str, Any]:
        return explain_progress(self.app, self.db, goal_id, n, self.roster)

    def review(self, review_id: UUID) -> dict[str, Any]:
        return explain_review(self.app, self.db, review_id, self.roster)


class SqlSealCheck:
    """Verifies every seal against the newest heads published outside the database."""

    def __init__(
        self,
        app: PerfLedger,
        db: Database,
        settings: Settings,
        heads: Callable[[], PublishedHeads],
    ) -> None:
        self.app = app
        self.db = db
        self.settings = settings
        self.heads = (
            heads  # the composition root's published heads (file, and Kafka when there is one)
        )

    def verify(self, *heads: tuple[int, str] | None) -> dict[str, Any]:
        key = seal_key(self.settings.signing_secret())
        published = self.heads().latest()
        return verify_against_published(self.db, self.app, key, published, *heads).as_dict()


class SqlKpiFigures:
    """KPI rows from the live sums,
    or recomputed from the telephony archive as known at a moment."""

    def __init__(self, db: Database, roster: Roster | None = None) -> None:
        self.db = db
        self.roster = roster

    def _attribution(self) -> Attribution:
        """The roster's attribution, for recomputations as known at a moment."""
        if self.roster is None:
            return AS_TELEPHONY_SAYS
        return RosterSnapshot(consistent(self.roster)).attribution

    def rows(
        self,
        scope: str,
        scope_id: str,
        bucket: str,
        start: str | None,
        end: str | None,
        after: str | None,
        limit: int,
        known_at: str | None,
        zone: str = UTC_ZONE,
        stored_zone: str = UTC_ZONE,
    ) -> list[dict[str, Any]]:
        if known_at is None:
            return kpi_rows(
                self.db, scope, scope_id, bucket, start, end, after, limit, zone, stored_zone
            )
        return known_rows(
            self.db,
            scope,
            scope_id,
            bucket,
            start,
            end,
            after,
            limit,
            known_at,
            zone,
            self._attribution(),
        )

    def agent_totals(
        self,
        team_id: str,
        start: str | None,
        end: str | None,
        known_at: str | None,
        zone: str = UTC_ZONE,
        stored_zone: str = UTC_ZONE,
    ) -> list[dict[str, Any]]:
        if known_at is None:
            return agent_totals(self.db, team_id, start, end, zone, stored_zone)
        return known_agent_totals(self.db, team_id, start, end, known_at, self._attribution())

    def team_of_agent(self, agent_id: str) -> str | None:
        return team_of_agent(self.db, agent_id)

    def team_exists(self, team_id: str) -> bool:
        return queries.team_exists(self.db, team_id)

    def team_mismatches(self, team_id: str, start: str | None, end: str | None) -> int:
        return mismatched_events(self.db, team_id, start, end)


class SqlOperations:
    """Positions, lags, component faults, parked events and counters, as the stores hold them."""

    def __init__(self, app: PerfLedger, db: Database) -> None:
        self.app = app
        self.db = db

    def event_store_position(self) -> int:
        return self.app.recorder.max_notification_id() or 0

    def relayed_to(self) -> int:
        relayed = load_relay_position(self.db, "events")
        return relayed.value if relayed else 0

    def consumer_lag(self) -> dict[str, int]:
        return consumer_lag(self.db)

    def partition_lags(self) -> list[dict[str, object]]:
        return partition_lags(self.db)

    def stored_health(self) -> list[ComponentHealth]:
        return stored_health(self.db)

    def parked_counts(self) -> dict[str, int]:
        return parked_counts(self.db)

    def parked_list(self, consumer: str | None, limit: int) -> list[dict[str, Any]]:
        return parked_list(self.db, consumer, limit)

    def counter_totals(self) -> dict[str, int]:
        return counter_totals(self.db)

    def inbox_depth(self) -> int:
        return inbox_store.pending(self.db)


class SqlTelephonyRecords:
    """Deliveries, corrections and mismatched links, from the telephony archive and its counters."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def deliveries(self, day: date) -> dict[str, Any]:
        return deliveries(self.db, day.isoformat())

    def corrections(self, event_id: str) -> dict[str, Any] | None:
        return corrections_of(self.db, event_id)

    def mismatches(self) -> list[dict[str, Any]]:
        return mismatched_linked(self.db.query)

    def team_mismatches(self, team_id: str | None) -> list[dict[str, Any]]:
        return team_mismatches(self.db, team_id)
