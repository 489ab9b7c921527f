"""The checks of telephony input that need what is already known: duplicates, conflicts, whose call.

Both doors run `screen` on events that passed validation, the HTTP route before it answers
and the ingestor before it archives, so what the route answers is what the ingestor does:

- an `event_id` seen before with the same content (the validated event, so a re-send
  spelled differently is still the same) is a duplicate; with different content it is a
  conflict: refused, the original stays archived, and the dead letter names the original's
  SHA-256 digest, so both versions are kept;
- a survey or QA score whose call is already known, for other agents only, is refused:
  it would otherwise count for an agent who did not take the call. One that arrived before
  its call was accepted then: the KPI model moves it to the call's agent when the call
  arrives (projections/kpi.py, `PlacementIndex.owner`) and `mismatched_linked` lists it.
  A message the HTTP route already accepted (header `perfledger-accepted`) is held to
  that answer: the ingestor counts it for the call's agent, whatever reached it first;
- a correction or void of an event already known is refused when it names a correction
  or void (name the original instead), or when its body is of another type or changes the
  original's agent, team, time or call (void and send again instead). One whose original
  is not known yet is accepted and held until the original arrives (projections/kpi.py).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from adapters.sql import archive
from adapters.sql.kpi_placements import call_agents
from adapters.telephony.dead_letters import digest
from adapters.telephony.schema import parse_message, to_archive_dict
from projections.kpi import identity_problem, is_correction, is_linked, target_of

Run = Callable[[str, Sequence[Any]], list[dict[str, Any]]]
ACCEPTED, DUPLICATE, REJECTED = "accepted", "duplicate", "rejected"


@dataclass
class Verdict:
    """What happens to one event: accepted, duplicate, or rejected with a reason."""

    outcome: str
    reason: str = ""
    headers: list[tuple[str, str]] = field(default_factory=list)  # more dead-letter headers


def screen(
    run: Run,
    events: Sequence[dict[str, Any]],
    raws: Sequence[bytes],
    promised: Sequence[bool] | None = None,
) -> list[Verdict]:
    """One verdict per validated event (archive dicts), in order; `run` executes a query."""
    archived = archived_payloads(run, [e["event_id"] for e in events])
    legs = call_agents(run, [e["call_id"] for e in events if is_linked(e)])
    fixes = [e for e in events if is_correction(e)]
    targets = archived_payloads(run, [target_of(e) for e in fixes]) if fixes else {}
    first: dict[str, tuple[dict[str, Any], bytes]] = {}
    verdicts: list[Verdict] = []
    for number, (event, raw) in enumerate(zip(events, raws, strict=True)):
        kept = bool(promised and promised[number])
        verdict = _same_id(event, first, archived) or _whose_call(event, legs, kept)
        if verdict is None and not kept and is_correction(event):
            verdict = _correctable(event, first, targets)
        if verdict is None:
            verdict = Verdict(ACCEPTED)
            first[event["event_id"]] = (event, raw)
            if event["type"] == "call.completed":
                legs.setdefault(event["call_id"], set()).add(event["agent_id"])
        verdicts.append(verdict)
    return verdicts


def _same_id(
    event: dict[str, Any], first: dict[str, tuple[dict[str, Any], bytes]], archived: dict[str, str]
) -> Verdict | None:
    event_id = event["event_id"]
    if event_id in first:
        original, raw = first[event_id]
    elif event_id in archived:
        raw = archived[event_id].encode()
        original = to_archive_dict(parse_message(raw, limits=None))
    else:
        return None
    if original == event:
        return Verdict(DUPLICATE)
    known = digest(raw)
    return Verdict(
        REJECTED,
        f"event_id: conflict: already received with other content (original sha256 {known})",
        [("conflict", "event_id"), ("original-event-sha256", known)],
    )


def _correctable(
    event: dict[str, Any], first: dict[str, tuple[dict[str, Any], bytes]], archived: dict[str, str]
) -> Verdict | None:
    """A correction or void of a known event must name a measured event and keep its identity."""
    field, target = (
        ("corrects" if event["type"] == "event.corrected" else "voids"),
        target_of(event),
    )
    if target == event["event_id"]:
        return Verdict(REJECTED, f"{field}: must name another event than this one")
    if target in first:
        original = first[target][0]
    elif target in archived:
        original = to_archive_dict(parse_message(archived[target].encode(), limits=None))
    else:
        return None  # not known yet: held until it arrives
    if is_correction(original):
        return Verdict(
            REJECTED,
            f"{field}: {target} is itself an {original['type']}; name the original event "
            f"({target_of(original)})",
        )
    for name in ("agent_id", "team_id"):
        if event[name] != original[name]:
            return Verdict(
                REJECTED, f"{name}: must be the {name} of the event named ({original[name]!r})"
            )
    if event["type"] == "event.corrected":
        problem = identity_problem(original, event["event"])
        if problem is not None:
            return Verdict(REJECTED, f"{problem}; to change it, void the event and send a new one")
    return None


def _whose_call(event: dict[str, Any], legs: dict[str, set[str]], promised: bool) -> Verdict | None:
    if not is_linked(event) or promised:
        return None
    agents = legs.get(event["call_id"])
    if not agents or event["agent_id"] in agents:
        return None
    return Verdict(
        REJECTED,
        f"agent_id: call {event['call_id']} was handled by {', '.join(sorted(agents))}, "
        f"not {event['agent_id']}",
    )


def archived_payloads(run: Run, ids: Sequence[str]) -> dict[str, str]:
    """The archived original payloads of those of these event ids the archive holds."""
    return archive.archived_payloads(run, ids)
