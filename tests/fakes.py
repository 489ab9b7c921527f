"""In-memory fakes of the engine's ports (engine/ports.py), for unit tests without I/O.

tests/integration/test_port_contracts.py (the workers' ports) and
tests/integration/test_read_port_contracts.py (the application services' read ports) run the
same contract against each fake and the real adapters (SQLite, PostgreSQL, the embedded
broker), so a fake that drifts from production fails there, not silently in the unit tests
that trust it.
"""

from __future__ import annotations

import dataclasses
import itertools
import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, cast
from uuid import UUID

from adapters.sql.database import Database
from adapters.sql.documents_view import TEAM_RECORDS
from adapters.sql.explain import explain_progress, explain_review
from adapters.sql.ingest_counts import COUNTER_NAMES
from adapters.sql.kpi_queries import KIND, group_by_bucket, range_total
from adapters.sql.notify_store import Delivery
from aggregates.alert import alert_rules_id
from aggregates.contract import GENESIS, EventEnvelope, envelope_of
from aggregates.kpis import KPI_NAMES
from engine.alert_rules import DayValues
from engine.application import PerfLedger
from engine.health import ComponentHealth
from engine.integrity import digest
from engine.ports import (
    Membership,
    Message,
    Revocation,
    RosterPerson,
    RosterSite,
    RosterTeam,
    SigningKeyRecord,
)
from engine.roster_index import RosterIndex
from engine.sign_on import IssuerUnavailable, PendingLogin, SignOnRefused
from projections.attribution import shown
from projections.goals import roll_up
from projections.history_rows import history_entry
from projections.kpi import COUNTERS, Sums, SumsKey, fold, kpis
from projections.roster import KINDS as ROSTER_KINDS
from projections.roster import apply_roster
from projections.store import BUILDERS

MAX_MESSAGE_BYTES = 1_048_576  # kafka-python's default max_request_size


class MessageSizeTooLargeError(Exception):
    """Named as kafka-python names it, so the pipeline's fault rule takes it for a data fault."""


class FakePublisher:
    """Publisher: keeps what it got per topic; refuses oversized messages, or all while down."""

    def __init__(self, max_bytes: int = MAX_MESSAGE_BYTES) -> None:
        self.topics: dict[str, list[Message]] = {}
        self.max_bytes = max_bytes
        self.down = False
        self.closed = 0

    def publish(self, topic: str, messages: Sequence[Message]) -> None:
        if self.down:
            raise ConnectionRefusedError(111, "broker away")
        for message in messages:
            if len(message[0]) + len(message[1]) > self.max_bytes:
                raise MessageSizeTooLargeError(f"the message is {len(message[1])} bytes")
        self.topics.setdefault(topic, []).extend(messages)

    def close(self) -> None:
        self.closed += 1

    def values(self, topic: str) -> list[bytes]:
        return [m[1] for m in self.topics.get(topic, [])]


class FakeBrokerLife:
    """BrokerLifeSource: one life until `restart`, which gives the broker a new one."""

    def __init__(self) -> None:
        self._lives = (f"life-{n}" for n in itertools.count(1))
        self.life = next(self._lives)
        self.reads = 0
        self.closed = False

    def current(self, timeout: float = 10.0) -> str:
        self.reads += 1
        return self.life

    def restart(self) -> None:
        self.life = next(self._lives)

    def close(self) -> None:
        self.closed = True


class FakeRelayPositions:
    """RelayPositions: the last saved (life, position)."""

    def __init__(self) -> None:
        self.saved: tuple[str, int] | None = None

    def load(self) -> tuple[str, int] | None:
        return self.saved

    def save(self, life: str, position: int) -> None:
        self.saved = (life, position)


class FakeParking:
    """Parking: one entry per (aggregate, version), a later parking replacing source and reason."""

    def __init__(self) -> None:
        self.parked: dict[tuple[str, int], tuple[str, str, bytes | None]] = {}

    def park(
        self, aggregate_id: str, version: int, source: str, reason: str, payload: bytes | None
    ) -> None:
        self.parked[(aggregate_id, version)] = (source, reason, payload)


class FakeIssuer:
    """The Issuer port of engine/sign_on.py over a table of tokens and their claims.

    Its tokens are `fake:<n>` strings; `approve` stands for the user signing in at the issuer.
    """

    def __init__(self, issuer: str = "https://issuer.test") -> None:
        self.issuer = issuer
        self.tokens: dict[str, dict[str, Any]] = {}
        self.codes: dict[str, tuple[str, dict[str, Any]]] = {}  # code -> (state, claims)
        self.down = False
        self.numbers = itertools.count(1)

    def token(self, **claims: Any) -> str:
        token = f"fake:{next(self.numbers)}"
        self.tokens[token] = {"iss": self.issuer, "sub": f"idp-{token}", **claims}
        return token

    def access_claims(self, token: str) -> dict[str, Any]:
        if self.down:
            raise IssuerUnavailable("the fake issuer is down")
        claims = self.tokens.get(token)
        if claims is None:
            raise SignOnRefused("the issuer's token is not valid")
        return dict(claims)

    def start(self, redirect_uri: str) -> tuple[str, PendingLogin]:
        if self.down:
            raise IssuerUnavailable("the fake issuer is down")
        n = next(self.numbers)
        pending = PendingLogin(f"state-{n}", f"nonce-{n}", f"verifier-{n}", redirect_uri)
        return f"{self.issuer}/authorize?state={pending.state}", pending

    def approve(self, pending: PendingLogin, **claims: Any) -> str:
        code = f"code-{next(self.numbers)}"
        self.codes[code] = (pending.state, {"iss": self.issuer, "nonce": pending.nonce, **claims})
        return code

    def finish(self, pending: PendingLogin, code: str) -> dict[str, Any]:
        if self.down:
            raise IssuerUnavailable("the fake issuer is down")
        state, claims = self.codes.pop(code, ("", {}))
        if state != pending.state or claims.get("nonce") != pending.nonce:
            raise SignOnRefused("the issuer refused the sign-in: invalid_grant")
        return claims

    def end_session_url(self) -> str | None:
        return None


def midnight(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=UTC)


class FakeReadModels:
    """The read models both sources read: documents, KPI sums, change marks, counters, positions."""

    def __init__(self) -> None:
        self.documents: dict[tuple[str, str], dict[str, Any]] = {}
        self.telephony: list[Mapping[str, Any]] = []
        self.accepted_at: list[str] = []  # when each telephony event was accepted (ISO, UTC)
        self.sums: dict[SumsKey, Sums] = {}
        self.team_of: dict[str, str] = {}
        self.changes: dict[str, str] = {}
        self.marks: set[tuple[str, str]] = set()
        self.goal_position = 0
        self.accepted = 0
        self.synced = 0

    def project(self, events: Iterable[EventEnvelope]) -> None:
        """Domain events into documents, with the projections' own builders."""
        for event in events:
            key = (event.kind, event.id)
            self.documents[key] = BUILDERS[event.kind](self.documents.get(key), event)

    def accept(self, events: Sequence[Mapping[str, Any]]) -> None:
        """Accepted telephony events into the sums (the projections' own fold), marking their
        agents."""
        now = datetime.now(UTC).isoformat()
        self.telephony.extend(events)
        self.accepted_at.extend(now for _ in events)
        self.sums = fold(self.telephony)
        for event in events:
            self.team_of[event["agent_id"]] = event["team_id"]
            self.changes[event["agent_id"]] = now
        self.accepted += len(events)

    def sync(self, app: PerfLedger) -> None:
        """Projects what `app` stored since the last sync, as the projector would."""
        stored = app.recorder.select_notifications(
            start=self.synced, limit=10_000, inclusive_of_start=False
        )
        self.project(envelope_of(n.id, n.topic, app.event_as_dict(n)) for n in stored)
        self.synced = stored[-1].id if stored else self.synced

    def docs(self, kind: str, **where: str) -> list[dict[str, Any]]:
        return [
            doc
            for (k, _), doc in sorted(self.documents.items())
            if k == kind and all(doc.get(column) == value for column, value in where.items())
        ]

    def agent_sums(
        self, agent_id: str, bucket: str, start: datetime, end: datetime
    ) -> dict[datetime, Sums]:
        return {
            key[3]: sums
            for key, sums in self.sums.items()
            if key[:3] == ("agent", agent_id, bucket) and start <= key[3] < end
        }


class FakeProgressSource:
    """ProgressSource over FakeReadModels."""

    def __init__(self, models: FakeReadModels) -> None:
        self.models = models

    def follow_roster(self) -> None:
        return None  # the fake's sums are folded without a roster: nothing to re-attribute

    def changed_agents(self) -> dict[str, str]:
        return dict(self.models.changes)

    def forget_change(self, agent_id: str, changed_at: str) -> None:
        if self.models.changes.get(agent_id) == changed_at:
            del self.models.changes[agent_id]

    def mark_changed(self, agent_id: str) -> None:
        self.models.changes.setdefault(agent_id, datetime.now(UTC).isoformat())

    def measured_goals(self, agent_id: str) -> list[dict[str, Any]]:
        return [
            doc
            for doc in self.models.docs("Goal", agent_id=agent_id, status="active")
            if doc.get("kpi") in KPI_NAMES
        ]

    def period_kpis(
        self, agent_id: str, start: date, end: date, team_id: str | None = None
    ) -> tuple[dict[str, Any], datetime | None]:
        del team_id  # no roster in the fake: every day of the agent counts, cut in UTC
        bounds = (midnight(start), midnight(end + timedelta(days=1)))
        days = self.models.agent_sums(agent_id, "day", *bounds)
        if not days:
            return kpis(dict.fromkeys(COUNTERS, 0)), None
        total = {c: sum(sums.get(c, 0) for sums in days.values()) for c in COUNTERS}
        intervals = self.models.agent_sums(agent_id, "interval", *bounds)
        return kpis(total), max(intervals) + timedelta(minutes=15) if intervals else None

    def claim(self, goal_id: str, interval_start: str) -> bool:
        if (goal_id, interval_start) in self.models.marks:
            return False
        self.models.marks.add((goal_id, interval_start))
        return True

    def goal_position(self) -> int:
        return self.models.goal_position

    def save_goal_position(self, position: int) -> None:
        self.models.goal_position = position


class FakeAlertSource:
    """AlertSource over FakeReadModels."""

    def __init__(self, models: FakeReadModels) -> None:
        self.models = models

    def fingerprint(self) -> str:
        watched = [
            [kind, len(docs), max((d["updated_at"] for d in docs), default=None)]
            for kind in ("AlertRules", "Goal")
            if (docs := self.models.docs(kind))
        ]
        return json.dumps([self.models.accepted, watched])

    def time_zone(self, team_id: str) -> str:
        del team_id  # the fake's sums are folded without a roster: every day is cut in UTC
        return "UTC"

    def teams(self, since: date) -> list[str]:
        return sorted(
            {
                key[1]
                for key in self.models.sums
                if key[0] == "team" and key[2] == "day" and key[3] >= midnight(since)
            }
        )

    def day_values(self, team_id: str, since: date) -> DayValues:
        values: dict[str, dict[date, dict[str, Any]]] = {}
        for (scope, agent_id, bucket, start), sums in self.models.sums.items():
            if (
                (scope, bucket) == ("agent", "day")
                and start >= midnight(since)
                and self.models.team_of.get(agent_id) == team_id
            ):
                values.setdefault(agent_id, {})[start.date()] = kpis(
                    {c: sums.get(c, 0) for c in COUNTERS}
                )
        return values

    def active_goals(self, team_id: str) -> list[dict[str, Any]]:
        return [
            doc
            for doc in self.models.docs("Goal", team_id=team_id, status="active")
            if doc.get("kpi") in KPI_NAMES
        ]

    def rules(self, team_id: str) -> list[dict[str, Any]] | None:
        doc = self.models.documents.get(("AlertRules", str(alert_rules_id(team_id))))
        return list(doc["rules"]) if doc else None

    def known_alerts(self, ids: list[str]) -> set[str]:
        return {i for i in ids if ("Alert", i) in self.models.documents}


class FakeDocuments:
    """Documents (engine/ports.py) over FakeReadModels, the history chained as by the projector."""

    def __init__(self, models: FakeReadModels) -> None:
        self.models = models
        self.histories: dict[str, list[dict[str, Any]]] = {}

    def record(self, events: Iterable[EventEnvelope]) -> None:
        """Projects the events into documents and history rows."""
        events = list(events)
        self.models.project(events)
        for event in events:
            rows = self.histories.setdefault(event.id, [])
            if rows and rows[-1]["version"] >= event.version:
                continue  # at least once: a redelivered event is applied once
            rows.append(history_entry(event, rows[-1]["hash"] if rows else GENESIS))

    def get(self, kind: str, doc_id: str) -> dict[str, Any] | None:
        return self.models.documents.get((kind, doc_id))

    def find(self, doc_id: str) -> tuple[str, dict[str, Any]] | None:
        return next(
            ((kind, doc) for (kind, key), doc in self.models.documents.items() if key == doc_id),
            None,
        )

    def page(
        self,
        kind: str,
        *,
        filters: dict[str, str | None],
        teams: tuple[str, ...] | None,
        after: str | None,
        limit: int,
    ) -> list[dict[str, Any]]:
        found = [
            doc
            for (k, key), doc in sorted(self.models.documents.items())
            if k == kind
            and all(value is None or doc.get(column) == value for column, value in filters.items())
            and (teams is None or doc.get("team_id") in teams)
            and (not after or key > after)
        ]
        return found[:limit]

    def event_trail(self, aggregate_id: str) -> list[dict[str, Any]]:
        return [
            {
                "sequence": r["version"],
                "type": r["type"],
                "at": r["at"],
                "actor": r["actor"],
                "data": r["data"],
                "hash": r["hash"],
                "prev_hash": r["prev_hash"],
            }
            for r in self.histories.get(aggregate_id, [])
        ]

    def team_ids(self) -> list[str]:
        teams = {key[1] for key in self.models.sums if key[0] == "team" and key[2] == "day"}
        teams |= {
            doc["team_id"]
            for (kind, _), doc in self.models.documents.items()
            if kind == "Goal" and doc.get("team_id") is not None
        }
        return sorted(teams)

    def goal_rollup(
        self,
        team_id: str,
        template_id: str | None,
        start: date | None,
        end: date | None,
    ) -> dict[str, Any]:
        goals = [
            doc
            for doc in self.models.docs("Goal", team_id=team_id)
            if template_id is None or doc.get("template_id") == template_id
        ]
        return roll_up(goals, start, end)


class FakeKpiFigures:
    """KpiFigures over FakeReadModels' folded sums; as known at a moment, the telephony accepted
    by then folded again."""

    def __init__(self, models: FakeReadModels) -> None:
        self.models = models

    def _sums(self, known_at: str | None) -> dict[SumsKey, Sums]:
        if known_at is None:
            return self.models.sums
        known = zip(self.models.accepted_at, self.models.telephony, strict=True)
        return fold([event for at, event in known if at <= known_at])

    def _stored(
        self,
        sums: dict[SumsKey, Sums],
        scope: str,
        scope_id: str,
        bucket: str,
        start: str | None,
        end: str | None,
    ) -> list[tuple[str, Sums]]:
        """The stored buckets of one agent or team in [start, end), oldest first."""
        found = sorted(
            (key[3].isoformat(), value)
            for key, value in sums.items()
            if key[:3] == (scope, scope_id, bucket)
        )
        return [
            (at, value)
            for at, value in found
            if (start is None or at >= start) and (end is None or at < end)
        ]

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
    ) -> list[dict[str, Any]]:
        """Every bucket added up from the interval sums, in the zone (the definition: stored
        days are what the real adapter may use instead)."""
        del stored_zone
        sums = self._sums(known_at)
        intervals: list[dict[str, Any]] = [
            {"start": at, **value}
            for at, value in self._stored(sums, scope, scope_id, "interval", None, None)
        ]
        if bucket == "total":
            within = [i for i in intervals if _in(i["start"], start, end, None)]
            found = range_total(within, start, after)
        elif bucket == "interval":
            found = [
                {"start": i["start"], **kpis(i)}
                for i in intervals
                if _in(i["start"], start, end, after)
            ][:limit]
        else:
            totals = group_by_bucket(intervals, KIND[bucket], zone, start, end, after)
            found = [{"start": key, **kpis(totals[key])} for key in sorted(totals)[:limit]]
        return [{**row, "start": shown(row["start"], zone)} for row in found]

    def agent_totals(
        self,
        team_id: str,
        start: str | None,
        end: str | None,
        known_at: str | None,
        zone: str = "UTC",
        stored_zone: str = "UTC",
    ) -> list[dict[str, Any]]:
        del zone, stored_zone  # bounds are instants; intervals are cut alike in every zone
        sums = self._sums(known_at)
        agents = sorted({e["agent_id"] for e in self.models.telephony if e["team_id"] == team_id})
        found = []
        for agent_id in agents:
            days = self._stored(sums, "agent", agent_id, "interval", start, end)
            if days:
                total = {c: sum(value.get(c, 0) for _, value in days) for c in COUNTERS}
                found.append({"agent_id": agent_id, **kpis(total)})
        return found

    def team_of_agent(self, agent_id: str) -> str | None:
        return self.models.team_of.get(agent_id)

    def team_mismatches(self, team_id: str, start: str | None, end: str | None) -> int:
        del team_id, start, end  # without a roster, every event counts where telephony says
        return 0

    def team_exists(self, team_id: str) -> bool:
        return any(key[:2] == ("team", team_id) for key in self.models.sums) or any(
            kind in TEAM_RECORDS and doc.get("team_id") == team_id
            for (kind, _), doc in self.models.documents.items()
        )


class FakeTelephonyRecords:
    """TelephonyRecords: deliveries counted per (day, source), corrections and moved links as
    set."""

    def __init__(self) -> None:
        self.tally: dict[tuple[str, str], list[int]] = {}
        self.trails: dict[str, dict[str, Any]] = {}
        self.moved: list[dict[str, Any]] = []
        self.team_disagreements: list[dict[str, Any]] = []

    def deliver(self, day: date, source: str, counts: Sequence[int]) -> None:
        """Adds counts in COUNTER_NAMES order, as the ingestor's tally does."""
        known = self.tally.setdefault((day.isoformat(), source), [0] * len(COUNTER_NAMES))
        known[:] = [a + b for a, b in zip(known, counts, strict=True)]

    def deliveries(self, day: date) -> dict[str, Any]:
        sources: list[dict[str, Any]] = [
            {"source": source, **dict(zip(COUNTER_NAMES, counts, strict=True))}
            for (on, source), counts in sorted(self.tally.items())
            if on == day.isoformat() and any(counts)
        ]
        total = {name: sum(s[name] for s in sources) for name in COUNTER_NAMES}
        return {"day": day.isoformat(), "sources": sources, "total": total}

    def corrections(self, event_id: str) -> dict[str, Any] | None:
        return self.trails.get(event_id)

    def mismatches(self) -> list[dict[str, Any]]:
        return sorted(self.moved, key=lambda row: str(row["event_id"]))

    def team_mismatches(self, team_id: str | None) -> list[dict[str, Any]]:
        return [
            row
            for row in self.team_disagreements
            if team_id is None or team_id in (row["roster_team"], row["telephony_team"])
        ]


class FakeOperations:
    """OperationsRecords: positions, offsets, faults, parked events and counters as set."""

    def __init__(self, app: PerfLedger, relay: FakeRelayPositions) -> None:
        self.app = app
        self.relay = relay
        self.offsets: dict[tuple[str, str, int], tuple[int, int]] = {}
        self.health: list[ComponentHealth] = []
        self.parked: list[dict[str, Any]] = []
        self.counters: dict[str, int] = {}
        self.inbox = 0

    def park(
        self, consumer: str, aggregate_id: str, version: int, source: str, reason: str
    ) -> None:
        """One entry per (consumer, aggregate, version); a later parking replaces it."""
        self.parked = [
            p
            for p in self.parked
            if (p["consumer"], p["aggregate_id"], p["version"]) != (consumer, aggregate_id, version)
        ]
        self.parked.append(
            {
                "consumer": consumer,
                "aggregate_id": aggregate_id,
                "version": version,
                "source": source,
                "reason": reason,
                "digest": None,
                "waits_behind": None,
                "parked_at": datetime.now(UTC).isoformat(),
            }
        )

    def event_store_position(self) -> int:
        return self.app.recorder.max_notification_id() or 0

    def relayed_to(self) -> int:
        return self.relay.saved[1] if self.relay.saved else 0

    def consumer_lag(self) -> dict[str, int]:
        lags: dict[str, int] = {}
        for (consumer, _, _), (next_offset, highwater) in self.offsets.items():
            lags[consumer] = lags.get(consumer, 0) + max(highwater - next_offset, 0)
        return lags

    def partition_lags(self) -> list[dict[str, object]]:
        return [
            {
                "consumer": consumer,
                "topic": topic,
                "partition": partition,
                "next_offset": next_offset,
                "highwater": highwater,
                "lag": max(highwater - next_offset, 0),
            }
            for (consumer, topic, partition), (next_offset, highwater) in sorted(
                self.offsets.items()
            )
        ]

    def stored_health(self) -> list[ComponentHealth]:
        return list(self.health)

    def parked_counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for entry in sorted(self.parked, key=lambda p: str(p["consumer"])):
            counts[entry["consumer"]] = counts.get(entry["consumer"], 0) + 1
        return counts

    def parked_list(self, consumer: str | None, limit: int) -> list[dict[str, Any]]:
        order = sorted(
            self.parked,
            key=lambda p: (p["parked_at"], p["consumer"], p["aggregate_id"], p["version"]),
        )
        return [p for p in order if consumer in (None, p["consumer"])][:limit]

    def counter_totals(self) -> dict[str, int]:
        return dict(self.counters)

    def inbox_depth(self) -> int:
        return self.inbox


class NoArchive:
    """Stands where the explanations read the telephony archive; the fakes do not model it."""

    def __getattr__(self, name: str) -> Any:
        raise NotImplementedError("KPI inputs as known then need the telephony archive")


class FakeExplanations:
    """Explanations replayed from the application with the SQL adapter's own code; progress
    taken from KPIs (whose inputs are the telephony archive as known then) is not modelled."""

    def __init__(self, app: PerfLedger) -> None:
        self.app = app
        self.archive = cast(Database, NoArchive())

    def progress(self, goal_id: UUID, n: int) -> dict[str, Any]:
        return explain_progress(self.app, self.archive, goal_id, n)

    def review(self, review_id: UUID) -> dict[str, Any]:
        return explain_review(self.app, self.archive, review_id)


class FakeSealCheck:
    """SealCheck, simply: `seal` records each stored event's digest by position; `verify`
    compares the store with them and names missing, moved, altered and inserted events. The
    chain of seals, the archive, snapshots and kept heads are not modelled."""

    def __init__(self, app: PerfLedger) -> None:
        self.app = app
        self.seals: dict[int, tuple[str, int, str]] = {}

    def seal(self) -> None:
        for n in self.app.recorder.select_notifications(1, 1_000_000):
            self.seals.setdefault(
                n.id, (str(n.originator_id), n.originator_version, digest(n.topic, n.state))
            )

    def tamper(self, position: int, old: bytes, new: bytes) -> None:
        """Rewrites one stored event's bytes in place, as someone with access to the store."""
        stored = self.app.recorder._stored_events  # type: ignore[attr-defined]
        event = stored[position - 1]
        stored[position - 1] = dataclasses.replace(event, state=event.state.replace(old, new))

    def verify(self, *heads: tuple[int, str] | None) -> dict[str, Any]:
        stored = {n.id: n for n in self.app.recorder.select_notifications(1, 1_000_000)}
        problems: list[dict[str, Any]] = []

        def problem(kind: str, where: str, detail: str) -> None:
            problems.append({"store": "events", "kind": kind, "where": where, "detail": detail})

        last = max(self.seals, default=0)
        for position in sorted({*self.seals, *(p for p in stored if p < last)}):
            if position not in self.seals:
                problem("inserted", f"notification {position}", "the event has no seal")
                continue
            originator, version, sealed = self.seals[position]
            where = f"event {originator} v{version} (notification {position})"
            found = stored.get(position)
            if found is None:
                problem("missing", where, "the sealed event is not in the store")
            elif (str(found.originator_id), found.originator_version) != (originator, version):
                problem("order", where, "another event holds the position")
            elif digest(found.topic, found.state) != sealed:
                problem("bytes", where, "the stored bytes differ from the sealed ones")
        return {
            "ok": not problems,
            "first_problem": problems[0] if problems else None,
            "events_checked": len(self.seals),
            "events_unsealed": sum(1 for p in stored if p > last),
            "problems": problems,
        }


def _in(text: str, start: str | None, end: str | None, after: str | None) -> bool:
    """A UTC bucket start within [start, end) and after `after` (all UTC ISO texts)."""
    return (
        (start is None or text >= start)
        and (end is None or text < end)
        and (after is None or text > after)
    )


class FakeSigningKeys:
    """SigningKeys: the ring in a dict by kid, kept in order of creation."""

    def __init__(self) -> None:
        self.rows: dict[str, SigningKeyRecord] = {}

    def ring(self) -> list[SigningKeyRecord]:
        return sorted(self.rows.values(), key=lambda r: (r.created_at, r.kid))

    def add_first(self, first: SigningKeyRecord) -> None:
        self.rows.setdefault(first.kid, first)

    def rotate(self, new: SigningKeyRecord) -> None:
        if new.kid in self.rows:
            raise ValueError(f"key {new.kid} exists")  # as the primary key refuses it
        for kid, row in list(self.rows.items()):
            if row.state == "active":
                self.rows[kid] = dataclasses.replace(
                    row, state="verify-only", changed_at=new.created_at
                )
        self.rows[new.kid] = new

    def retire(self, kid: str, at: datetime) -> SigningKeyRecord | None:
        row = self.rows.get(kid)
        if row is not None and row.state != "retired":
            self.rows[kid] = row = dataclasses.replace(row, state="retired", changed_at=at)
        return row


class FakeRevocations:
    """Revocations: by (kind, value); a subject keeps its latest second revoked."""

    def __init__(self) -> None:
        self.rows: dict[tuple[str, str], Revocation] = {}

    def revoke(self, revocation: Revocation) -> Revocation:
        key = (revocation.kind, revocation.value)
        kept = self.rows.get(key)
        if kept is None or (
            revocation.kind == "subject" and revocation.issued_until > kept.issued_until
        ):
            self.rows[key] = revocation
        return self.rows[key]

    def all(self) -> list[Revocation]:
        return sorted(self.rows.values(), key=lambda r: (r.revoked_at, r.value))

    def prune(self, revoked_before: datetime) -> int:
        gone = [
            key
            for key, row in self.rows.items()
            if row.kind == "token" and row.revoked_at < revoked_before
        ]
        for key in gone:
            del self.rows[key]
        return len(gone)


class FakeRosterFeed:
    """The RosterFeed port in memory: the roster projected from an application's events.

    Reads the application's notification log like adapters/sql/roster_view.py, through the
    same pure projection (projections/roster.py), into a RosterIndex.
    """

    def __init__(self, app: Any) -> None:
        self.app = app
        self.rows: dict[str, dict[str, Any]] = {}
        self.position = 0
        self.index = RosterIndex()

    def catch_up(self) -> RosterIndex:
        notes = self.app.recorder.select_notifications(
            start=self.position, limit=1_000_000, inclusive_of_start=False
        )
        events = [envelope_of(n.id, n.topic, self.app.event_as_dict(n)) for n in notes]
        events = [e for e in events if e.kind in ROSTER_KINDS]
        if events:
            apply_roster(self.rows, events)
            self.index = roster_index_of(self.rows.values(), events[-1].notification_id)
        if notes:
            self.position = notes[-1].id
        return self.index


def roster_index_of(rows: Iterable[dict[str, Any]], version: int) -> RosterIndex:
    """A RosterIndex of projected roster rows (projections/roster.py)."""
    rows = list(rows)
    teams = [
        RosterTeam(r["team_id"], r["name"], r["site_id"], r["time_zone"], tuple(r["managers"]))
        for r in rows
        if "team_id" in r and "person_id" not in r
    ]
    site_of = {t.team_id: t.site_id for t in teams}
    sites = [
        RosterSite(r["site_id"], r["name"], r["time_zone"])
        for r in rows
        if "site_id" in r and "team_id" not in r
    ]
    people = [r for r in rows if "person_id" in r]
    persons = [
        RosterPerson(
            r["person_id"],
            r["display_name"],
            r["email"],
            r["role"],
            r["external_id"],
            tuple(sorted({site_of[t] for t in r["manages"] if t in site_of}))
            if r["role"] == "director"
            else (),
            tuple(r["manages"]),
        )
        for r in people
    ]
    memberships = [
        Membership(r["person_id"], team, date.fromisoformat(day))
        for r in people
        for day, team in r["memberships"].items()
    ]
    return RosterIndex(persons, teams, sites, memberships, version)


def roster_from_csv(teams_csv: str | None, people_csv: str | None) -> RosterIndex:
    """The roster that importing these CSV texts gives, built in memory (no I/O) through the
    import itself: for unit tests of what reads the roster (scope, tokens, KPI attribution)."""
    from engine.callers import Principal
    from engine.services.roster import RosterService

    app = PerfLedger(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    feed = FakeRosterFeed(app)
    service = RosterService(app, feed.index, feed, 64 * 1024 * 1024)
    service.import_files(
        Principal("admin", "roster-seed"),
        None if teams_csv is None else teams_csv.encode(),
        None if people_csv is None else people_csv.encode(),
    )
    return feed.catch_up()


class FakeDeliveries:
    """The Deliveries port in memory: subscriptions by id, deliveries by id."""

    def __init__(self) -> None:
        self.subs: dict[str, dict[str, Any]] = {}
        self.queue: dict[str, Delivery] = {}

    def subscriptions(self) -> list[dict[str, Any]]:
        return [dict(self.subs[k]) for k in sorted(self.subs)]

    def record_subscription(self, subscription: dict[str, Any]) -> None:
        known = self.subs.get(subscription["id"])
        if known is None or known["version"] < subscription["version"]:
            self.subs[subscription["id"]] = dict(subscription)

    def listing(self, subscription_id: str, status: str | None, limit: int) -> list[Delivery]:
        found = [
            d
            for d in self.queue.values()
            if d.subscription_id == subscription_id and status in (None, d.status)
        ]
        return sorted(found, key=lambda d: (d.created_at, d.delivery_id))[:limit]

    def replay(self, subscription_id: str, delivery_id: str | None, now: float) -> int:
        replayed = 0
        for d in self.listing(subscription_id, "dead", len(self.queue)):
            if delivery_id in (None, d.delivery_id):
                self.queue[d.delivery_id] = dataclasses.replace(
                    d, status="pending", attempts=0, next_at=now
                )
                replayed += 1
        return replayed

    def counts(self) -> dict[str, int]:
        found: dict[str, int] = {}
        for d in self.queue.values():
            found[d.status] = found.get(d.status, 0) + 1
        return found
