"""Corrections and voids of telephony events in SQL: what was sent to correct,
and what each event counts as.

A correction arriving before its original is held until the original comes; the effective
table keeps, per corrected event, the text of the body it counts as (or the void mark), so
the live model and a rebuild agree. The rules are projections/kpi.py (`effective`); the
sums they move are adapters/sql/kpi_view.py's. The only module that names these tables.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from adapters.sql import archive
from adapters.sql.database import Database
from adapters.sql.tables import TableSet
from projections.kpi import Voided, effective, is_correction, target_of

VOID_MARK = '{"voided": true}'
ArchiveKey = tuple[int, str]
CHUNK = 500


@dataclass(frozen=True)
class CorrectionTables(TableSet):
    @property
    def corrections(self) -> str:
        return self.named("telephony_corrections")

    @property
    def effective(self) -> str:
        return self.named("telephony_effective")

    def tables(self) -> tuple[str, ...]:
        return (self.corrections, self.effective)

    def indexes(self) -> tuple[str, ...]:
        return (
            self.named("telephony_corrections_by_target"),
            self.named("telephony_corrections_of"),
        )

    def ddl(self) -> list[str]:
        by_target, of = self.indexes()
        return [
            # Corrections and voids of telephony events (projections/kpi.py): held = 1 while the
            # original is unknown; the effective table keeps what a corrected event counts as.
            f"""CREATE TABLE IF NOT EXISTS {self.corrections} (
        event_id TEXT PRIMARY KEY, target TEXT NOT NULL, kind TEXT NOT NULL, agent_id TEXT NOT NULL,
        team_id TEXT NOT NULL, occurred_at TEXT NOT NULL,
        body TEXT, held INTEGER NOT NULL)""",
            f"CREATE INDEX IF NOT EXISTS {by_target} ON {self.corrections} (held, target)",
            f"CREATE INDEX IF NOT EXISTS {of} ON {self.corrections} (target)",
            f"""CREATE TABLE IF NOT EXISTS {self.effective} (
        event_id TEXT PRIMARY KEY, payload TEXT NOT NULL)""",
        ]


LIVE = CorrectionTables()


def chunks(items: Sequence[str]) -> Iterable[Sequence[str]]:
    for start in range(0, len(items), CHUNK):
        yield items[start : start + CHUNK]


class Corrections:
    """The corrections of the KPI model (live, or fresh for a rebuild),
    inside the caller's transaction."""

    def __init__(self, tables: CorrectionTables = LIVE) -> None:
        self.t = tables
        self.archive = archive.ARCHIVE  # never rebuilt: the source of the KPI model

    def held(self, cur: Any, ids: Sequence[str]) -> dict[str, list[dict[str, Any]]]:
        """Corrections that arrived before their original, for these event ids
        (rare: one probe first)."""
        found: dict[str, list[dict[str, Any]]] = {}
        if (
            not ids
            or not cur.execute(
                f"SELECT 1 AS found FROM {self.t.corrections} WHERE held = 1 LIMIT 1"
            ).rows()
        ):
            return found
        for part in chunks(sorted(set(ids))):
            cur.execute(
                "SELECT event_id, target, kind, agent_id, team_id, occurred_at, body "
                f"FROM {self.t.corrections} "
                f"WHERE held = 1 AND target IN ({','.join('?' * len(part))}) ORDER BY event_id",
                part,
            )
            for row in cur.rows():
                found.setdefault(row["target"], []).append(correction_of(row))
        return found

    def count_held(
        self, cur: Any, event: Mapping[str, Any], corrections: list[dict[str, Any]]
    ) -> Mapping[str, Any]:
        """An original arriving after its corrections: counted at once as corrected,
        the corrections released."""
        counted = effective(event, corrections)
        self.write_effective(cur, event["event_id"], counted, corrections)
        cur.executemany(
            f"UPDATE {self.t.corrections} SET held = 0 WHERE event_id = ?",
            [(c["event_id"],) for c in corrections],
        )
        return counted

    def write_effective(
        self,
        cur: Any,
        event_id: str,
        counted: Mapping[str, Any],
        corrections: Sequence[Mapping[str, Any]],
    ) -> None:
        """Keeps what an event counts as, by the stored text of the winning body
        (the same live and rebuilt)."""
        if type(counted) is Voided:
            text: str | None = VOID_MARK
        else:
            text = next((c["body_text"] for c in corrections if c.get("event") is counted), None)
        if text is None:
            cur.execute(f"DELETE FROM {self.t.effective} WHERE event_id = ?", (event_id,))
        else:
            cur.execute(
                f"INSERT INTO {self.t.effective} (event_id, payload) VALUES (?, ?) "
                "ON CONFLICT (event_id) DO UPDATE SET payload = excluded.payload",
                (event_id, text),
            )

    def counted_originals(
        self,
        cur: Any,
        ids: Sequence[str],
        archived_until: ArchiveKey | None,
    ) -> dict[str, tuple[dict[str, Any], Mapping[str, Any]]]:
        """Of these event ids, the measured events already counted: (original, as counted now)."""
        found: dict[str, tuple[dict[str, Any], Mapping[str, Any]]] = {}
        for part in chunks(ids):
            cur.execute(
                "SELECT a.event_id, a.seq, a.type, a.occurred_at, a.payload, "
                "e.payload AS effective "
                f"FROM {self.archive} a LEFT JOIN {self.t.effective} e ON e.event_id = a.event_id "
                f"WHERE a.event_id IN ({','.join('?' * len(part))})",
                part,
            )
            for row in cur.rows():
                if is_correction(row) or (
                    archived_until is not None
                    and (int(row["seq"]), row["event_id"]) > archived_until
                ):
                    # a correction of a correction is never applied;
                    # a rebuild has not reached it yet
                    continue
                # The stored time is the validated one, in UTC; the bytes are as sent.
                original = {
                    **json.loads(row["payload"]),
                    "event_id": row["event_id"],
                    "occurred_at": row["occurred_at"],
                }
                found[row["event_id"]] = (original, as_counted(original, row["effective"]))
        return found

    def all_corrections(self, cur: Any, targets: Sequence[str]) -> dict[str, list[dict[str, Any]]]:
        found: dict[str, list[dict[str, Any]]] = {}
        for part in chunks(targets):
            cur.execute(
                "SELECT event_id, target, kind, agent_id, team_id, occurred_at, body "
                f"FROM {self.t.corrections} "
                f"WHERE target IN ({','.join('?' * len(part))}) ORDER BY event_id",
                part,
            )
            for row in cur.rows():
                found.setdefault(row["target"], []).append(correction_of(row))
        return found

    def add(self, cur: Any, fixes: Sequence[Mapping[str, Any]], known: Collection[str]) -> None:
        """Records corrections and voids; those whose original is not among `known` are held."""
        cur.executemany(
            f"INSERT INTO {self.t.corrections} "
            "(event_id, target, kind, agent_id, team_id, occurred_at, body, held) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    f["event_id"],
                    target_of(f),
                    f["type"],
                    f["agent_id"],
                    f["team_id"],
                    f["occurred_at"],
                    json.dumps(f["event"], sort_keys=True)
                    if f["type"] == "event.corrected"
                    else None,
                    int(target_of(f) not in known),
                )
                for f in fixes
            ],
        )


def as_counted(original: dict[str, Any], stored: str | None) -> Mapping[str, Any]:
    """An event as it counts now: its effective content kept by `write_effective`, else itself."""
    if stored is None:
        return original
    if stored == VOID_MARK:
        return Voided(original)
    return {**json.loads(stored), "event_id": original["event_id"]}


def correction_of(row: Mapping[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = {
        "event_id": row["event_id"],
        "type": row["kind"],
        "occurred_at": row["occurred_at"],
        "agent_id": row["agent_id"],
        "team_id": row["team_id"],
    }
    if row["body"] is not None:
        found["event"] = json.loads(row["body"])
        found["body_text"] = row["body"]
    return found


def corrections_rows(db: Database, event_id: str) -> list[dict[str, Any]]:
    """The corrections and voids of one telephony event, each with its archived row,
    in time order."""
    return db.query(
        "SELECT c.event_id, c.kind, c.agent_id, c.team_id, c.occurred_at, c.body, c.held, "
        "a.recorded_at, a.payload "
        f"FROM {LIVE.corrections} c JOIN {archive.ARCHIVE} a ON a.event_id = c.event_id "
        "WHERE c.target = ? ORDER BY c.occurred_at, c.event_id",
        (event_id,),
    )


def counted_payload(db: Database, event_id: str) -> str | None:
    """What a corrected or voided event counts as (its effective text),
    None when it counts as sent."""
    stored = db.query(f"SELECT payload FROM {LIVE.effective} WHERE event_id = ?", (event_id,))
    return str(stored[0]["payload"]) if stored else None
