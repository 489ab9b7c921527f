"""Which open items are overdue: their due date passed in their team's time zone."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class Overdue:
    """One overdue item of one doc, once."""

    item_key: str  # "<doc kind>:<doc id>:<item n>": the mark that it was notified
    team_id: str
    doc_id: str
    item: dict[str, Any]


def local_today(now: datetime, zone: str) -> date:
    """The calendar day it is now in that zone."""
    return now.astimezone(ZoneInfo(zone)).date()


def overdue_items(
    kind: str,
    field: str,
    docs: Iterable[dict[str, Any]],
    now: datetime,
    zone_of: Callable[[str], str],
) -> list[Overdue]:
    """Every open item of the docs whose due date is before today in the team's zone."""
    found: list[Overdue] = []
    for doc in docs:
        team = doc.get("team_id")
        if not isinstance(team, str):
            continue
        today = local_today(now, zone_of(team))
        for index, item in enumerate(doc.get(field) or []):
            if item.get("completed_by") is not None or not item.get("due"):
                continue
            if date.fromisoformat(str(item["due"])) < today:
                n = item.get("n", index + 1)
                found.append(Overdue(f"{kind}:{doc['id']}:{n}", team, str(doc["id"]), dict(item)))
    return found
