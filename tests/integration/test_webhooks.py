"""Webhooks end to end over the real Kafka protocol and each database: a receiver on loopback
that fails, stalls and goes away still gets every notification, once past its idempotency
key, signed; a receiver that always fails shows up in the dead letters, and a replay
delivers them."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest

from adapters.kafka.broker import EmbeddedBroker
from aggregates.alert import Alert
from engine.notify.kinds import ALERT_RAISED
from engine.services.notifications import SubscriptionSpec
from engine.tokens import Principal
from tests.support import Pipeline, make_settings, wait_until
from tests.webhook_receiver import Receiver

ADMIN = Principal("admin", "root")


def raise_alerts(pipeline: Pipeline, team_id: str, n: int) -> None:
    app = pipeline.container.app
    for i in range(n):
        app.save(
            Alert(
                key=f"deviation:aht_seconds:{team_id}-agent-{i}:2026-11-20",
                rule="deviation",
                team_id=team_id,
                agent_id=f"{team_id}-agent-{i}",
                kpi="aht_seconds",
                day=date(2026, 11, 20),
                value=500.0,
                threshold=400.0,
                summary="slow",
                details={},
                actor="system:alerts",
            )
        )


def deliveries(pipeline: Pipeline, subscription_id: str, status: str | None) -> list[Any]:
    return pipeline.container.services.notifications.deliveries_of(
        ADMIN, UUID(subscription_id), status, 1000
    )


def exactly(pipeline: Pipeline, subscription_id: str, status: str, n: int) -> list[Any] | None:
    """The subscription's deliveries in that status once there are n of them."""
    found = deliveries(pipeline, subscription_id, status)
    return found if len(found) == n else None


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    started = Receiver().start()
    try:
        yield started
    finally:
        started.stop()


def pipeline_of(tmp_path: Path, url: str, broker: EmbeddedBroker, **overrides: Any) -> Pipeline:
    settings = make_settings(
        tmp_path,
        url,
        broker.bootstrap,
        delivery_backoff_seconds=0.05,
        delivery_backoff_max_seconds=0.3,
        delivery_timeout_seconds=0.5,
        delivery_every_seconds=0.05,
        **overrides,
    )
    return Pipeline(settings)


def subscribe(pipeline: Pipeline, receiver: Receiver, team_id: str) -> str:
    answer = pipeline.container.services.notifications.subscribe(
        ADMIN, SubscriptionSpec("team", team_id, [ALERT_RAISED], url=receiver.url)
    )
    receiver.secrets[answer["id"]] = answer["secret"]
    return str(answer["id"])


def test_every_notification_arrives_once_through_failures_a_stall_and_an_outage(
    tmp_path: Path, database_url: str, broker: EmbeddedBroker, receiver: Receiver
) -> None:
    pipeline = pipeline_of(tmp_path, database_url, broker, delivery_max_attempts=100)
    try:
        receiver.script = [500, 500, 500, "stall"]
        receiver.stall_seconds = 1.5
        subscription = subscribe(pipeline, receiver, "team-01")
        pipeline.start("relay", "delivery")
        raise_alerts(pipeline, "team-01", 5)
        raise_alerts(pipeline, "team-02", 2)  # nobody subscribed to team-02
        wait_until(lambda: not receiver.script and receiver.requests() >= 4, timeout=60)

        receiver.stop()  # down for a while: the sender meets a closed port
        wait_until(
            lambda: any(
                "refused" in (d["last_error"] or "").lower()
                for d in deliveries(pipeline, subscription, "pending")
            ),
            timeout=60,
        )
        receiver.start()

        sent = wait_until(
            lambda: exactly(pipeline, subscription, "sent", 5),
            timeout=60,
        )
        accepted = receiver.accepted()
        assert set(accepted) == {d["delivery_id"] for d in sent}
        assert set(accepted.values()) == {1}, "a delivery answered 2xx was sent again"
        assert receiver.all_verified()
        assert {r.body["team_id"] for r in receiver.receipts} == {"team-01"}
        assert {r.body["kind"] for r in receiver.receipts} == {ALERT_RAISED}
        assert not deliveries(pipeline, subscription, "dead")
        assert max(d["attempts"] for d in sent) > 1
    finally:
        pipeline.close()


def test_a_receiver_that_always_fails_fills_the_dead_letters_and_a_replay_delivers_them(
    tmp_path: Path, database_url: str, broker: EmbeddedBroker, receiver: Receiver
) -> None:
    pipeline = pipeline_of(tmp_path, database_url, broker, delivery_max_attempts=3)
    try:
        receiver.always = 500
        subscription = subscribe(pipeline, receiver, "team-01")
        pipeline.start("relay", "delivery")
        raise_alerts(pipeline, "team-01", 3)

        dead = wait_until(
            lambda: exactly(pipeline, subscription, "dead", 3),
            timeout=60,
        )
        assert {d["last_error"] for d in dead} == {"the receiver answered 500"}
        assert {d["attempts"] for d in dead} == {3}
        assert not receiver.accepted()
        metrics = pipeline.client().get("/metrics").text
        assert 'perfledger_notifications{status="dead"} 3.0' in metrics

        receiver.always = 200
        first = dead[0]["delivery_id"]
        services = pipeline.container.services.notifications
        assert services.replay(ADMIN, UUID(subscription), first) == 1
        wait_until(lambda: receiver.accepted()[first] == 1, timeout=60)
        assert services.replay(ADMIN, UUID(subscription), None) == 2
        wait_until(lambda: len(receiver.accepted()) == 3, timeout=60)
        assert set(receiver.accepted().values()) == {1}
        assert not deliveries(pipeline, subscription, "dead")
    finally:
        pipeline.close()


def test_a_message_that_is_no_event_is_parked_and_the_rest_still_delivered(
    tmp_path: Path, broker: EmbeddedBroker, receiver: Receiver
) -> None:
    pipeline = pipeline_of(tmp_path, f"sqlite:///{tmp_path / 'p.db'}", broker)
    try:
        subscription = subscribe(pipeline, receiver, "team-01")
        container = pipeline.container
        publisher = container.publisher()
        try:
            publisher.publish(container.topics.events, [(b"junk", b"not an event")])
        finally:
            publisher.close()
        pipeline.start("relay", "delivery")
        raise_alerts(pipeline, "team-01", 2)
        wait_until(lambda: exactly(pipeline, subscription, "sent", 2), timeout=60)
        group = container.topics.group("perfledger.delivery")
        parked = container.services.operations.records.parked_list(group, 10)
        assert [p["aggregate_id"] for p in parked] == ["junk"]
        assert "not JSON" in parked[0]["reason"]
    finally:
        pipeline.close()
