"""An independent recomputation of the KPIs from raw telephony messages, for tests only.

Written from DESIGN.md's definitions, with exact fractions, sharing no code with
projections/: it decides validity with the telephony schema, then deduplicates, applies
corrections and voids (docs/telephony.md), places late surveys and QA scores in their
call's buckets (crediting the call's agent: the one named if it handled a leg, else the leg
with the latest call time, then the greatest agent id), and divides.
"""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from fractions import Fraction
from typing import Any

from adapters.telephony.schema import InvalidTelephonyEvent, parse_message

KINDS = ("interval", "day", "week", "month")


def bucket(at: datetime, kind: str) -> str:
    at = at.astimezone(UTC)
    if kind == "interval":
        start = at.replace(minute=at.minute - at.minute % 15, second=0, microsecond=0)
    else:
        start = at.replace(hour=0, minute=0, second=0, microsecond=0)
        if kind == "week":
            start -= timedelta(days=start.weekday())
        elif kind == "month":
            start = start.replace(day=1)
    return start.isoformat()


def valid_events(messages: list[bytes]) -> tuple[list[dict[str, Any]], int, int]:
    """Distinct valid events in arrival order, the number of invalid and of duplicate messages."""
    seen: set[str] = set()
    events, invalid, duplicates = [], 0, 0
    for raw in messages:
        try:
            parse_message(raw)
        except InvalidTelephonyEvent:
            invalid += 1
            continue
        event = json.loads(raw)
        if event["event_id"].lower() in seen:
            duplicates += 1
            continue
        seen.add(event["event_id"].lower())
        events.append(event)
    return events, invalid, duplicates


FIXES = ("event.corrected", "event.voided")
KEPT = ("type", "agent_id", "team_id", "call_id")


def as_counted(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The measured events as they count after every correction and void, voided ones marked."""
    fixes: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for e in events:
        if e["type"] in FIXES:
            fixes[(e.get("corrects") or e["voids"]).lower()].append(e)
    counted = []
    for e in events:
        if e["type"] in FIXES:
            continue
        mine = [
            f
            for f in fixes.get(e["event_id"].lower(), [])
            if (f["agent_id"], f["team_id"]) == (e["agent_id"], e["team_id"])
        ]
        if any(f["type"] == "event.voided" for f in mine):
            counted.append({**e, "voided": True})
            continue
        fitting = [
            f
            for f in mine
            if all(f["event"].get(k) == e.get(k) for k in KEPT)
            and datetime.fromisoformat(f["event"]["occurred_at"])
            == datetime.fromisoformat(e["occurred_at"])
        ]
        if fitting:
            latest = max(
                fitting,
                key=lambda f: (datetime.fromisoformat(f["occurred_at"]), f["event_id"].lower()),
            )
            e = {**latest["event"], "event_id": e["event_id"]}
        counted.append(e)
    return counted


def expected_kpis(messages: list[bytes]) -> dict[tuple[str, str, str], dict[str, dict[str, Any]]]:
    """(scope, id, kind) -> bucket start -> KPI row, for every bucket that holds an event."""
    events = as_counted(valid_events(messages)[0])
    call_time: dict[tuple[str, str], datetime] = {}
    leg_team: dict[tuple[str, str], str] = {}
    legs: dict[str, set[str]] = defaultdict(set)
    for e in events:
        if e["type"] == "call.completed":
            at = datetime.fromisoformat(e["occurred_at"])
            key = (e["agent_id"], e["call_id"])
            call_time[key] = min(at, call_time.get(key, at))
            leg_team[key] = min(e["team_id"], leg_team.get(key, e["team_id"]))
            legs[e["call_id"]].add(e["agent_id"])
    sums: dict[tuple[str, str, str, str], dict[str, Fraction]] = defaultdict(
        lambda: defaultdict(Fraction)
    )
    for e in events:
        if e.get("voided"):
            continue  # a voided call still fixes its surveys' buckets (above), counts for nothing
        at = datetime.fromisoformat(e["occurred_at"])
        agent, team = e["agent_id"], e["team_id"]
        if e["type"] in ("survey.completed", "qa.evaluated"):
            call = e["call_id"]
            if legs[call] and agent not in legs[call]:
                # rated an agent who did not take the call: it counts for the call's last leg
                agent = sorted(legs[call], key=lambda a: (call_time[(a, call)], a))[-1]
                team = leg_team[(agent, call)]
            at = call_time.get((agent, call), at)
        for scope, scope_id in (("agent", agent), ("team", team)):
            for kind in KINDS:
                add(sums[(scope, scope_id, kind, bucket(at, kind))], e)
    result: dict[tuple[str, str, str], dict[str, dict[str, Any]]] = defaultdict(dict)
    for (scope, scope_id, kind, start), s in sums.items():
        result[(scope, scope_id, kind)][start] = row(s)
    return result


def add(s: dict[str, Fraction], e: dict[str, Any]) -> None:
    s["events"] += 1
    kind = e["type"]
    if kind == "call.completed":
        s["calls"] += 1
        s["handle"] += (
            Fraction(str(e["talk_seconds"]))
            + Fraction(str(e["hold_seconds"]))
            + Fraction(str(e["acw_seconds"]))
        )
        s["hold"] += Fraction(str(e["hold_seconds"]))
        s["transferred"] += int(e["transferred"])
        if e["resolved_first_contact"] is not None:
            s["fcr_known"] += 1
            s["fcr_true"] += int(e["resolved_first_contact"])
    elif kind == "survey.completed":
        s["csat_n"] += 1
        s["csat"] += e["csat"]
        s["top2"] += int(e["csat"] >= 4)
    elif kind == "qa.evaluated":
        s["qa_n"] += 1
        s["qa"] += Fraction(str(e["qa_score"]))
    else:
        for name in ("scheduled", "adherent", "available", "handling"):
            s[name] += Fraction(str(e[f"{name}_seconds"]))


def ratio(numerator: Fraction, denominator: Fraction) -> float | None:
    return float(numerator / denominator) if denominator else None


def row(s: dict[str, Fraction]) -> dict[str, Any]:
    return {
        "calls_handled": int(s["calls"]),
        "aht_seconds": ratio(s["handle"], s["calls"]),
        "avg_hold_seconds": ratio(s["hold"], s["calls"]),
        "fcr_rate": ratio(s["fcr_true"], s["fcr_known"]),
        "transfer_rate": ratio(s["transferred"], s["calls"]),
        "csat_avg": ratio(s["csat"], s["csat_n"]),
        "csat_top2_rate": ratio(s["top2"], s["csat_n"]),
        "qa_avg": ratio(s["qa"], s["qa_n"]),
        "adherence_rate": ratio(s["adherent"], s["scheduled"]),
        "occupancy_rate": ratio(s["handling"], s["available"]),
    }
