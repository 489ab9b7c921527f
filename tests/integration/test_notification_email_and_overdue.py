"""E-mail notifications through an SMTP server on loopback, and overdue action items notified
once each (over the real Kafka protocol, on each database)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from uuid import UUID

import pytest

from adapters.kafka.broker import EmbeddedBroker
from adapters.sql.notify_store import SqlDeliveries
from engine.commands import ActionItem, RecordCheckIn
from engine.notify.kinds import ACTION_ITEM_OVERDUE, ALERT_RAISED
from engine.services.notifications import SubscriptionSpec
from engine.tokens import Principal
from tests.integration.test_webhooks import raise_alerts
from tests.smtp_sink import SmtpSink
from tests.support import Pipeline, make_settings, wait_until
from tests.webhook_receiver import Receiver

ADMIN = Principal("admin", "root")


@pytest.fixture
def sink() -> Iterator[SmtpSink]:
    started = SmtpSink()
    try:
        yield started
    finally:
        started.close()


def test_an_email_subscription_gets_one_mail_per_notification(
    tmp_path: Path, database_url: str, broker: EmbeddedBroker, sink: SmtpSink
) -> None:
    settings = make_settings(
        tmp_path,
        database_url,
        broker.bootstrap,
        smtp_host="127.0.0.1",
        smtp_port=sink.port,
        smtp_starttls=False,
        delivery_every_seconds=0.05,
    )
    pipeline = Pipeline(settings)
    try:
        pipeline.container.services.notifications.subscribe(
            ADMIN,
            SubscriptionSpec("team", "team-01", [ALERT_RAISED], email="team01@example.com"),
        )
        pipeline.start("relay", "delivery")
        raise_alerts(pipeline, "team-01", 2)
        wait_until(lambda: len(sink.received()) >= 2, timeout=60)
        mails = sink.received()
        assert {m["To"] for m in mails} == {"team01@example.com"}
        assert all(ALERT_RAISED in str(m["Subject"]) for m in mails)
        assert len({m["Message-ID"] for m in mails}) == 2
        assert SqlDeliveries(pipeline.container.db).counts() == {"sent": 2}
    finally:
        pipeline.close()


def test_without_smtp_settings_an_email_notification_is_a_dead_letter_saying_why(
    tmp_path: Path, broker: EmbeddedBroker
) -> None:
    settings = make_settings(
        tmp_path,
        f"sqlite:///{tmp_path / 'm.db'}",
        broker.bootstrap,
        delivery_max_attempts=1,
        delivery_every_seconds=0.05,
    )
    pipeline = Pipeline(settings)
    try:
        sub = pipeline.container.services.notifications.subscribe(
            ADMIN, SubscriptionSpec("team", "team-01", [ALERT_RAISED], email="x@example.com")
        )
        pipeline.start("relay", "delivery")
        raise_alerts(pipeline, "team-01", 1)
        service = pipeline.container.services.notifications
        dead = wait_until(
            lambda: service.deliveries_of(ADMIN, UUID(sub["id"]), "dead", 10), timeout=60
        )
        assert dead[0]["last_error"] == "no SMTP server is configured"
    finally:
        pipeline.close()


def test_an_overdue_action_item_is_notified_once(
    tmp_path: Path, database_url: str, broker: EmbeddedBroker
) -> None:
    receiver = Receiver().start()
    settings = make_settings(
        tmp_path,
        database_url,
        broker.bootstrap,
        delivery_every_seconds=0.05,
        delivery_overdue_every_seconds=0.1,
    )
    pipeline = Pipeline(settings)
    try:
        sub = pipeline.container.services.notifications.subscribe(
            ADMIN, SubscriptionSpec("team", "team-01", [ACTION_ITEM_OVERDUE], url=receiver.url)
        )
        receiver.secrets[sub["id"]] = sub["secret"]
        held = datetime.now(UTC) - timedelta(days=10)
        today = datetime.now(UTC).date()
        items = [
            ActionItem(description="late", owner_id="agent-1", due=today - timedelta(days=3)),
            ActionItem(description="not yet", owner_id="agent-1", due=today + timedelta(days=3)),
        ]
        pipeline.container.app.record_check_in(
            RecordCheckIn(agent_id="agent-1", team_id="team-01", held_at=held, action_items=items),
            "manager:mei",
        )
        pipeline.start("relay", "projector", "delivery")
        wait_until(lambda: receiver.accepted(), timeout=60)
        # Several more checks run; the item stays notified once.
        component = pipeline.container.started.delivery
        assert component is not None
        for _ in range(3):
            assert component.overdue.run_once() == 0
        (receipt,) = receiver.receipts
        assert receipt.verified and receipt.body["kind"] == ACTION_ITEM_OVERDUE
        assert receipt.body["event"]["item"]["description"] == "late"
        assert date.fromisoformat(receipt.body["event"]["item"]["due"]) < today
    finally:
        pipeline.close()
        receiver.stop()
