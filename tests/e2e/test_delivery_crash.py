"""SIGKILL of the delivery component mid-batch: after a restart every notification has arrived,
and nothing arrived twice past the receiver's idempotency key (the delivery id)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from adapters.kafka.broker import EmbeddedBroker
from adapters.sql.notify_store import SqlDeliveries
from engine.notify.kinds import ALERT_RAISED
from engine.services.notifications import SubscriptionSpec
from engine.tokens import Principal
from tests.integration.test_webhooks import raise_alerts
from tests.support import Pipeline, make_settings, settings_env, wait_until
from tests.webhook_receiver import Receiver

ALERTS = 120


def start_delivery(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "engine.cli", "up", "--only", "delivery"],
        env=env,
        stdout=open(log, "ab"),
        stderr=subprocess.STDOUT,
    )


def test_killing_the_delivery_component_mid_batch_loses_and_duplicates_nothing(
    tmp_path: Path, broker: EmbeddedBroker
) -> None:
    settings = make_settings(
        tmp_path,
        f"sqlite:///{tmp_path / 'hooks.db'}",
        broker.bootstrap,
        delivery_every_seconds=0.05,
        delivery_backoff_seconds=0.05,
        delivery_backoff_max_seconds=0.3,
        delivery_timeout_seconds=2.0,
    )
    receiver = Receiver(pause_seconds=0.02).start()
    pipeline = Pipeline(settings).start("relay")  # the test's own view, and the relay
    env = {**os.environ, **settings_env(settings)}
    log = tmp_path / "delivery.log"
    process = start_delivery(env, log)
    try:
        answer = pipeline.container.services.notifications.subscribe(
            Principal("admin", "root"),
            SubscriptionSpec("team", "team-01", [ALERT_RAISED], url=receiver.url),
        )
        receiver.secrets[answer["id"]] = answer["secret"]
        raise_alerts(pipeline, "team-01", ALERTS)
        wait_until(lambda: len(receiver.accepted()) >= 30, timeout=120)
        process.send_signal(signal.SIGKILL)
        process.wait(10)
        assert len(receiver.accepted()) < ALERTS, "killed too late to prove anything"

        process = start_delivery(env, log)
        wait_until(lambda: len(receiver.accepted()) >= ALERTS, timeout=180)
        deliveries = SqlDeliveries(pipeline.container.db)
        wait_until(lambda: deliveries.counts() == {"sent": ALERTS}, timeout=60)
        accepted = receiver.accepted()
        assert len(accepted) == ALERTS
        # At most the one request in flight at the kill is sent again: same delivery id.
        assert sum(accepted.values()) - ALERTS <= 1
        assert receiver.all_verified()
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            process.wait(20)
        pipeline.close()
        receiver.stop()
