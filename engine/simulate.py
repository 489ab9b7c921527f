"""A seeded, pure simulation of a contact centre's telephony stream (`perfledger simulate`).

`simulate()` yields Kafka messages `(key, value)`, key = agent_id, value = one JSON event
per DESIGN.md's telephony contract. It does no I/O and never sleeps: the same arguments
and seed give the same bytes.

What the arguments mean:
- `rate` x `duration` is the number of messages yielded (rounded), bad ones included.
  `rate` is the pace in messages per second at which the caller sends them and
  `duration` the stream's length in seconds; pacing is the caller's job.
- Simulated time is the centre's own clock, independent of `rate`: from `start`, each
  agent works an 8-hour shift a day (shifts at 00:00, 08:00 and 16:00 UTC, in turn)
  and handles calls back to back with realistic durations and idle gaps. Timestamps
  therefore move forward at the centre's pace, and a larger stream covers more
  simulated hours (roughly 12 messages per working agent per hour).
- `end`, when given, ends the stream before the first valid message due after it, so a
  stream from `start` to `end` covers that span and nothing later; with `end`,
  `duration` may be None (no count limit: the span alone decides the length).

What a stream holds: `call.completed` per call; `survey.completed` for ~20% of calls
and `qa.evaluated` for ~5%, both hours to days after the call and sent when they occur
(so, late); one `agent.interval` per agent per scheduled 15-minute interval, sent when
it ends, its handling time taken from the simulated calls. About 5% of the calls that
get a survey or QA score are themselves sent late, after it, as a telephony back-fill
would, so a survey can arrive before its call. With `bad_fraction` f, about f of the
messages are bad: half invalid (each kind of `INVALID_KINDS` in equal share) and half
exact duplicates of a recent valid message (same key, same bytes).
"""

from __future__ import annotations

import heapq
import json
import math
import random
import uuid
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

Message = tuple[bytes, bytes]

DEFAULT_START = datetime(2026, 10, 5, tzinfo=UTC)  # a Monday: weeks start with the stream
INTERVAL = 900
SHIFT = 8 * 3600
DAY = 86400
IDLE_MEAN = 50.0  # seconds between calls; with ~300 s of work per call, ~85% occupancy
LATE_CALL_SHARE = 0.05
# Share of calls followed up, and the range of the delay in hours.
_FOLLOW_UPS = {"survey.completed": (0.20, (1, 72)), "qa.evaluated": (0.05, (2, 120))}
RECENT = 2000  # how far back a duplicate may reach
INVALID_KINDS: tuple[str, ...] = (
    "not_json",
    "wrong_type",
    "missing_field",
    "negative_duration",
    "csat_out_of_range",
    "unknown_type",
    "oversized",
    "naive_timestamp",
)
# Telephony systems report in local time; several offsets exercise the UTC normalisation.
_TEAM_OFFSETS = (0, -5 * 60, 2 * 60, 5 * 60 + 30, -8 * 60)
_CSAT_WEIGHTS = {True: (3, 4, 10, 33, 50), False: (15, 15, 25, 25, 20), None: (6, 7, 15, 32, 40)}


@dataclass
class _Agent:
    agent_id: str
    team_id: str
    zone: timezone
    shift_offset: int  # seconds after UTC midnight when this agent's shift starts
    clock: float  # epoch seconds: how far this agent's day has been simulated
    shift_end: float = 0.0  # end of the shift being worked (or last worked)
    next_interval: int = 0  # index of the first interval of that shift not yet reported
    busy: dict[int, float] = field(default_factory=dict)  # interval index -> handling s

    def __lt__(self, other: _Agent) -> bool:
        return (self.clock, self.agent_id) < (other.clock, other.agent_id)


def simulate(
    agents: int,
    teams: int,
    rate: float,
    duration: float | None,
    bad_fraction: float = 0.0,
    seed: int = 0,
    start: datetime | None = None,
    end: datetime | None = None,
) -> Iterator[Message]:
    """Yield round(rate * duration) telephony messages of a simulated contact centre.

    Fewer when `end` comes first; with duration None, every message due up to `end`.
    """
    # Checked here, not in the generator, so that bad arguments fail at the call.
    _check(agents, teams, rate, duration, bad_fraction, start, end)
    centre = _Centre(random.Random(seed), agents, teams, (start or DEFAULT_START).timestamp())
    count = None if duration is None else round(rate * duration)
    return _stream(centre, count, bad_fraction, end.timestamp() if end is not None else math.inf)


def _stream(
    centre: _Centre, count: int | None, bad_fraction: float, end: float
) -> Iterator[Message]:
    recent: deque[Message] = deque(maxlen=RECENT)
    done = 0
    while count is None or done < count:
        done += 1
        if centre.rng.random() < bad_fraction:
            yield _bad(centre, recent)
            continue
        at, message = centre.next_timed()
        if at > end:
            return
        recent.append(message)
        yield message


def _check(
    agents: int,
    teams: int,
    rate: float,
    duration: float | None,
    bad: float,
    start: datetime | None,
    end: datetime | None,
) -> None:
    if agents < 1 or teams < 1:
        raise ValueError("agents and teams must be at least 1")
    if rate <= 0 or (duration is not None and duration < 0):
        raise ValueError("rate must be positive and duration not negative")
    if not 0 <= bad <= 1:
        raise ValueError("bad_fraction must be between 0 and 1")
    if any(t is not None and t.utcoffset() is None for t in (start, end)):
        raise ValueError("start and end must be timezone-aware")
    if duration is None and end is None:
        raise ValueError("a stream without a duration needs an end")


def _bad(centre: _Centre, recent: deque[Message]) -> Message:
    if recent and centre.rng.random() < 0.5:
        return centre.rng.choice(recent)
    return centre.invalid(centre.rng.choice(INVALID_KINDS))


class _Centre:
    """The simulated centre: agents advancing through their shifts, messages awaiting sending."""

    def __init__(self, rng: random.Random, agents: int, teams: int, start: float) -> None:
        self.rng = rng
        self.agents = [_new_agent(i, teams, start) for i in range(agents)]
        heapq.heapify(self.agents)
        self.pending: list[tuple[float, int, Message]] = []  # (send at, sequence, message)
        self.sequence = 0
        self.calls = 0

    def next_message(self) -> Message:
        """The next valid message in send order, simulating as far as needed."""
        return self.next_timed()[1]

    def next_timed(self) -> tuple[float, Message]:
        """The next valid message in send order and when it is sent (epoch seconds)."""
        # A pending message is final once every agent's clock has passed its send time.
        while not self.pending or self.pending[0][0] > self.agents[0].clock:
            agent = heapq.heappop(self.agents)
            self._advance(agent)
            heapq.heappush(self.agents, agent)
        at, _, message = heapq.heappop(self.pending)
        return at, message

    def invalid(self, kind: str) -> Message:
        """A message that breaks the contract in the way `kind` names."""
        agent = self.rng.choice(self.agents)
        event = self._call_event(agent, agent.clock, f"bad-{self.sequence}")
        return agent.agent_id.encode(), _corrupt(kind, event, self.rng)

    def _advance(self, agent: _Agent) -> None:
        """Simulate one step of an agent's day: one call, or the start of the next shift."""
        self._report_intervals(agent, min(agent.clock, agent.shift_end))
        if agent.clock >= agent.shift_end:
            _start_shift(agent)
            return
        call_start = agent.clock + self.rng.expovariate(1 / IDLE_MEAN)
        # No new call once the shift is over; one already under way may run over.
        agent.clock = min(call_start, agent.shift_end)
        if call_start < agent.shift_end:
            agent.clock = self._handle_call(agent, call_start)

    def _handle_call(self, agent: _Agent, begin: float) -> float:
        self.calls += 1
        event = self._call_event(agent, begin, f"c-{self.calls:07d}")
        end: float = begin + event["talk_seconds"] + event["hold_seconds"] + event["acw_seconds"]
        event["occurred_at"] = _stamp(end, agent.zone)
        _add_busy(agent, begin, end)
        self._report_intervals(agent, begin)
        linked = [self._follow_up(agent, event, end, kind) for kind in _FOLLOW_UPS]
        sent = [at for at in linked if at is not None]
        late = bool(sent) and self.rng.random() < LATE_CALL_SHARE
        self._send(agent, event, max(sent) + self.rng.uniform(60, 3600) if late else end)
        return end

    def _follow_up(
        self, agent: _Agent, call: dict[str, Any], end: float, kind: str
    ) -> float | None:
        """Maybe a survey or QA score of the call, as `kind` says; returns when it is sent."""
        share, (low, high) = _FOLLOW_UPS[kind]
        if self.rng.random() >= share:
            return None
        # Log-uniform delays: most within a day, some several days later.
        at = end + 3600 * math.exp(self.rng.uniform(math.log(low), math.log(high)))
        event = self._common(agent, kind, at)
        event["call_id"] = call["call_id"]
        if kind == "survey.completed":
            event["csat"] = self._csat(call["resolved_first_contact"])
        else:
            event["qa_score"] = round(min(100.0, max(0.0, self.rng.gauss(82, 9))))
            event["evaluator_id"] = f"qa-lead-{self.rng.randint(1, 3)}"
        self._send(agent, event, at)
        return at

    def _csat(self, resolved: bool | None) -> int:
        return self.rng.choices((1, 2, 3, 4, 5), weights=_CSAT_WEIGHTS[resolved])[0]

    def _report_intervals(self, agent: _Agent, until: float) -> None:
        """Send agent.interval for every interval of the shift that has ended by `until`."""
        while (agent.next_interval + 1) * INTERVAL <= until:
            index = agent.next_interval
            agent.next_interval += 1
            event = self._interval_event(agent, index, agent.busy.pop(index, 0.0))
            self._send(agent, event, max((index + 1) * INTERVAL + 60, agent.clock))

    def _interval_event(self, agent: _Agent, index: int, busy: float) -> dict[str, Any]:
        handling = min(INTERVAL, round(busy))
        absent = 0 if self.rng.random() < 0.6 else self.rng.randint(10, 150)
        aux = 0 if self.rng.random() < 0.8 else self.rng.randint(60, 300)
        event = self._common(agent, "agent.interval", index * INTERVAL)
        event.update(
            interval_seconds=INTERVAL,
            scheduled_seconds=INTERVAL,
            adherent_seconds=INTERVAL - absent,
            available_seconds=max(handling, INTERVAL - aux),
            handling_seconds=handling,
        )
        return event

    def _call_event(self, agent: _Agent, at: float, call_id: str) -> dict[str, Any]:
        rng = self.rng
        event = self._common(agent, "call.completed", at)
        fcr = rng.random()
        event.update(
            call_id=call_id,
            talk_seconds=round(rng.lognormvariate(math.log(240), 0.45), 1),
            hold_seconds=0.0 if rng.random() < 0.6 else round(rng.uniform(30, 90), 1),
            acw_seconds=round(rng.uniform(30, 60), 1),
            transferred=rng.random() < 0.08,
            resolved_first_contact=None if fcr < 0.1 else fcr < 0.8,
        )
        return event

    def _common(self, agent: _Agent, kind: str, at: float) -> dict[str, Any]:
        return {
            "event_id": str(uuid.UUID(int=self.rng.getrandbits(128), version=4)),
            "type": kind,
            "agent_id": agent.agent_id,
            "team_id": agent.team_id,
            "occurred_at": _stamp(at, agent.zone),
        }

    def _send(self, agent: _Agent, event: dict[str, Any], at: float) -> None:
        self.sequence += 1
        message = (agent.agent_id.encode(), _encode(event))
        heapq.heappush(self.pending, (at, self.sequence, message))


def _new_agent(index: int, teams: int, start: float) -> _Agent:
    team = index % teams
    zone = timezone(timedelta(minutes=_TEAM_OFFSETS[team % len(_TEAM_OFFSETS)]))
    shift_offset = (index % 3) * SHIFT  # three shifts cover the day
    return _Agent(f"agent-{index + 1:04d}", f"team-{team + 1:02d}", zone, shift_offset, start)


def _start_shift(agent: _Agent) -> None:
    """Move the agent into the shift its clock is in, or else the next one."""
    begin = math.floor(agent.clock / DAY) * DAY + agent.shift_offset
    if agent.clock >= begin + SHIFT:
        begin += DAY
    agent.clock = max(agent.clock, begin)
    agent.shift_end = begin + SHIFT
    # Only whole intervals are reported: a stream starting mid-interval skips that one.
    agent.next_interval = math.ceil(agent.clock / INTERVAL)
    agent.busy.clear()  # time worked past the previous shift's end is not reported


def _add_busy(agent: _Agent, begin: float, end: float) -> None:
    index = int(begin // INTERVAL)
    while index * INTERVAL < end:
        overlap = min(end, (index + 1) * INTERVAL) - max(begin, index * INTERVAL)
        agent.busy[index] = agent.busy.get(index, 0.0) + overlap
        index += 1


def _stamp(at: float, zone: timezone) -> str:
    text = datetime.fromtimestamp(int(at), tz=zone).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def _encode(event: dict[str, Any]) -> bytes:
    return json.dumps(event, separators=(",", ":")).encode()


def _corrupt(kind: str, event: dict[str, Any], rng: random.Random) -> bytes:
    """The call event broken in the way `kind` names (see INVALID_KINDS)."""
    if kind == "not_json":
        raw = _encode(event)
        return raw[: rng.randint(1, len(raw) - 2)]
    if kind == "wrong_type":
        wrong = (("talk_seconds", "212.4"), ("transferred", "true"), ("hold_seconds", None))
        name, value = rng.choice(wrong)
        event[name] = value
    elif kind == "missing_field":
        del event[rng.choice(("agent_id", "call_id", "hold_seconds", "occurred_at"))]
    elif kind == "negative_duration":
        event[rng.choice(("talk_seconds", "hold_seconds", "acw_seconds"))] = -12.5
    elif kind == "csat_out_of_range":
        event = {k: event[k] for k in ("event_id", "agent_id", "team_id", "occurred_at", "call_id")}
        event.update(type="survey.completed", csat=rng.choice((0, 6, 7, 10)))
    elif kind == "unknown_type":
        event["type"] = "call.transferred"
    elif kind == "oversized":
        event["notes"] = "x" * 70_000  # a valid event, only too big
    elif kind == "naive_timestamp":
        event["occurred_at"] = event["occurred_at"].replace("Z", "")[:19]
    return _encode(event)
