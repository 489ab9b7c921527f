"""Audit exports: every event of an aggregate, or of an agent's records over a period,
as JSONL or CSV."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from datetime import datetime
from typing import Any, TextIO
from uuid import UUID

from adapters.sql.database import Database
from adapters.sql.documents_view import ids_of_agent
from engine.application import PerfLedger
from engine.replay import replay

COLUMNS = (
    "aggregate_id",
    "aggregate_type",
    "sequence",
    "type",
    "at",
    "actor",
    "hash",
    "prev_hash",
    "before",
    "after",
    "reason",
    "data",
)
AGENT_KINDS = ("Goal", "Review", "CheckIn", "DevelopmentPlan")


def aggregate_rows(app: PerfLedger, aggregate_id: UUID) -> Iterator[dict[str, Any]]:
    """One row per event, read from the event store, with the hash chain recomputed from it."""
    result = replay(app, aggregate_id)
    for event in result["events"]:
        data = event["data"]
        yield {
            "aggregate_id": result["id"],
            "aggregate_type": result["type"],
            "sequence": event["sequence"],
            "type": event["type"],
            "at": event["at"],
            "actor": event["actor"],
            "hash": event["hash"],
            "prev_hash": event["prev_hash"],
            "before": data.get("before"),
            "after": data.get("after"),
            "reason": data.get("reason") or data.get("note"),
            "data": data,
        }


def agent_rows(
    app: PerfLedger,
    db: Database,
    agent_id: str,
    start: datetime | None,
    end: datetime | None,
) -> Iterator[dict[str, Any]]:
    """The events of the agent's goals, reviews and check-ins within [start, end),
    record by record."""
    ids = ids_of_agent(db, agent_id, AGENT_KINDS)
    for row in ids:
        for event in aggregate_rows(app, UUID(row)):
            at = datetime.fromisoformat(event["at"])
            if (start is None or at >= start) and (end is None or at < end):
                yield event


def write(rows: Iterator[dict[str, Any]], out: TextIO, form: str) -> int:
    """Writes the rows as JSON lines or CSV (data as JSON text); returns how many."""
    count = 0
    if form == "csv":
        writer = csv.DictWriter(out, fieldnames=COLUMNS)
        writer.writeheader()
        for row in rows:
            writer.writerow({**row, "data": json.dumps(row["data"], sort_keys=True)})
            count += 1
        return count
    for row in rows:
        out.write(json.dumps(row, sort_keys=True) + "\n")
        count += 1
    return count
