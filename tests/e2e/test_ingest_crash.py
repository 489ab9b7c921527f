"""SIGKILL of the ingestor (which also projects the KPIs) mid-stream changes nothing in the end."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from adapters.kafka.broker import EmbeddedBroker
from adapters.kafka.client import topics_of
from adapters.sql.ingest_counts import counter_totals as ingest_counters
from engine.simulate import simulate
from tests.integration.kpi_oracle import valid_events
from tests.integration.test_telephony_ingest import assert_api_matches_oracle, produce
from tests.support import Pipeline, make_settings, settings_env, wait_until


def start_ingestor(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "engine.cli", "up", "--only", "ingestor"],
        env=env,
        stdout=open(log, "ab"),
        stderr=subprocess.STDOUT,
    )


def received(pipeline: Pipeline) -> int:
    try:
        return ingest_counters(pipeline.container.db).get("received", 0)
    except Exception:  # noqa: BLE001 - the table may be mid-creation by the other process
        return 0


def test_killing_the_ingestor_mid_stream_loses_and_double_counts_nothing(
    tmp_path: Path, broker: EmbeddedBroker
) -> None:
    settings = make_settings(
        tmp_path, f"sqlite:///{tmp_path / 'kpi.db'}", broker.bootstrap, consumer_poll_records=500
    )
    pipeline = Pipeline(settings)  # the test's own view of the database, and the API
    env = {**os.environ, **settings_env(settings)}
    stream = list(simulate(agents=30, teams=3, rate=20_000, duration=1, bad_fraction=0.1, seed=11))
    log = tmp_path / "ingestor.log"
    process = start_ingestor(env, log)
    try:
        produce(broker.bootstrap, topics_of(settings).telephony, stream)
        wait_until(lambda: received(pipeline) >= 2000, timeout=60)
        process.send_signal(signal.SIGKILL)
        process.wait(10)
        halfway = received(pipeline)
        assert halfway < len(stream), "killed too late to prove anything"
        process = start_ingestor(env, log)
        wait_until(lambda: received(pipeline) >= len(stream), timeout=120)
        values = [v for _, v in stream]
        events, invalid, duplicates = valid_events(values)
        assert ingest_counters(pipeline.container.db) == {
            "received": len(stream),
            "accepted": len(events),
            "duplicates": duplicates,
            "dead_lettered": invalid,
        }
        assert_api_matches_oracle(pipeline.client(), values)
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            process.wait(20)
        pipeline.close()
