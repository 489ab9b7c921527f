"""What the engine needs from the outside world; real ones live in adapters/.

Each read-model, broker and store port has an in-memory fake in tests/fakes.py, and one
contract suite runs against the fake and the real adapters alike (the workers' ports in
tests/integration/test_port_contracts.py, the application services' read ports in
tests/integration/test_read_port_contracts.py), so the engine's unit tests on the fakes say
something about production. TelephonyIntake is the exception: its adapter is tested itself.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Protocol
from uuid import UUID

from engine.alert_rules import DayValues
from engine.health import ComponentHealth

Message = tuple[bytes, bytes] | tuple[bytes, bytes, Sequence[tuple[str, bytes]]]


class Publisher(Protocol):
    """Sends keyed messages (with optional headers) to a topic; returns when all are
    acknowledged."""

    def publish(self, topic: str, messages: Sequence[Message]) -> None: ...

    def close(self) -> None: ...


class BrokerLifeSource(Protocol):
    """The identity of the broker's current life (see adapters/kafka/life.py)."""

    def current(self, timeout: float = 10.0) -> str: ...

    def close(self) -> None: ...


class RelayPositions(Protocol):
    """Where the relay stands in the notification log, and in which broker life."""

    def load(self) -> tuple[str, int] | None: ...

    def save(self, life: str, position: int) -> None: ...


class Parking(Protocol):
    """Where a component sets aside what it cannot pass on (a data fault), with the reason."""

    def park(
        self, aggregate_id: str, version: int, source: str, reason: str, payload: bytes | None
    ) -> None: ...


class ProgressSource(Protocol):
    """What the goal-progress manager reads and marks (adapters/sql/progress_source.py)."""

    def follow_roster(self) -> None: ...
    def changed_agents(self) -> dict[str, str]: ...
    def forget_change(self, agent_id: str, changed_at: str) -> None: ...
    def mark_changed(self, agent_id: str) -> None: ...
    def measured_goals(self, agent_id: str) -> list[dict[str, Any]]: ...
    def period_kpis(
        self, agent_id: str, start: date, end: date, team_id: str | None = None
    ) -> tuple[dict[str, Any], datetime | None]: ...
    def claim(self, goal_id: str, interval_start: str) -> bool: ...
    def goal_position(self) -> int: ...
    def save_goal_position(self, position: int) -> None: ...


class AlertSource(Protocol):
    """What the alert evaluator reads from the read models (adapters/sql/alert_source.py)."""

    def fingerprint(self) -> str: ...
    def time_zone(self, team_id: str) -> str: ...
    def teams(self, since: date) -> list[str]: ...
    def day_values(self, team_id: str, since: date) -> DayValues: ...
    def active_goals(self, team_id: str) -> list[dict[str, Any]]: ...
    def rules(self, team_id: str) -> list[dict[str, Any]] | None: ...
    def known_alerts(self, ids: list[str]) -> set[str]: ...


# --- what the application services read (adapters/sql/read_models.py) -------------------------
# Each has its fake (tests/fakes.py) and contract (tests/integration/test_read_port_contracts.py).
# Where a fake cannot be faithful at low cost, the contract holds the behaviour both share: the
# seal check's fake models per-event digests only (not the chain, the archive or kept heads), and
# the explanations' fake explains manual progress and reviews (not KPI inputs as known then).


class Documents(Protocol):
    """The projected docs and histories the application services read."""

    def get(self, kind: str, doc_id: str) -> dict[str, Any] | None: ...
    def find(self, doc_id: str) -> tuple[str, dict[str, Any]] | None: ...
    def page(
        self,
        kind: str,
        *,
        filters: dict[str, str | None],
        teams: tuple[str, ...] | None,
        after: str | None,
        limit: int,
    ) -> list[dict[str, Any]]: ...
    def event_trail(self, aggregate_id: str) -> list[dict[str, Any]]: ...
    def team_ids(self) -> list[str]: ...
    def goal_rollup(
        self,
        team_id: str,
        template_id: str | None,
        start: date | None,
        end: date | None,
    ) -> dict[str, Any]: ...


class Explanations(Protocol):
    """Where a goal's progress value and a review's score came from."""

    def progress(self, goal_id: UUID, n: int) -> dict[str, Any]: ...
    def review(self, review_id: UUID) -> dict[str, Any]: ...


class SealCheck(Protocol):
    """Every stored event, archived telephony event and snapshot checked against its seal."""

    def verify(self, *heads: tuple[int, str] | None) -> dict[str, Any]: ...


class StreamUnavailable(Exception):
    """The event stream (or the store behind it) cannot take telephony events now; retry later
    (503)."""


class TelephonyIntake(Protocol):
    """Telephony events over HTTP: validated, screened, kept durably and sent on
    (adapters/telephony/http_intake.py)."""

    def accept(self, items: list[Any]) -> dict[str, Any]: ...
    def close(self) -> None: ...


class TelephonyRecords(Protocol):
    """What became of telephony input: deliveries per day, an event's corrections, mismatched
    links."""

    def deliveries(self, day: date) -> dict[str, Any]: ...
    def corrections(self, event_id: str) -> dict[str, Any] | None: ...
    def mismatches(self) -> list[dict[str, Any]]: ...
    def team_mismatches(self, team_id: str | None) -> list[dict[str, Any]]: ...


class KpiFigures(Protocol):
    """KPI rows and per-agent totals, live or as known at a moment (bounds: ISO text, UTC).

    Days, weeks and months are cut at midnight in `zone`; `stored_zone` is the zone the stored
    day buckets of that agent or team are cut in (another zone is added up from intervals).
    Row starts are shown with `zone`'s offset.
    """

    def rows(
        self,
        scope: str,
        scope_id: str,
        bucket: str,
        start: str | None,
        end: str | None,
        after: str | None,
        limit: int,
        known_at: str | None,
        zone: str = "UTC",
        stored_zone: str = "UTC",
    ) -> list[dict[str, Any]]: ...
    def agent_totals(
        self,
        team_id: str,
        start: str | None,
        end: str | None,
        known_at: str | None,
        zone: str = "UTC",
        stored_zone: str = "UTC",
    ) -> list[dict[str, Any]]: ...
    def team_of_agent(self, agent_id: str) -> str | None: ...
    def team_exists(self, team_id: str) -> bool: ...
    def team_mismatches(self, team_id: str, start: str | None, end: str | None) -> int: ...


class OperationsRecords(Protocol):
    """What readiness, /metrics and the parked list read: positions, lags, faults, counters."""

    def event_store_position(self) -> int: ...
    def relayed_to(self) -> int: ...
    def consumer_lag(self) -> dict[str, int]: ...
    def partition_lags(self) -> list[dict[str, object]]: ...
    def stored_health(self) -> list[ComponentHealth]: ...
    def parked_counts(self) -> dict[str, int]: ...
    def parked_list(self, consumer: str | None, limit: int) -> list[dict[str, Any]]: ...
    def counter_totals(self) -> dict[str, int]: ...
    def inbox_depth(self) -> int: ...


# --- the roster (people, teams, sites, memberships; issue 11) -----------------------------------
# The roster is event-sourced (aggregates/roster.py); this is what everything else reads of it,
# as it stands now. Memberships are effective-dated: `effective_from` is a local date in the
# time zone of the team joined, and a membership holds from that team's local midnight on that
# date until the next one of the same person starts. An agent belongs to one team at a time.
ROSTER_ROLES: tuple[str, ...] = ("agent", "manager", "director", "auditor", "admin")


@dataclass(frozen=True)
class RosterPerson:
    """A person of the roster; `role` is one of ROSTER_ROLES.

    `sites` is what a director reads: the sites of the teams their roster line names under
    `manages`; empty for a director means the whole centre (and means nothing for other roles).
    `manages` is what their roster line names (the teams a manager manages are the teams'
    `managers`, which the import keeps in step with it).
    """

    person_id: str
    display_name: str
    email: str
    role: str
    external_id: str = ""
    sites: tuple[str, ...] = ()
    manages: tuple[str, ...] = ()


@dataclass(frozen=True)
class RosterSite:
    """A site: its name and IANA time zone."""

    site_id: str
    name: str
    time_zone: str


@dataclass(frozen=True)
class RosterTeam:
    """A team: its name, site, IANA time zone (its site's unless set) and managers now."""

    team_id: str
    name: str
    site_id: str
    time_zone: str
    managers: tuple[str, ...] = ()


@dataclass(frozen=True)
class Membership:
    """An agent's membership of a team from a local date (in that team's time zone) on."""

    person_id: str
    team_id: str
    effective_from: date


class Roster(Protocol):
    """The roster as it stands now (adapters/sql/roster_view.py; fake in tests/fakes.py).

    `version()` changes whenever the roster changes, so a caller may cache what it read
    until the version moves. Unknown ids answer None or empty, never raise.
    """

    def version(self) -> int: ...
    def person(self, person_id: str) -> RosterPerson | None: ...
    def person_by_external_id(self, external_id: str) -> RosterPerson | None: ...
    def person_by_email(self, email: str) -> RosterPerson | None: ...
    def team(self, team_id: str) -> RosterTeam | None: ...
    def site(self, site_id: str) -> RosterSite | None: ...
    def teams(self) -> list[RosterTeam]: ...
    def people(self) -> list[RosterPerson]: ...
    def sites(self) -> list[RosterSite]: ...
    def memberships(self, person_id: str) -> list[Membership]: ...
    def team_at(self, person_id: str, at: datetime) -> str | None: ...
    def managed_teams(self, person_id: str) -> tuple[str, ...]: ...
    def members(self, team_id: str, at: datetime) -> list[str]: ...
    def names(self, ids: Sequence[str]) -> dict[str, str]: ...


# --- bearer tokens (issue 11): the signing-key ring and revocations ------------------------------
# Both live in the database every process shares (a data directory may not be shared), each in a
# table of its own module (adapters/sql/token_keys.py, adapters/sql/revocations.py). The ring holds
# no secret material: a key is derived from the process's secret and the row (engine/keyring.py).
KEY_STATES: tuple[str, ...] = ("active", "verify-only", "retired")


@dataclass(frozen=True)
class SigningKeyRecord:
    """A key of the ring: its id, the salt its key is derived with, and its state."""

    kid: str
    salt: str
    state: str
    created_at: datetime
    changed_at: datetime


class SigningKeys(Protocol):
    """The ring of token-signing keys shared by every process."""

    def ring(self) -> list[SigningKeyRecord]: ...
    def add_first(self, first: SigningKeyRecord) -> None: ...
    def rotate(self, new: SigningKeyRecord) -> None: ...
    def retire(self, kid: str, at: datetime) -> SigningKeyRecord | None: ...


@dataclass(frozen=True)
class Revocation:
    """A revoked token (`kind` token, `value` its jti) or every token of a subject issued at or
    before `issued_until` (epoch seconds; `kind` subject, `value` the subject)."""

    kind: str
    value: str
    issued_until: int
    revoked_at: datetime
    revoked_by: str
    reason: str


class Revocations(Protocol):
    """Revoked tokens and subjects, shared by every process.

    `revoke` is idempotent: a token revoked twice keeps its first record; a subject revoked again
    keeps the latest `issued_until`. `prune` drops token revocations made before a moment (their
    tokens have expired by then) and says how many.
    """

    def revoke(self, revocation: Revocation) -> Revocation: ...
    def all(self) -> list[Revocation]: ...
    def prune(self, revoked_before: datetime) -> int: ...


class RosterFeed(Protocol):
    """Brings the roster read model up to the event store (adapters/sql/roster_view.py).

    The roster service calls it after each command, so the change counts at once; the answer
    is the roster as it then stands, one consistent value to read many times over.
    """

    def catch_up(self) -> Roster: ...


class Deliveries(Protocol):
    """The notification queue as the admin screens read and replay it (adapters/sql/
    notify_store.py), and the subscriptions as the delivery component last applied them."""

    def subscriptions(self) -> list[dict[str, Any]]: ...
    def record_subscription(self, subscription: dict[str, Any]) -> None: ...
    def listing(self, subscription_id: str, status: str | None, limit: int) -> list[Any]: ...
    def replay(self, subscription_id: str, delivery_id: str | None, now: float) -> int: ...
    def counts(self) -> dict[str, int]: ...
