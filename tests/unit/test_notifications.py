"""Notifications without I/O: which events raise which kinds, matching, signing, backoff,
what a subscription may name, overdue items, and the subscription aggregate."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from aggregates.errors import InvalidValue, RuleViolation
from aggregates.subscription import Subscription
from engine.notify.kinds import (
    ACTION_ITEM_OVERDUE,
    ALERT_RAISED,
    DISPUTE_FILED,
    DISPUTE_RESOLVED,
    KINDS,
    MEETING_SCHEDULED,
    REVIEW_FINALISED,
    kinds_of,
)
from engine.notify.matching import (
    InvalidSubscription,
    Notice,
    Subscribed,
    check_email,
    check_kinds,
    check_scope,
    check_url,
    delivery_id,
    matching,
)
from engine.notify.overdue import overdue_items
from engine.notify.retry import backoff_ceiling, next_delay
from engine.notify.signing import sign, subscription_secret, verify

AT = "2026-11-20T10:00:00+00:00"


def sub(scope: str = "team", scope_id: str = "team-01", *kinds: str, since: str = AT) -> Subscribed:
    return Subscribed(
        "s1", scope, scope_id, kinds or (ALERT_RAISED,), "https://x.test/h", None, since
    )


def notice(kind: str = ALERT_RAISED, team: str = "team-01", site: str | None = "site-a") -> Notice:
    return Notice(kind, "agg:1", team, site, "2026-11-20T11:00:00+00:00")


def test_domain_events_raise_their_kinds_and_others_none() -> None:
    assert kinds_of("Alert.Raised", {}) == (ALERT_RAISED,)
    assert kinds_of("Review.Disputed", {}) == (DISPUTE_FILED,)
    assert kinds_of("Review.DisputeUpheld", {}) == (DISPUTE_RESOLVED,)
    assert kinds_of("Goal.TargetRevised", {}) == ()
    assert kinds_of("Review.Finalised", {"resolved_disputes": []}) == (REVIEW_FINALISED,)


def test_a_finalisation_that_rescored_disputes_also_resolves_them() -> None:
    assert kinds_of("Review.Finalised", {"resolved_disputes": [0]}) == (
        REVIEW_FINALISED,
        DISPUTE_RESOLVED,
    )


def test_meetings_are_a_kind_one_may_subscribe_to() -> None:
    assert MEETING_SCHEDULED in check_kinds([MEETING_SCHEDULED])


def test_a_team_subscription_matches_its_team_and_kind_only() -> None:
    assert matching([sub()], notice()) == [sub()]
    assert matching([sub()], notice(team="team-02")) == []
    assert matching([sub()], notice(kind=DISPUTE_FILED)) == []


def test_a_site_subscription_matches_every_team_of_the_site() -> None:
    site = sub("site", "site-a")
    assert matching([site], notice(team="team-09")) == [site]
    assert matching([site], notice(site="site-b")) == []
    assert matching([site], notice(site=None)) == []


def test_events_before_the_subscription_are_not_notified() -> None:
    later = sub(since="2026-11-21T00:00:00+00:00")
    assert matching([later], notice()) == []


def test_delivery_ids_are_stable_per_subscription_event_kind_and_channel() -> None:
    first = delivery_id("s1", "agg:1", ALERT_RAISED, "webhook")
    assert first == delivery_id("s1", "agg:1", ALERT_RAISED, "webhook")
    others = {
        delivery_id("s2", "agg:1", ALERT_RAISED, "webhook"),
        delivery_id("s1", "agg:2", ALERT_RAISED, "webhook"),
        delivery_id("s1", "agg:1", DISPUTE_FILED, "webhook"),
        delivery_id("s1", "agg:1", ALERT_RAISED, "email"),
    }
    assert first not in others and len(others) == 4


def test_a_signature_verifies_with_its_secret_timestamp_and_body_only() -> None:
    secret = subscription_secret("server", "s1", 1)
    signature = sign(secret, 1700000000, b'{"a":1}')
    assert signature.startswith("sha256=")
    assert verify(secret, "1700000000", b'{"a":1}', signature)
    assert not verify(secret, "1700000001", b'{"a":1}', signature)
    assert not verify(secret, "1700000000", b'{"a":2}', signature)
    assert not verify(subscription_secret("server", "s1", 2), "1700000000", b'{"a":1}', signature)
    assert not verify(secret, "not-a-number", b'{"a":1}', signature)


def test_secrets_differ_per_subscription_and_generation() -> None:
    secrets = {
        subscription_secret("server", "s1", 1),
        subscription_secret("server", "s1", 2),
        subscription_secret("server", "s2", 1),
        subscription_secret("other", "s1", 1),
    }
    assert len(secrets) == 4


def test_backoff_doubles_up_to_its_cap() -> None:
    assert [backoff_ceiling(n, 2.0, 30.0) for n in range(1, 7)] == [2, 4, 8, 16, 30, 30]


def test_jitter_stays_between_half_the_ceiling_and_the_ceiling() -> None:
    assert next_delay(3, 2.0, 30.0, draw=lambda: 0.0) == 4.0
    assert next_delay(3, 2.0, 30.0, draw=lambda: 1.0) == 8.0
    assert next_delay(10, 2.0, 30.0, draw=lambda: 0.5) == 22.5


@pytest.mark.parametrize(
    "url",
    [
        "ftp://hooks.example.com/x",
        "hooks.example.com/x",
        "http://hooks.example.com/x",
        "https://user:pw@hooks.example.com/x",
        "https:///nohost",
    ],
)
def test_bad_webhook_urls_are_refused(url: str) -> None:
    with pytest.raises(InvalidSubscription) as refused:
        check_url(url, allow_plain_http=False)
    assert refused.value.field == "url"


@pytest.mark.parametrize(
    "url", ["https://hooks.example.com/x", "http://127.0.0.1:8080/h", "http://localhost/h"]
)
def test_https_and_loopback_http_are_accepted(url: str) -> None:
    assert check_url(url, allow_plain_http=False) == url


def test_the_setting_allows_plain_http_anywhere() -> None:
    assert check_url("http://hooks.internal/x", allow_plain_http=True)


def test_unknown_kinds_scopes_and_addresses_are_refused() -> None:
    with pytest.raises(InvalidValue):
        check_kinds(["alert.raised", "coffee.brewed"])
    with pytest.raises(InvalidValue):
        check_kinds([])
    with pytest.raises(InvalidValue):
        check_scope("centre", "x")
    with pytest.raises(InvalidValue):
        check_scope("team", "  ")
    with pytest.raises(InvalidValue):
        check_email("not an address")
    assert set(check_kinds(list(KINDS))) == set(KINDS)


def test_an_item_is_overdue_once_its_due_day_has_passed_in_the_team_zone() -> None:
    doc = {
        "id": "c1",
        "team_id": "team-sh",
        "action_items": [
            {"n": 1, "due": "2026-11-20", "completed_by": None},
            {"n": 2, "due": "2026-11-20", "completed_by": "manager:m"},
            {"n": 3, "due": "2026-11-21", "completed_by": None},
        ],
    }
    # 17:00 UTC on the 20th is already the 21st in Shanghai, still the 20th in UTC.
    now = datetime(2026, 11, 20, 17, 0, tzinfo=UTC)
    shanghai = overdue_items("CheckIn", "action_items", [doc], now, lambda _: "Asia/Shanghai")
    assert [o.item_key for o in shanghai] == ["CheckIn:c1:1"]
    assert overdue_items("CheckIn", "action_items", [doc], now, lambda _: "UTC") == []
    assert ACTION_ITEM_OVERDUE in KINDS


def test_a_subscription_records_changes_rotations_and_removal() -> None:
    created = Subscription(
        scope="team",
        scope_id="team-01",
        kinds=[ALERT_RAISED],
        url="https://x.test/h",
        email=None,
        actor="admin:a",
    )
    created.rotate_secret(actor="admin:a")
    created.change(kinds=[DISPUTE_FILED], url=None, email="m@example.com", actor="admin:a")
    created.remove(actor="admin:b")
    names = [type(e).__name__ for e in created.collect_events()]
    assert names == ["Created", "SecretRotated", "Changed", "Removed"]
    assert created.generation == 2 and not created.active
    with pytest.raises(RuleViolation):
        created.rotate_secret(actor="admin:a")
