"""The notification service on fakes: what a command records in the delivery component's copy,
secrets that change with rotation, and who may read deliveries."""

from __future__ import annotations

from uuid import UUID

import pytest

from engine.application import PerfLedger
from engine.notify.signing import subscription_secret
from engine.scope import Forbidden
from engine.services.notifications import NotificationService, SubscriptionSpec
from engine.tokens import Principal
from tests.fakes import FakeDeliveries, roster_from_csv
from tests.support import example_roster

ADMIN = Principal("admin", "root")
SPEC = SubscriptionSpec("team", "team-01", ["alert.raised"], url="https://x.test/h")


@pytest.fixture
def service() -> NotificationService:
    app = PerfLedger(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    return NotificationService(
        app, FakeDeliveries(), roster_from_csv(*example_roster()), "server-secret", False
    )


def test_each_command_leaves_the_component_the_subscription_as_it_now_stands(
    service: NotificationService,
) -> None:
    created = service.subscribe(ADMIN, SPEC)
    sub_id = UUID(created["id"])
    assert created["secret"] == subscription_secret("server-secret", created["id"], 1)
    rotated = service.rotate_secret(ADMIN, sub_id, 1)
    assert rotated["secret"] == subscription_secret("server-secret", created["id"], 2)
    service.remove(ADMIN, sub_id, None)
    (kept,) = service.listing(ADMIN)
    assert (kept["generation"], kept["active"], kept["version"]) == (2, False, 3)


def test_a_manager_sees_and_changes_only_the_teams_the_roster_gives_them(
    service: NotificationService,
) -> None:
    created = service.subscribe(ADMIN, SPEC)
    mei, ming = Principal("manager", "mei"), Principal("manager", "ming")
    assert [s["id"] for s in service.listing(mei)] == [created["id"]]
    assert service.listing(ming) == []
    with pytest.raises(Forbidden):
        service.rotate_secret(ming, UUID(created["id"]), None)
    with pytest.raises(Forbidden):
        service.deliveries_of(mei, UUID(created["id"]), None, 10)
    with pytest.raises(Forbidden):
        service.listing(Principal("agent", "agent-0001"))
