"""Verification of the seals: names the first stored event or archive row that differs.

Events are walked in notification order beside their seals. A seal without its event
is a deletion, an event without a seal inside the sealed range an insertion, a
different aggregate or version at a sealed position a reordering, a different digest
altered bytes, and a broken per-aggregate link or keyed chain a rewritten seal. Events
after the last seal are the unsealed tail (the sealer's window), counted, not failed.
The archive is walked by chain position the same way, and every snapshot is checked
against its seal. Each chain is compared with a kept head when one is given (by the
auditor, or the newest one the sealer published): a chain that no longer reaches it was
cut off.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from typing import Any
from uuid import UUID

from adapters.sql import archive, seals
from adapters.sql.database import Database
from engine.integrity import ARCHIVE_COLUMNS, GENESIS, archive_digest, digest, link, snapshot_seal
from engine.seal_heads import Head, Heads

BATCH = 5000
MAX_PROBLEMS = 20
Progress = Callable[[str, int, int], None]  # (label, done, total), e.g. the CLI's progress bars


def _quiet(label: str, done: int, total: int) -> None:
    return None


@dataclass
class Report:
    """What verification found: counts, the chain heads, and the problems in order."""

    events_checked: int = 0
    events_unsealed: int = 0
    events_head: dict[str, Any] = field(default_factory=dict)
    archive_checked: int = 0
    archive_unchained: int = 0
    archive_head: dict[str, Any] = field(default_factory=dict)
    snapshots_checked: int = 0
    snapshots_unsealed: int = 0
    # The kept heads compared against, and where each came from (given, file, kafka).
    compared_with: dict[str, Any] = field(default_factory=dict)
    problems: list[dict[str, Any]] = field(default_factory=list)
    # The positions kept heads name, and the chain values found there while checking.
    watch: dict[str, int] = field(default_factory=dict, repr=False)
    events_chain_at: dict[int, str] = field(default_factory=dict, repr=False)
    archive_chain_at: dict[int, str] = field(default_factory=dict, repr=False)

    @property
    def ok(self) -> bool:
        return not self.problems

    def problem(self, store: str, kind: str, where: str, detail: str) -> None:
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append({"store": store, "kind": kind, "where": where, "detail": detail})

    def as_dict(self) -> dict[str, Any]:
        body = {
            k: v for k, v in asdict(self).items() if not k.endswith("_chain_at") and k != "watch"
        }
        return {"ok": self.ok, "first_problem": self.problems[0] if self.problems else None, **body}


def verify(
    db: Database,
    app: Any,
    key: bytes,
    events_head: Head | None = None,
    archive_head: Head | None = None,
    progress: Progress = _quiet,
) -> Report:
    """Checks the event store against its seals and the archive against its chain.

    A head kept from an earlier run (its position and chain value) proves what a chain
    alone cannot: that nothing was cut off its end, seals and all.
    """
    report = Report()
    report.watch = {
        store: head[0]
        for store, head in (("events", events_head), ("archive", archive_head))
        if head is not None
    }
    verify_events(db, app, key, report, progress)
    verify_archive(db, key, report, progress)
    verify_snapshots(db, app, key, report)
    check_kept_head(
        report,
        "events",
        events_head,
        report.events_head.get("notification_id", 0),
        report.events_chain_at,
    )
    check_kept_head(
        report,
        "archive",
        archive_head,
        report.archive_head.get("position", 0),
        report.archive_chain_at,
    )
    return report


def verify_against_published(
    db: Database,
    app: Any,
    key: bytes,
    published: Heads,
    events_head: Head | None = None,
    archive_head: Head | None = None,
    *,
    progress: Progress = _quiet,
) -> Report:
    """`verify`, comparing each chain with the head given, else with the newest published one."""
    chosen = {
        store: (given, "given") if given is not None else (published.of(store), published.source)
        for store, given in (("events", events_head), ("archive", archive_head))
    }
    report = verify(db, app, key, chosen["events"][0], chosen["archive"][0], progress)
    if published.error:
        report.problem("heads", "unreadable", "the published heads", published.error)
    report.compared_with = {
        store: {"position": head[0], "chain": head[1], "source": source}
        for store, (head, source) in chosen.items()
        if head is not None and head[0] > 0
    }
    return report


def check_kept_head(
    report: Report, store: str, kept: Head | None, last: int, chain_at: dict[int, str]
) -> None:
    if kept is None or kept[0] == 0:
        return
    position, chain = kept
    where = f"{store} position {position}"
    if last < position:
        report.problem(
            store, "truncated", where, f"the chain now ends at {last}: what followed is gone"
        )
    elif chain_at.get(position) != chain:
        report.problem(
            store, "seal", where, "the chain no longer passes through the kept head: rewritten"
        )


def verify_events(
    db: Database, app: Any, key: bytes, report: Report, progress: Progress = _quiet
) -> None:
    total = int(app.recorder.max_notification_id() or 0)
    events = _notifications(app)
    pending = next(events, None)
    chain, last_sealed = GENESIS, 0
    heads: dict[str, Any] = {}
    for seal in _rows(db, seals.SEALS_AFTER, "notification_id"):
        position = int(seal["notification_id"])
        where = (
            f"event {seal['originator_id']} v{seal['originator_version']} (notification {position})"
        )
        while pending is not None and pending.id < position:
            report.problem(
                "events",
                "inserted",
                f"notification {pending.id}",
                f"event {pending.originator_id} v{pending.originator_version} has no seal",
            )
            pending = next(events, None)
        expected = link(
            key,
            chain,
            (
                position,
                seal["originator_id"],
                seal["originator_version"],
                seal["digest"],
                seal["hash"],
            ),
        )
        if expected != seal["chain"]:
            report.problem(
                "events", "seal", where, "the seal's chain link does not verify: seals rewritten"
            )
        chain, last_sealed = seal["chain"], position
        if position == report.watch.get("events"):
            report.events_chain_at[position] = chain
        prev = heads.get(seal["originator_id"], (0, GENESIS))
        if seal["prev_hash"] != prev[1] or int(seal["originator_version"]) != prev[0] + 1:
            report.problem(
                "events", "order", where, f"follows version {prev[0]} of its aggregate out of order"
            )
        heads[seal["originator_id"]] = (int(seal["originator_version"]), seal["hash"])
        report.events_checked += 1
        progress("events", position, max(total, position))
        if pending is None or pending.id != position:
            report.problem("events", "missing", where, "the sealed event is not in the store")
            continue
        if (str(pending.originator_id), pending.originator_version) != (
            seal["originator_id"],
            int(seal["originator_version"]),
        ):
            report.problem(
                "events",
                "order",
                where,
                f"position holds {pending.originator_id} v{pending.originator_version} instead",
            )
        elif digest(pending.topic, pending.state) != seal["digest"]:
            report.problem("events", "bytes", where, "the stored bytes differ from the sealed ones")
        pending = next(events, None)
    while pending is not None:
        report.events_unsealed += 1
        pending = next(events, None)
    report.events_head = {"notification_id": last_sealed, "chain": chain}


def verify_archive(db: Database, key: bytes, report: Report, progress: Progress = _quiet) -> None:
    total = archive.chain_length(db)
    chain, position = GENESIS, 0
    for row in _rows(db, archive.links_after_text(ARCHIVE_COLUMNS), "position"):
        where = f"telephony event {row['linked_id']} (archive position {row['position']})"
        if int(row["position"]) != position + 1:
            report.problem(
                "archive",
                "missing",
                where,
                f"positions {position + 1}..{int(row['position']) - 1} are gone from the chain",
            )
        position = int(row["position"])
        if link(key, chain, (position, row["linked_id"], row["digest"])) != row["chain"]:
            report.problem(
                "archive", "seal", where, "the chain link does not verify: chain rewritten"
            )
        chain = row["chain"]
        if position == report.watch.get("archive"):
            report.archive_chain_at[position] = chain
        report.archive_checked += 1
        progress("archive", position, max(total, position))
        if row["event_id"] is None:
            report.problem("archive", "missing", where, "the chained row is not in the archive")
        elif archive_digest(row) != row["digest"]:
            report.problem(
                "archive", "bytes", where, "the archived row differs from the chained one"
            )
    report.archive_head = {"position": position, "chain": chain}
    unchained = archive.unchained_ids(db, MAX_PROBLEMS)
    report.archive_unchained = len(unchained)
    for row in unchained:
        report.problem(
            "archive", "inserted", f"telephony event {row['event_id']}", "the row is not chained"
        )


def verify_snapshots(db: Database, app: Any, key: bytes, report: Report) -> None:
    """Every snapshot against its seal. A mismatch is tampering (loads ignore such a snapshot
    and replay the events); a snapshot without a seal is never loaded either, so it is counted."""
    if getattr(app, "snapshots", None) is None:
        return
    table = app.snapshots.recorder.events_table_name
    kept_seals = seals.snapshot_seals_by_key(db)
    # The nil UUID sorts before every id, whether stored as uuid (PostgreSQL) or hex text (SQLite).
    after: tuple[Any, int] = (str(UUID(int=0)), 0)
    while rows := db.query(
        f"SELECT originator_id, originator_version, topic, state FROM {table} "
        "WHERE originator_id > ? OR (originator_id = ? AND originator_version > ?) "
        "ORDER BY originator_id, originator_version LIMIT ?",
        (after[0], after[0], after[1], BATCH),
    ):
        for row in rows:
            uid, version = str(UUID(str(row["originator_id"]))), int(row["originator_version"])
            kept = kept_seals.get((uid, version))
            report.snapshots_checked += 1
            if kept is None:
                report.snapshots_unsealed += 1
            elif kept != snapshot_seal(key, uid, version, row["topic"], bytes(row["state"])):
                report.problem(
                    "snapshots",
                    "bytes",
                    f"snapshot of {uid} at version {version}",
                    "the stored snapshot differs from the sealed one "
                    "(loads replay the events instead)",
                )
        after = (rows[-1]["originator_id"], int(rows[-1]["originator_version"]))


def _notifications(app: Any) -> Iterator[Any]:
    position = 0
    while True:
        batch = app.recorder.select_notifications(
            start=position, limit=BATCH, inclusive_of_start=False
        )
        if not batch:
            return
        yield from batch
        position = batch[-1].id


def _rows(db: Database, text: str, key: str) -> Iterator[dict[str, Any]]:
    after = -1
    while True:
        rows = db.query(text, (after, BATCH))
        if not rows:
            return
        yield from rows
        after = int(rows[-1][key])
