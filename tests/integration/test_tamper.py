"""Tamper evidence: altered, deleted or reordered rows of the event store and archive are caught."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest

from adapters.sql.sealer import Sealer
from adapters.sql.verify import verify
from adapters.telephony.ingestor import archive_new
from engine.bootstrap import Container, build
from engine.commands import SetGoal
from engine.integrity import seal_key
from tests.support import SECRET, make_settings

KEY = seal_key(SECRET)


def telephony(n: int) -> dict[str, Any]:
    return {
        "event_id": f"00000000-0000-4000-8000-{n:012d}",
        "type": "call.completed",
        "agent_id": "a1",
        "team_id": "t1",
        "occurred_at": f"2026-10-0{1 + n % 5}T10:00:00+00:00",
        "call_id": f"c{n}",
        "talk_seconds": 100 + n,
        "hold_seconds": 0,
        "acw_seconds": 10,
        "transferred": False,
        "resolved_first_contact": True,
        "schema_version": 1,
    }


@pytest.fixture
def sealed(tmp_path: Path, database_url: str) -> Iterator[tuple[Container, list[UUID]]]:
    """Three goals with progress and six archived calls, all sealed."""
    container = build(make_settings(tmp_path, database_url, None))
    goals = []
    for n in range(3):
        goal = container.app.set_goal(
            SetGoal(
                agent_id="a1",
                team_id="t1",
                title=f"goal {n}",
                kpi="aht_seconds",
                target=300,
                direction="at_most",
                period_start=date(2026, 10, 1),
                period_end=date(2026, 12, 31),
                weight=1,
            ),
            "admin:alice",
        )
        for step in range(3):
            container.app.record_progress(
                goal.id,
                280.0 + step,
                datetime(2026, 10, 2, tzinfo=UTC) + timedelta(days=step),
                "manual",
                "admin:alice",
            )
        goals.append(goal.id)
    events = [telephony(n) for n in range(6)]
    with container.db.transaction() as cur:
        archive_new(cur, events, [json.dumps(e).encode() for e in events], KEY)
    Sealer(container.app, container.db, KEY, settle=0).seal_all()
    try:
        yield container, goals
    finally:
        container.close()


def run(container: Container, *statements: tuple[str, tuple[Any, ...]]) -> None:
    """Raw SQL on the live store, the way someone with database access would change it."""
    with container.db.transaction() as cur:
        for text, params in statements:
            cur.execute(text, params)


def table(container: Container) -> str:
    return str(container.app.recorder.events_table_name)  # type: ignore[attr-defined]


def key_of(container: Container, uid: UUID) -> str:
    return str(uid) if container.db.is_postgres else uid.hex


def nid(container: Container) -> str:
    return "notification_id" if container.db.is_postgres else "rowid"


def state(container: Container, uid: UUID, version: int) -> bytes:
    rows = container.db.query(
        f"SELECT state FROM {table(container)} WHERE originator_id = ? AND originator_version = ?",
        (key_of(container, uid), version),
    )
    return bytes(rows[0]["state"])


def notification_of(container: Container, uid: UUID, version: int) -> int:
    rows = container.db.query(
        f"SELECT {nid(container)} AS n FROM {table(container)} WHERE originator_id = ? "
        "AND originator_version = ?",
        (key_of(container, uid), version),
    )
    return int(rows[0]["n"])


def alter_event_bytes(c: Container, goals: list[UUID]) -> None:
    changed = state(c, goals[1], 2).replace(b"280", b"180")
    run(
        c,
        (
            f"UPDATE {table(c)} SET state = ? WHERE originator_id = ? AND originator_version = 2",
            (changed, key_of(c, goals[1])),
        ),
    )


def delete_one_event(c: Container, goals: list[UUID]) -> None:
    run(
        c,
        (
            f"DELETE FROM {table(c)} WHERE originator_id = ? AND originator_version = 3",
            (key_of(c, goals[0]),),
        ),
    )


def delete_a_whole_aggregate(c: Container, goals: list[UUID]) -> None:
    run(c, (f"DELETE FROM {table(c)} WHERE originator_id = ?", (key_of(c, goals[2]),)))


def swap_two_versions(c: Container, goals: list[UUID]) -> None:
    two, three, where = (
        state(c, goals[1], 2),
        state(c, goals[1], 3),
        "originator_id = ? AND originator_version = ?",
    )
    run(
        c,
        (f"UPDATE {table(c)} SET state = ? WHERE {where}", (three, key_of(c, goals[1]), 2)),
        (f"UPDATE {table(c)} SET state = ? WHERE {where}", (two, key_of(c, goals[1]), 3)),
    )


def swap_notification_order(c: Container, goals: list[UUID]) -> None:
    first, second = notification_of(c, goals[0], 2), notification_of(c, goals[1], 2)
    col = nid(c)
    run(
        c,
        (f"UPDATE {table(c)} SET {col} = ? WHERE {col} = ?", (-5, first)),
        (f"UPDATE {table(c)} SET {col} = ? WHERE {col} = ?", (first, second)),
        (f"UPDATE {table(c)} SET {col} = ? WHERE {col} = ?", (second, -5)),
    )


def alter_archived_payload(c: Container, _: list[UUID]) -> None:
    event_id = telephony(2)["event_id"]
    run(
        c,
        (
            "UPDATE telephony_archive SET payload = replace(payload, '102', '902') "
            "WHERE event_id = ?",
            (event_id,),
        ),
    )


def delete_archived_row(c: Container, _: list[UUID]) -> None:
    run(c, ("DELETE FROM telephony_archive WHERE event_id = ?", (telephony(3)["event_id"],)))


def delete_archived_row_and_its_link(c: Container, _: list[UUID]) -> None:
    event_id = telephony(3)["event_id"]
    run(
        c,
        ("DELETE FROM telephony_archive WHERE event_id = ?", (event_id,)),
        ("DELETE FROM archive_chain WHERE event_id = ?", (event_id,)),
    )


def reorder_archive_arrivals(c: Container, _: list[UUID]) -> None:
    # A late survey made to look as if it arrived earlier: swap when two rows were recorded.
    rows = c.db.query(
        "SELECT event_id, recorded_at FROM telephony_archive ORDER BY event_id LIMIT 2"
    )
    run(
        c,
        (
            "UPDATE telephony_archive SET recorded_at = ? WHERE event_id = ?",
            ("2000-01-01T00:00:00+00:00", rows[1]["event_id"]),
        ),
    )


CASES: dict[str, tuple[Callable[[Container, list[UUID]], None], str, str]] = {
    "altered event bytes": (alter_event_bytes, "events", "bytes"),
    "deleted event": (delete_one_event, "events", "missing"),
    "deleted aggregate": (delete_a_whole_aggregate, "events", "missing"),
    "swapped versions": (swap_two_versions, "events", "bytes"),
    "swapped notification order": (swap_notification_order, "events", "order"),
    "altered archive payload": (alter_archived_payload, "archive", "bytes"),
    "deleted archive row": (delete_archived_row, "archive", "missing"),
    "deleted archive row and link": (delete_archived_row_and_its_link, "archive", "missing"),
    "reordered archive arrival": (reorder_archive_arrivals, "archive", "bytes"),
}


def test_an_untouched_store_verifies(sealed: tuple[Container, list[UUID]]) -> None:
    container, _ = sealed
    report = verify(container.db, container.app, KEY)
    assert report.ok, report.problems
    assert (
        report.events_checked == 12 and report.archive_checked == 6 and report.events_unsealed == 0
    )


@pytest.mark.parametrize("case", list(CASES))
def test_tampering_is_detected_and_the_first_bad_row_named(
    sealed: tuple[Container, list[UUID]], case: str
) -> None:
    container, goals = sealed
    tamper, store, kind = CASES[case]
    tamper(container, goals)
    report = verify(container.db, container.app, KEY)
    assert not report.ok
    first = report.problems[0]
    assert (first["store"], first["kind"]) == (store, kind), report.problems


def test_a_rewritten_seal_table_does_not_verify_without_the_key(
    sealed: tuple[Container, list[UUID]],
) -> None:
    container, goals = sealed
    alter_event_bytes(container, goals)
    # Whoever altered the event also recomputes its digest, but cannot recompute the keyed chain.
    from engine.integrity import digest

    row = container.db.query(
        f"SELECT {nid(container)} AS n, topic, state FROM {table(container)} WHERE "
        "originator_id = ? AND originator_version = 2",
        (key_of(container, goals[1]),),
    )[0]
    run(
        container,
        (
            "UPDATE event_seals SET digest = ? WHERE notification_id = ?",
            (digest(row["topic"], bytes(row["state"])), row["n"]),
        ),
    )
    report = verify(container.db, container.app, KEY)
    assert [p["kind"] for p in report.problems][:1] == ["seal"]


def test_events_written_after_the_last_seal_are_counted_as_the_unsealed_window(
    sealed: tuple[Container, list[UUID]],
) -> None:
    container, goals = sealed
    container.app.record_progress(
        goals[0], 250.0, datetime(2026, 10, 9, tzinfo=UTC), "manual", "admin:alice"
    )
    report = verify(container.db, container.app, KEY)
    assert report.ok and report.events_unsealed == 1
    Sealer(container.app, container.db, KEY, settle=0).seal_all()
    assert verify(container.db, container.app, KEY).events_unsealed == 0


def test_a_kept_head_catches_the_end_cut_off_with_its_seals(
    sealed: tuple[Container, list[UUID]],
) -> None:
    container, _ = sealed
    report = verify(container.db, container.app, KEY)
    kept = (report.events_head["notification_id"], report.events_head["chain"])
    kept_archive = (report.archive_head["position"], report.archive_head["chain"])
    assert verify(container.db, container.app, KEY, kept, kept_archive).ok
    last = kept[0]
    (tail,) = container.db.query(
        "SELECT event_id FROM archive_chain WHERE position = ?", (kept_archive[0],)
    )
    run(
        container,
        (f"DELETE FROM {table(container)} WHERE {nid(container)} = ?", (last,)),
        ("DELETE FROM event_seals WHERE notification_id = ?", (last,)),
        ("DELETE FROM archive_chain WHERE position = ?", (kept_archive[0],)),
        ("DELETE FROM telephony_archive WHERE event_id = ?", (tail["event_id"],)),
    )
    assert verify(container.db, container.app, KEY).ok  # the chains alone cannot tell
    report = verify(container.db, container.app, KEY, kept, kept_archive)
    assert [(p["store"], p["kind"]) for p in report.problems][-2:] == [
        ("events", "truncated"),
        ("archive", "truncated"),
    ]
    forged = (kept[0] - 1, "f" * 64)
    assert verify(container.db, container.app, KEY, forged).problems[0]["kind"] == "seal"


def test_the_verify_route_takes_kept_heads(sealed: tuple[Container, list[UUID]]) -> None:
    from fastapi.testclient import TestClient

    from tests.support import token

    container, _ = sealed
    client = TestClient(container.api())
    first = client.get("/v1/audit/verify", headers=token("auditor", "ann")).json()
    head = f"{first['events_head']['notification_id']}:{first['events_head']['chain']}"
    again = client.get(
        "/v1/audit/verify", params={"events_head": head}, headers=token("auditor", "ann")
    )
    assert again.status_code == 200 and again.json()["ok"] is True
    bad = client.get(
        "/v1/audit/verify", params={"events_head": "12:nope"}, headers=token("auditor", "ann")
    )
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "events_head"
