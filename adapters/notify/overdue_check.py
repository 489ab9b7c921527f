"""The periodic check for overdue items: each one is notified once, remembered durably."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime

from adapters.notify.matcher import queue
from adapters.sql import notify_store as store
from adapters.sql.database import Database
from adapters.sql.documents_view import documents_of
from engine.notify.kinds import OVERDUE_SOURCES
from engine.notify.matching import Notice
from engine.notify.overdue import overdue_items

ZoneOf = Callable[[str], str]
SiteOf = Callable[[str], str | None]


class OverdueCheck:
    """Finds open items past their due date and queues their notifications."""

    def __init__(
        self,
        db: Database,
        zone_of: ZoneOf,
        site_of: SiteOf,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.db = db
        self.zone_of = zone_of
        self.site_of = site_of
        self.clock = clock

    def run_once(self) -> int:
        """Queues every newly overdue item's notifications; returns how many items were new."""
        now = self.clock()
        new = 0
        for kind, (field, notice_kind) in OVERDUE_SOURCES.items():
            docs = documents_of(self.db, kind, status="open")
            for item in overdue_items(kind, field, docs, now, self.zone_of):
                with self.db.transaction() as cur:
                    if not store.mark_overdue(cur, item.item_key, time.time()):
                        continue
                    new += 1
                    notice = Notice(
                        notice_kind,
                        f"overdue:{item.item_key}",
                        item.team_id,
                        self.site_of(item.team_id),
                        now.isoformat(),
                    )
                    event = {"source": kind, "source_id": item.doc_id, "item": item.item}
                    queue(cur, store.active_subscriptions(cur), notice, event)
        return new
