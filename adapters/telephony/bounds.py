"""Plausibility bounds for telephony events: what the schema's types cannot say.

A well-typed event can still be nonsense that poisons the KPIs or the database: a call of
1e16 seconds overflows every sum it joins, an interval with more handling than available
time reads as 200% occupancy, a timestamp in 2099 opens buckets nobody will ever close.
`check_bounds` refuses such an event with one reason per broken rule, each naming its
field, so it goes to the dead-letter topic instead of into the numbers.

The same check runs on the HTTP route and in the ingestor. Its only moving part is the
clock, and a timestamp that is not too far in the future now is not later either, so the
ingestor never refuses what the route accepted (given the same settings).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from adapters.telephony.errors import InvalidTelephonyEvent

HOUR = 3600
_CALL_PARTS = ("talk_seconds", "hold_seconds", "acw_seconds")
# (part, whole): the part may not exceed the whole within one interval.
_INTERVAL_ORDER = (
    ("handling_seconds", "available_seconds"),
    ("available_seconds", "interval_seconds"),
    ("adherent_seconds", "scheduled_seconds"),
    ("scheduled_seconds", "interval_seconds"),
)


@dataclass(frozen=True)
class Limits:
    """How large and how early or late a telephony event may plausibly be."""

    max_call_part_seconds: float = 8 * HOUR  # each of talk, hold and after-call work
    max_interval_seconds: float = 24 * HOUR
    earliest: datetime = datetime(2000, 1, 1, tzinfo=UTC)
    max_future_seconds: float = 300.0

    @classmethod
    def of(cls, settings: Any) -> Limits:
        """The limits configured in Settings (PERFLEDGER_TELEPHONY_*)."""
        return cls(
            max_call_part_seconds=settings.telephony_max_call_part_seconds,
            max_interval_seconds=settings.telephony_max_interval_seconds,
            earliest=settings.telephony_earliest,
            max_future_seconds=settings.telephony_max_future_seconds,
        )


DEFAULT_LIMITS = Limits()


def check_bounds(event: Mapping[str, Any], limits: Limits, now: datetime | None = None) -> None:
    """Raises InvalidTelephonyEvent naming every field of an archive dict outside its bounds."""
    Bounds(limits, now or datetime.now(UTC)).check(event)


class Bounds:
    """The limits fixed at one instant: built once per poll or batch, checked per event.

    Events are checked as archive dicts (schema.to_archive_dict), whose `occurred_at` is
    ISO 8601 in UTC: such texts compare in time order, and far faster than datetimes.
    """

    def __init__(self, limits: Limits, now: datetime) -> None:
        self.limits = limits
        self.now = now
        self.earliest = limits.earliest.astimezone(UTC).isoformat()
        self.latest = (
            (now + timedelta(seconds=limits.max_future_seconds)).astimezone(UTC).isoformat()
        )

    def check(self, event: Mapping[str, Any]) -> None:
        """Raises InvalidTelephonyEvent naming every field outside its bounds."""
        # The hot path: a few comparisons; the reasons are only worded when one fails.
        limits = self.limits
        if self.earliest <= event["occurred_at"] <= self.latest:
            kind = event["type"]
            if kind == "call.completed":
                most = limits.max_call_part_seconds
                if (
                    event["talk_seconds"] <= most
                    and event["hold_seconds"] <= most
                    and event["acw_seconds"] <= most
                ):
                    return
            elif kind == "agent.interval":
                whole = event["interval_seconds"]
                if (
                    whole <= limits.max_interval_seconds
                    and event["handling_seconds"] <= event["available_seconds"] <= whole
                    and event["adherent_seconds"] <= event["scheduled_seconds"] <= whole
                ):
                    return
            elif kind == "event.corrected":
                # A corrected body is held to the bounds of its type, like any new event.
                if not self.problems(event["event"]):
                    return
            else:
                return
        raise InvalidTelephonyEvent("; ".join(self.problems(event)))

    def problems(self, event: Mapping[str, Any]) -> list[str]:
        """One reason per broken bound, each naming its field."""
        limits = self.limits
        problems = _time_problems(datetime.fromisoformat(event["occurred_at"]), limits, self.now)
        if event["type"] == "call.completed":
            problems += _over(event, _CALL_PARTS, limits.max_call_part_seconds)
        elif event["type"] == "agent.interval":
            problems += _over(event, ("interval_seconds",), limits.max_interval_seconds)
            problems += [
                f"{part}: must not exceed {whole} ({_num(event[part])} > {_num(event[whole])})"
                for part, whole in _INTERVAL_ORDER
                if event[part] > event[whole]
            ]
        elif event["type"] == "event.corrected":
            problems += [f"event.{problem}" for problem in self.problems(event["event"])]
        return problems


def _time_problems(at: datetime, limits: Limits, now: datetime) -> list[str]:
    if at < limits.earliest:
        return [f"occurred_at: before {limits.earliest.isoformat()}"]
    if at > now + timedelta(seconds=limits.max_future_seconds):
        return [f"occurred_at: more than {_num(limits.max_future_seconds)} seconds in the future"]
    return []


def _over(event: Mapping[str, Any], names: tuple[str, ...], limit: float) -> list[str]:
    return [f"{name}: must be at most {_num(limit)}" for name in names if event[name] > limit]


def _num(value: float) -> str:
    return f"{value:g}"
