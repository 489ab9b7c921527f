"""KPI math: pure functions from validated telephony events to additive sums, and from sums to KPIs.

The model
---------
Every KPI of DESIGN.md is a ratio of two additive totals (AHT = handle time / calls,
FCR = resolved / known, ...). So the read model stores *sums*, never KPI values: one
record of integer counters (`COUNTERS`) per key `(scope, scope_id, bucket_kind,
bucket_start)`, with scope "agent" or "team" and bucket kinds "interval" (15 minutes),
"day", "week" (ISO, from Monday) and "month", all in UTC. An event adds one `Delta`
to the 8 records it belongs to (4 bucket kinds x agent and team); `kpis()` turns one
record into its KPI row when it is read, by the formulas of the KPI catalogue
(`aggregates/kpis.py`). This is what makes team KPIs come from the
team's events rather than averages of agent averages, and what lets a late event be
moved by subtracting it from one bucket and adding it to another.

Counters are integers, in milliseconds for durations and thousandths for QA scores, so
that totals are exact whatever the order of addition and subtraction: the live model,
a rebuild from the archive and a replay in another order agree to the last digit
(float sums would not). A KPI is then the correctly rounded quotient of two integers.
`events` counts the events a record holds. A record whose `events` is back to 0 (its
only events moved away) holds no data: the caller deletes it, or never shows it, so
that the live model and a rebuild have the same rows; `is_empty()` tells.

Late and out-of-order events (the caller's part)
------------------------------------------------
A survey or QA score counts in the buckets of its call's `occurred_at`, for its call's
agent. Calls are looked up by `call_key(event)` = (agent_id, call_id): a transferred call
has one leg per agent. A survey counts for the agent it names when that agent has a leg
of the call (or no leg is known yet); otherwise for the call's last leg (latest call time,
then greatest agent id) and that leg's team (`PlacementIndex.owner`): a function of the set
of legs, so arrival order does not matter. The caller keeps, durably,
1. the time of each call key it has seen (the earliest, if a call key repeats), the legs
   of each call_id with their teams, and
2. each survey/QA event it has counted with the time and the agent it was placed at,
and for each new (deduplicated) event:
- a survey/QA: count it for `owner(event)` at that leg's call time (its own time while no
  call is known), and remember where it was placed;
- a call: count it at its own time; then every survey/QA of its call_id whose owner or
  time changed moves (subtract where it was, add where it counts now).
`PlacementIndex` does exactly this in memory and says where each event counts
(`place()`); it is the reference the SQL projection mirrors. `increments()` turns a
placement into the 8 records' changes; `SumsBatch` does the same for a whole poll at
an eighth of the cost, and `fold()` applies all of it to a stream.

Corrections and voids
---------------------
`event.corrected` replaces the measurements of an earlier event (`corrects`) with a full
body of the same type; `event.voided` takes one (`voids`) out. What an event counts as is
`effective(original, corrections)`, a function of the *set* of corrections, never of
their order: voided if any void names it; else the body of the latest applicable
correction (by its `occurred_at`, then `event_id`); else the original. A correction is
applicable when it names the original's agent and team and its body keeps the original's
identity (`IDENTITY_FIELDS`): type, agent, team, time and call, so a correction never moves
an event to other buckets or re-links surveys (to move one, void it and send a new event).
A voided call still fixes its surveys' buckets: it was made, only its figures are withdrawn.
The caller counts an event at its effective content and, when a correction arrives for an
event already counted, subtracts the old content and adds the new at the event's placement,
like a late event; a correction whose original is not known yet is held until it is.

Duplicates: deduplication by `event_id` is the caller's job. Two distinct
`call.completed` events with the same call key are assumed not to happen (the telephony
system sends one per agent leg); if they do, both count as calls, and surveys go to
the earliest of their times, which keeps the result independent of arrival order.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aggregates.kpis import values
from projections.attribution import (
    AS_TELEPHONY_SAYS,
    Attribution,
    interval_index,
    starts_of_interval,
)

COUNTERS: tuple[str, ...] = (
    "events",
    "calls",
    "handle_ms",
    "hold_ms",
    "fcr_true",
    "fcr_known",
    "transferred",
    "csat_count",
    "csat_sum",
    "csat_top2",
    "qa_count",
    "qa_milli_sum",
    "scheduled_ms",
    "adherent_ms",
    "available_ms",
    "handling_ms",
)
BUCKET_KINDS: tuple[str, ...] = ("interval", "day", "week", "month")
SCOPES: tuple[str, ...] = ("agent", "team")
INTERVAL_SECONDS = 900
LINKED_TYPES = frozenset({"survey.completed", "qa.evaluated"})
CORRECTION_TYPES = frozenset({"event.corrected", "event.voided"})
# What a correction may not change: the event's place in buckets and its call's link.
IDENTITY_FIELDS: tuple[str, ...] = ("type", "agent_id", "team_id", "call_id")

SumsKey = tuple[str, str, str, datetime]  # (scope, scope_id, bucket_kind, bucket_start)
Delta = dict[str, int]  # sparse: only the counters an event changes
Increment = tuple[SumsKey, Delta]
Placed = tuple[Mapping[str, Any], datetime, int]  # (event, counted at, +1 add / -1 take away)
Sums = dict[str, int]
CallKey = tuple[str, str]  # (agent_id, call_id)

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


# --- buckets ----------------------------------------------------------------------------


def interval_start(at: datetime) -> datetime:
    """Start of the 15-minute UTC interval holding `at`."""
    return bucket_starts(at)[0]


def day_start(at: datetime) -> datetime:
    """UTC midnight starting the day of `at`."""
    return bucket_starts(at)[1]


def week_start(at: datetime) -> datetime:
    """Monday 00:00 UTC starting the ISO week of `at`."""
    return bucket_starts(at)[2]


def month_start(at: datetime) -> datetime:
    """00:00 UTC on the first day of the month of `at`."""
    return bucket_starts(at)[3]


def bucket_starts(at: datetime) -> tuple[datetime, datetime, datetime, datetime]:
    """Interval, day, week and month starts of an aware datetime, in BUCKET_KINDS order (UTC)."""
    return starts_of_interval(interval_index(at))


# --- events to increments ---------------------------------------------------------------


def occurred_at(event: Mapping[str, Any]) -> datetime:
    """The event's own time (an archive dict holds it as ISO text)."""
    value = event["occurred_at"]
    return value if isinstance(value, datetime) else datetime.fromisoformat(value)


def call_key(event: Mapping[str, Any]) -> CallKey:
    """The key linking calls, surveys and QA scores: (agent_id, call_id)."""
    return event["agent_id"], event["call_id"]


def is_linked(event: Mapping[str, Any]) -> bool:
    """True for events that count in their call's buckets (surveys and QA scores)."""
    return event["type"] in LINKED_TYPES


def placement(event: Mapping[str, Any], call_time: datetime | None) -> datetime:
    """The time whose buckets the event counts in: its call's for a survey/QA, when known."""
    if call_time is not None and is_linked(event):
        return call_time
    return occurred_at(event)


class Voided(dict[str, Any]):
    """A voided event: its fields (for its place and its call), counting for nothing."""


def delta(event: Mapping[str, Any]) -> Delta:
    """The counters one event adds to every record it belongs to."""
    if type(event) is Voided:
        return {}
    return _DELTAS[event["type"]](event)


# --- corrections ------------------------------------------------------------------------


def is_correction(event: Mapping[str, Any]) -> bool:
    """True for `event.corrected` and `event.voided`."""
    return event["type"] in CORRECTION_TYPES


def target_of(correction: Mapping[str, Any]) -> str:
    """The event_id a correction or void is about."""
    return str(
        correction["corrects"] if correction["type"] == "event.corrected" else correction["voids"]
    )


def identity_problem(original: Mapping[str, Any], body: Mapping[str, Any]) -> str | None:
    """Why a corrected body cannot replace `original` (a field it may not change), or None."""
    for name in IDENTITY_FIELDS:
        if original.get(name) != body.get(name):
            return (
                f"event.{name}: a correction keeps the original's {name} ({original.get(name)!r})"
            )
    if occurred_at(original) != occurred_at(body):
        return (
            "event.occurred_at: a correction keeps the original's occurred_at"
            f" ({original['occurred_at']})"
        )
    return None


def effective(
    original: Mapping[str, Any], corrections: Iterable[Mapping[str, Any]]
) -> Mapping[str, Any]:
    """What `original` counts as, given every correction and void naming it (in any order)."""
    latest: Mapping[str, Any] | None = None
    latest_key: tuple[datetime, str] | None = None
    for correction in corrections:
        if (
            correction["agent_id"] != original["agent_id"]
            or correction["team_id"] != original["team_id"]
        ):
            # About another agent's event: never applied (the door refuses it when it can tell).
            continue
        if correction["type"] == "event.voided":
            return Voided(original)
        body = correction["event"]
        if identity_problem(original, body) is None:
            key = (occurred_at(correction), correction["event_id"])
            if latest_key is None or key > latest_key:
                latest, latest_key = body, key
    return original if latest is None else latest


def increments(event: Mapping[str, Any], at: datetime | None = None) -> list[Increment]:
    """The 8 (key, delta) pairs of one event, placed at `at` (default: its own time)."""
    change = delta(event)
    return [(key, change) for key in _keys(event, occurred_at(event) if at is None else at)]


def move(event: Mapping[str, Any], old_at: datetime, new_at: datetime) -> list[Increment]:
    """Increments that take a counted event from the buckets of `old_at` to those of `new_at`.

    Buckets the two times share (say, the same day) are left alone rather than
    subtracted and added back.
    """
    change = delta(event)
    undo = negate(change)
    moves: list[Increment] = []
    for old, new in zip(_keys(event, old_at), _keys(event, new_at), strict=True):
        if old != new:
            moves.append((old, undo))
            moves.append((new, change))
    return moves


def negate(change: Delta) -> Delta:
    """The delta that undoes `change`."""
    return {name: -amount for name, amount in change.items()}


def _keys(event: Mapping[str, Any], at: datetime) -> list[SumsKey]:
    return _keys_of(event["agent_id"], event["team_id"], bucket_starts(at))


def _keys_of(
    agent: str, team: str, starts: tuple[datetime, datetime, datetime, datetime]
) -> list[SumsKey]:
    return [
        ("agent", agent, "interval", starts[0]),
        ("agent", agent, "day", starts[1]),
        ("agent", agent, "week", starts[2]),
        ("agent", agent, "month", starts[3]),
        ("team", team, "interval", starts[0]),
        ("team", team, "day", starts[1]),
        ("team", team, "week", starts[2]),
        ("team", team, "month", starts[3]),
    ]


def _thousandths(value: float) -> int:
    # Rounding to an integer is what makes sums exact; sub-millisecond precision is noise.
    return round(value * 1000)


def _call_delta(event: Mapping[str, Any]) -> Delta:
    hold = _thousandths(event["hold_seconds"])
    handle = _thousandths(event["talk_seconds"]) + hold + _thousandths(event["acw_seconds"])
    resolved = event["resolved_first_contact"]
    return {
        "events": 1,
        "calls": 1,
        "handle_ms": handle,
        "hold_ms": hold,
        "fcr_true": int(resolved is True),
        "fcr_known": int(resolved is not None),
        "transferred": int(event["transferred"]),
    }


def _survey_delta(event: Mapping[str, Any]) -> Delta:
    csat = event["csat"]
    return {"events": 1, "csat_count": 1, "csat_sum": csat, "csat_top2": int(csat >= 4)}


def _qa_delta(event: Mapping[str, Any]) -> Delta:
    return {"events": 1, "qa_count": 1, "qa_milli_sum": _thousandths(event["qa_score"])}


def _interval_delta(event: Mapping[str, Any]) -> Delta:
    # interval_seconds is not part of any KPI: adherence and occupancy use the parts.
    return {
        "events": 1,
        "scheduled_ms": _thousandths(event["scheduled_seconds"]),
        "adherent_ms": _thousandths(event["adherent_seconds"]),
        "available_ms": _thousandths(event["available_seconds"]),
        "handling_ms": _thousandths(event["handling_seconds"]),
    }


_DELTAS = {
    "call.completed": _call_delta,
    "survey.completed": _survey_delta,
    "qa.evaluated": _qa_delta,
    "agent.interval": _interval_delta,
}


# --- sums -------------------------------------------------------------------------------


def empty_sums() -> Sums:
    """A record with every counter at zero."""
    return dict.fromkeys(COUNTERS, 0)


def is_empty(sums: Mapping[str, int]) -> bool:
    """True when a record holds no event (any more), so it is no row of the read model."""
    return sums["events"] == 0


def add_sums(total: Sums, more: Mapping[str, Any]) -> None:
    """Adds one record's counters into another (a row from SQL may carry other columns too)."""
    for name in COUNTERS:
        total[name] += int(more[name])


def add_into(totals: dict[SumsKey, Sums], changes: Iterable[Increment]) -> None:
    """Add increments into in-memory records, e.g. to merge one poll before one write."""
    for key, change in changes:
        record = totals.get(key)
        if record is None:
            record = totals[key] = empty_sums()
        for name, amount in change.items():
            record[name] += amount


def kpis(sums: Mapping[str, int]) -> dict[str, int | float | None]:
    """The KPI row of one sums record: each formula of the catalogue (aggregates/kpis.py)."""
    return values(sums)


# --- one poll's worth of events -------------------------------------------------------


class SumsBatch:
    """Sums of many events, kept per (agent, team, telephony's team, interval) and spread over 8
    records once.

    The fast path for a consumer: an event costs one record update instead of eight,
    because all of its buckets follow from its interval (and its team's time zone). The team an
    event counts for comes from `attribution` (projections/attribution.py; by default the team
    telephony names, cut in UTC). `records()` gives the changes to add to the stored records
    (counters may be negative where events moved away).
    """

    def __init__(self, attribution: Attribution = AS_TELEPHONY_SAYS) -> None:
        self.attribution = attribution
        # (agent, team counted for, team telephony named, interval) -> (sums, ever added to)
        self._groups: dict[tuple[str, str, str, int], tuple[Sums, list[bool]]] = {}

    def add(self, event: Mapping[str, Any], at: datetime | None = None, sign: int = 1) -> None:
        """Count `event` at `at` (default: its own time); sign -1 takes it away again."""
        when = occurred_at(event) if at is None else at
        agent, telephony = event["agent_id"], event["team_id"]
        team = self.attribution.team_at(agent, when) or telephony
        self.add_sums(agent, team, telephony, interval_index(when), delta(event), sign)

    def add_sums(
        self, agent: str, team: str, telephony: str, index: int, change: Delta, sign: int = 1
    ) -> None:
        """Count counters for an agent and team in interval number `index`."""
        group = (agent, team, telephony, index)
        found = self._groups.get(group)
        if found is None:
            found = self._groups[group] = (empty_sums(), [False])
        record = found[0]
        for name, amount in change.items():
            record[name] += sign * amount
        if sign > 0:
            found[1][0] = True

    def add_placed(self, placed: Iterable[Placed]) -> None:
        """Add what `PlacementIndex.place` decided."""
        for event, at, sign in placed:
            self.add(event, at, sign)

    def ledger(self) -> dict[tuple[str, str, int], tuple[str, Sums]]:
        """The change per (agent, telephony's team, interval), with the team it counts for."""
        rows: dict[tuple[str, str, int], tuple[str, Sums]] = {}
        for (agent, team, telephony, index), (record, _) in self._groups.items():
            rows[(agent, telephony, index)] = (team, record)
        return rows

    def records(self, kinds: tuple[str, ...] = BUCKET_KINDS) -> dict[SumsKey, Sums]:
        """The change of every record touched, by key (only of the bucket kinds asked for)."""
        return self.records_and_teams(kinds)[0]

    def records_and_teams(
        self, kinds: tuple[str, ...] = BUCKET_KINDS, agent_kinds: tuple[str, ...] | None = None
    ) -> tuple[dict[SumsKey, Sums], dict[SumsKey, str]]:
        """`records()` (agents' records only of `agent_kinds`, default `kinds`), and the team of
        each agent record something was added to (the last)."""
        totals: dict[SumsKey, Sums] = {}
        teams: dict[SumsKey, str] = {}
        zone_of = self.attribution.zone_of
        of_agents = kinds if agent_kinds is None else agent_kinds
        for (agent, team, _, index), (record, added) in self._groups.items():
            changed = [(name, amount) for name, amount in record.items() if amount]
            for key in _keys_of(agent, team, starts_of_interval(index, zone_of(team))):
                if key[2] not in (of_agents if key[0] == "agent" else kinds):
                    continue
                if added[0] and key[0] == "agent":
                    teams[key] = team
                total = totals.get(key)
                if total is None:
                    totals[key] = dict(record)
                    continue
                for name, amount in changed:
                    total[name] += amount
        return totals, teams


# --- the late-event rule, in memory -----------------------------------------------------


@dataclass
class PlacementIndex:
    """What a projection must remember to place surveys and QA scores in their call's buckets,
    for its agent."""

    call_times: dict[CallKey, datetime] = field(default_factory=dict)
    # Each linked event counted so far, by the call key it names, with the time it is placed at.
    linked: dict[CallKey, list[tuple[Mapping[str, Any], datetime]]] = field(default_factory=dict)
    # Who handled each call, with the leg's team: call_id -> agent_id -> team_id.
    legs: dict[str, dict[str, str]] = field(default_factory=dict)
    # Linked events counted for another agent than they name (their call's):
    # event_id -> (agent, team).
    moved: dict[str, tuple[str, str]] = field(default_factory=dict)
    # The agents named by linked events of each call: call_id -> agent ids.
    named: dict[str, set[str]] = field(default_factory=dict)

    def place(self, event: Mapping[str, Any]) -> list[Placed]:
        """Where one new (deduplicated) event counts, and the moves of earlier ones it causes."""
        if is_linked(event):
            return [self._place_linked(event)]
        own: Placed = (event, occurred_at(event), 1)
        if event["type"] == "call.completed":
            return [own, *self._place_call(event, own[1])]
        return [own]

    def apply(self, event: Mapping[str, Any]) -> list[Increment]:
        """`place`, as increments of the 8 records of each placement."""
        return [
            (key, change if sign == 1 else negate(change))
            for placed_event, at, sign in self.place(event)
            for key, change in increments(placed_event, at)
        ]

    def owner(self, event: Mapping[str, Any]) -> tuple[str, str]:
        """The (agent, team) a linked event counts for: the agent it names when that agent handled
        the call or no leg is known; else the call's last leg (latest time, then
        greatest agent id)."""
        legs = self.legs.get(event["call_id"])
        named = event["agent_id"]
        if not legs or named in legs:
            return named, event["team_id"]
        call = event["call_id"]
        agent = max(legs, key=lambda a: (self.call_times.get((a, call), _EPOCH), a))
        return agent, legs[agent] or event[
            "team_id"
        ]  # a leg recorded without its team: keep the event's

    def counted_for(self, event: Mapping[str, Any]) -> tuple[str, str]:
        """The (agent, team) a placed linked event counts for now."""
        return self.moved.get(event["event_id"], (event["agent_id"], event["team_id"]))

    def _place_linked(self, event: Mapping[str, Any]) -> Placed:
        agent, team = self.owner(event)
        at = placement(event, self.call_times.get((agent, event["call_id"])))
        self.add_linked(event, at)
        self._remember_owner(event, agent, team)
        return as_counted_for(event, agent, team), at, 1

    def add_linked(self, event: Mapping[str, Any], at: datetime) -> None:
        """Remembers a linked event placed at `at` (also for a caller loading what it stored)."""
        self.linked.setdefault(call_key(event), []).append((event, at))
        self.named.setdefault(event["call_id"], set()).add(event["agent_id"])

    def _remember_owner(self, event: Mapping[str, Any], agent: str, team: str) -> None:
        if (agent, team) == (event["agent_id"], event["team_id"]):
            self.moved.pop(event["event_id"], None)
        else:
            self.moved[event["event_id"]] = (agent, team)

    def _place_call(self, call: Mapping[str, Any], at: datetime) -> list[Placed]:
        key = call_key(call)
        agent, call_id = key
        legs = self.legs.setdefault(call_id, {})
        team = legs.get(agent)
        legs[agent] = call["team_id"] if team is None else min(team, call["team_id"])
        known = self.call_times.get(key)
        if known is None or at < known:
            self.call_times[key] = at
        moves: list[Placed] = []
        for named in sorted(self.named.get(call_id, ())):
            placed = self.linked[(named, call_id)]
            for number, (event, old_at) in enumerate(placed):
                old = self.counted_for(event)
                new = self.owner(event)
                new_at = placement(event, self.call_times.get((new[0], call_id)))
                if (old, old_at) != (new, new_at):
                    moves += [
                        (as_counted_for(event, *old), old_at, -1),
                        (as_counted_for(event, *new), new_at, 1),
                    ]
                    placed[number] = (event, new_at)
                    self._remember_owner(event, *new)
        return moves


def as_counted_for(event: Mapping[str, Any], agent: str, team: str) -> Mapping[str, Any]:
    """The event as it counts for (agent, team): itself, or a copy (of the same kind, voided or
    not)."""
    if (agent, team) == (event["agent_id"], event["team_id"]):
        return event
    moved = {**event, "agent_id": agent, "team_id": team}
    return Voided(moved) if type(event) is Voided else moved


def counted_as(events: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """The measured events of a stream as they count, every correction and void of the stream
    applied."""
    stream = list(events)
    fixes: dict[str, list[Mapping[str, Any]]] = {}
    for event in stream:
        if is_correction(event):
            fixes.setdefault(target_of(event), []).append(event)
    return [effective(e, fixes.get(e["event_id"], ())) for e in stream if not is_correction(e)]


def fold(
    events: Iterable[Mapping[str, Any]], attribution: Attribution = AS_TELEPHONY_SAYS
) -> dict[SumsKey, Sums]:
    """The non-empty sums records of a stream of distinct events (corrections included), in
    arrival order."""
    index, batch = PlacementIndex(), SumsBatch(attribution)
    for event in counted_as(events):
        batch.add_placed(index.place(event))
    return {key: sums for key, sums in batch.records().items() if not is_empty(sums)}
