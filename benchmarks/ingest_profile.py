"""Where ingest time goes: the ingestor's phases timed in-process, without Kafka."""

from __future__ import annotations

import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from adapters.sql.kpi_view import KpiView
from adapters.sql.schema import create_tables
from adapters.telephony.ingestor import add_counters, archive_new
from adapters.telephony.schema import DEFAULT_LIMITS, Bounds, validate
from benchmarks import ingest_roster
from engine.bootstrap import open_database
from engine.simulate import simulate

BATCH = 5000


def run(count: int) -> dict[str, Any]:
    """Microseconds per event in each phase, over `count` simulated events in batches of 5,000."""
    messages = [
        value for _, value in simulate(agents=500, teams=25, rate=count, duration=1, seed=5)
    ]
    spent = dict.fromkeys(("parse", "archive", "kpi", "commit"), 0.0)
    with tempfile.TemporaryDirectory() as tmp:
        db = open_database(f"sqlite:///{Path(tmp) / 'profile.db'}")
        create_tables(db)
        view = KpiView(roster=ingest_roster.index(500, 25))  # a roster, five zones
        for start in range(0, len(messages), BATCH):
            raws = messages[start : start + BATCH]
            began = time.perf_counter()
            bounds = Bounds(DEFAULT_LIMITS, datetime.now(UTC))  # as the ingestor: once per poll
            events = [validate(raw, bounds) for raw in raws]
            parsed = time.perf_counter()
            with db.transaction() as cur:
                outcome = archive_new(cur, events, raws)
                archived = time.perf_counter()
                view.apply_events(cur, outcome.accepted)
                add_counters(cur, {"received": len(raws)})
                counted = time.perf_counter()
            spent["parse"] += parsed - began
            spent["archive"] += archived - parsed
            spent["kpi"] += counted - archived
            spent["commit"] += time.perf_counter() - counted
        db.close()
    total = sum(spent.values())
    return {
        "events": len(messages),
        "per_s": len(messages) / total,
        "us_per_event": {k: 1e6 * v / len(messages) for k, v in spent.items()},
    }
