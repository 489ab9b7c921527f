"""Published heads: emptied seal tables are reported, never silently re-sealed; verify compares by
default."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import pytest

from adapters.kafka.seal_heads import KafkaHeads, heads_topic, published_heads
from adapters.sql.sealer import Sealer, SealingRefused
from adapters.sql.verify import verify_against_published
from adapters.telephony.ingestor import archive_new
from engine.bootstrap import Container, build
from engine.commands import SetGoal
from engine.integrity import GENESIS, seal_key
from engine.seal_heads import FILE_NAME, HeadFile, Heads, PublishedHeads
from engine.settings import Settings
from tests.integration.test_tamper import alter_event_bytes, nid, run, table, telephony
from tests.support import SECRET, make_settings, token

KEY = seal_key(SECRET)


def heads_of(container: Container) -> PublishedHeads:
    return PublishedHeads(HeadFile(container.settings.data_dir / FILE_NAME))


def sealer(container: Container, heads: PublishedHeads | None = None) -> Sealer:
    return Sealer(container.app, container.db, KEY, settle=0, heads=heads or heads_of(container))


@pytest.fixture
def sealed(tmp_path: Path, database_url: str) -> Iterator[tuple[Container, list[UUID]]]:
    """Two goals with progress and four archived calls, sealed by a sealer publishing its heads."""
    container = build(make_settings(tmp_path, database_url, None))
    goals = []
    for n in range(2):
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
        for step in range(2):
            container.app.record_progress(
                goal.id,
                280.0 + step,
                datetime(2026, 10, 2 + step, tzinfo=UTC),
                "manual",
                "admin:alice",
            )
        goals.append(goal.id)
    events = [telephony(n) for n in range(4)]
    with container.db.transaction() as cur:
        archive_new(cur, events, [json.dumps(e).encode() for e in events], KEY)
    sealer(container).seal_all()
    try:
        yield container, goals
    finally:
        container.close()


def kinds(report: Any) -> list[tuple[str, str]]:
    return [(p["store"], p["kind"]) for p in report.problems]


def test_the_sealer_publishes_both_heads_to_the_data_dir(
    sealed: tuple[Container, list[UUID]],
) -> None:
    container, _ = sealed
    published = heads_of(container).latest()
    assert published.events is not None and published.events[0] == 6
    assert published.archive is not None and published.archive[0] == 4
    report = verify_against_published(container.db, container.app, KEY, published)
    assert report.ok, report.problems
    assert set(report.compared_with) == {"events", "archive"}


def test_emptied_seal_tables_are_not_resealed_and_verify_reports_them(
    sealed: tuple[Container, list[UUID]],
) -> None:
    container, goals = sealed
    alter_event_bytes(container, goals)
    run(container, ("DELETE FROM event_seals", ()), ("DELETE FROM archive_chain", ()))
    restarted = sealer(
        container
    )  # a new process: it knows the heads only from where they were published
    with pytest.raises(SealingRefused, match="seals were deleted or rewritten"):
        restarted.step()
    assert restarted.chain_legacy_archive() == 0
    assert container.db.query("SELECT COUNT(*) AS n FROM event_seals")[0]["n"] == 0
    assert container.db.query("SELECT COUNT(*) AS n FROM archive_chain")[0]["n"] == 0
    report = verify_against_published(
        container.db, container.app, KEY, heads_of(container).latest()
    )
    assert ("events", "truncated") in kinds(report) and ("archive", "truncated") in kinds(report)
    assert ("archive", "inserted") in kinds(report)


def test_a_rewritten_seal_table_is_refused_while_the_sealer_runs(
    sealed: tuple[Container, list[UUID]],
) -> None:
    container, _ = sealed
    running = sealer(container)
    running.step()
    run(container, ("DELETE FROM event_seals", ()))
    with pytest.raises(SealingRefused):
        running.step()
    assert container.db.query("SELECT COUNT(*) AS n FROM event_seals")[0]["n"] == 0


def test_verify_compares_with_the_published_head_by_default(
    sealed: tuple[Container, list[UUID]],
) -> None:
    from fastapi.testclient import TestClient

    container, _ = sealed
    client = TestClient(container.api())
    assert client.get("/v1/audit/verify", headers=token("auditor", "ann")).json()["ok"] is True
    (last,) = container.db.query("SELECT MAX(notification_id) AS n FROM event_seals")
    run(
        container,
        (f"DELETE FROM {table(container)} WHERE {nid(container)} = ?", (last["n"],)),
        ("DELETE FROM event_seals WHERE notification_id = ?", (last["n"],)),
    )
    body = client.get("/v1/audit/verify", headers=token("auditor", "ann")).json()
    assert body["ok"] is False and body["first_problem"]["kind"] == "truncated"
    assert body["compared_with"]["events"]["source"] == "file"


def test_the_verify_cli_compares_with_the_published_head(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: Any,
) -> None:
    from engine.cli import main
    from engine.settings import Settings

    monkeypatch.setenv("PERFLEDGER_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("PERFLEDGER_SECRET", SECRET)
    monkeypatch.delenv("PERFLEDGER_DATABASE_URL", raising=False)
    monkeypatch.delenv("PERFLEDGER_KAFKA_BOOTSTRAP", raising=False)
    container = build(Settings())
    goal = container.app.set_goal(
        SetGoal(
            agent_id="a1",
            team_id="t1",
            title="g",
            kpi="aht_seconds",
            target=300,
            direction="at_most",
            period_start=date(2026, 10, 1),
            period_end=date(2026, 12, 31),
            weight=1,
        ),
        "admin:alice",
    )
    container.app.record_progress(
        goal.id, 280.0, datetime(2026, 10, 2, tzinfo=UTC), "manual", "admin:alice"
    )
    sealer(container).seal_all()
    run(
        container,
        (f"DELETE FROM {table(container)} WHERE {nid(container)} = 2", ()),
        ("DELETE FROM event_seals WHERE notification_id = 2", ()),
    )
    container.close()
    assert main(["verify"]) == 1
    out = capsys.readouterr().out
    assert "(truncated)" in out and "compared with the file head 2:" in out
    assert (
        main(["verify", "--events-head", f"1:{'0' * 64}"]) == 1
    )  # a given head still wins over the file
    assert "compared with the given head 1:" in capsys.readouterr().out


def test_heads_are_published_to_kafka_and_the_newest_is_read_back(
    broker: Any, tmp_path: Path
) -> None:
    topic = heads_topic(f"t{uuid4().hex[:8]}.")
    kafka = KafkaHeads(Settings(), broker.bootstrap, topic)
    try:
        assert kafka.latest() is None
        kafka.publish(Heads((3, "a" * 64), (1, "b" * 64)))
        kafka.publish(Heads((5, "c" * 64), (2, "d" * 64)))
        assert kafka.latest() == Heads((5, "c" * 64), (2, "d" * 64), "kafka")
        # The file lost (or rolled back) on this machine: Kafka's copy is newer and wins.
        file = HeadFile(tmp_path / FILE_NAME)
        file.publish(Heads((4, "e" * 64), (0, GENESIS)))
        both = PublishedHeads(file, kafka).latest()
        assert (both.events, both.archive) == ((5, "c" * 64), (2, "d" * 64))
    finally:
        kafka.close()


def test_an_unreachable_kafka_leaves_the_file_as_the_published_head(tmp_path: Path) -> None:
    file = HeadFile(tmp_path / FILE_NAME)
    file.publish(Heads((4, "e" * 64), None))
    heads = PublishedHeads(
        file, KafkaHeads(Settings(), "127.0.0.1:1", heads_topic(""), timeout=1.0)
    )
    assert heads.latest().events == (4, "e" * 64)
    assert published_heads(Settings(data_dir=tmp_path), None).latest().events == (4, "e" * 64)


def test_a_restarted_archive_chain_is_never_published_over_the_old_head(
    sealed: tuple[Container, list[UUID]],
) -> None:
    container, _ = sealed
    before = heads_of(container).latest().archive
    run(container, ("DELETE FROM archive_chain", ()))
    events = [telephony(n) for n in range(10, 16)]
    with container.db.transaction() as cur:  # the ingestor chains on, from the start again
        archive_new(cur, events, [json.dumps(e).encode() for e in events], KEY)
    sealer(container).step()
    assert heads_of(container).latest().archive == before
    report = verify_against_published(
        container.db, container.app, KEY, heads_of(container).latest()
    )
    assert ("archive", "seal") in kinds(report) and ("archive", "inserted") in kinds(report)


def test_an_unreadable_heads_file_stops_sealing_and_is_reported(
    sealed: tuple[Container, list[UUID]],
) -> None:
    container, _ = sealed
    (container.settings.data_dir / FILE_NAME).write_text("{not json")
    with pytest.raises(SealingRefused, match="unreadable"):
        sealer(container).step()
    report = verify_against_published(
        container.db, container.app, KEY, heads_of(container).latest()
    )
    assert kinds(report) == [("heads", "unreadable")]


def test_the_kafka_copy_stops_a_reseal_when_the_heads_file_is_gone_too(
    sealed: tuple[Container, list[UUID]],
    broker: Any,
) -> None:
    container, _ = sealed
    prefix = f"t{uuid4().hex[:8]}."
    on_kafka = published_heads(container.settings, broker.bootstrap, prefix)
    sealer(container, on_kafka).step()  # publishes the heads to the file and, first time, to Kafka
    assert (
        KafkaHeads(container.settings, broker.bootstrap, heads_topic(prefix)).latest() is not None
    )
    (container.settings.data_dir / FILE_NAME).unlink()
    run(container, ("DELETE FROM event_seals", ()))
    with pytest.raises(SealingRefused):
        sealer(container, published_heads(container.settings, broker.bootstrap, prefix)).step()
    report = verify_against_published(container.db, container.app, KEY, on_kafka.latest())
    assert ("events", "truncated") in kinds(report) and report.compared_with["events"][
        "source"
    ] == "kafka"
