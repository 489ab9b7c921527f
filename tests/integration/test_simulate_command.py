"""`perfledger simulate` as in the README: a day of telephony up to now, through the real broker."""

from __future__ import annotations

import json
import re
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from kafka import KafkaConsumer

from adapters.kafka.client import topics_of
from engine.cli import main
from engine.settings import Settings
from tests.support import wait_until


def published(bootstrap: str, topic: str, expected: int) -> list[dict[str, Any]]:
    consumer = KafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        group_id=None,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    found: list[Any] = []

    def all_there() -> bool:
        found.extend(r for rs in consumer.poll(200).values() for r in rs)
        return len(found) >= expected

    try:
        wait_until(all_there, timeout=30)
    finally:
        consumer.close()
    return [json.loads(record.value) for record in found]


def test_simulate_by_default_sends_the_last_day_up_to_now(
    broker: Any,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("PERFLEDGER_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("PERFLEDGER_KAFKA_BOOTSTRAP", broker.bootstrap)
    monkeypatch.setenv("PERFLEDGER_KAFKA_TOPIC_PREFIX", f"s{uuid.uuid4().hex[:8]}.")
    before = datetime.now(UTC)
    assert main(["simulate", "--agents", "3", "--teams", "1", "--rate", "20000"]) == 0
    err = capsys.readouterr().err
    sent = int(re.search(r"sent (\d+) messages", err).group(1))  # type: ignore[union-attr]
    events = published(broker.bootstrap, topics_of(Settings()).telephony, sent)
    stamps = [datetime.fromisoformat(e["occurred_at"]) for e in events]
    calls = [t for e, t in zip(events, stamps, strict=True) if e["type"] == "call.completed"]
    assert len(events) == sent and calls
    assert max(stamps) <= datetime.now(UTC)  # nothing from the future
    assert min(stamps) >= before - timedelta(days=1, minutes=1)
    assert max(calls) > before - timedelta(hours=2)  # today's dashboard has data
