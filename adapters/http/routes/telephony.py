"""Telephony events over HTTP: validated here, kept durably, then onto the same Kafka topic the ingestor reads."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from adapters.http.auth import CurrentPrincipal, require_role
from adapters.http.errors import problem
from adapters.http.routes.common import Services
from adapters.kafka.client import topics_of
from adapters.sql.ingest_counts import deliveries
from adapters.sql.kpi_placements import mismatched_linked
from adapters.sql.kpi_queries import corrections_of
from adapters.telephony.dead_letters import DeadLetter, dead_letter
from adapters.telephony.schema import (
    Bounds,
    InvalidTelephonyEvent,
    Limits,
    validate,
)
from adapters.telephony.screening import ACCEPTED, DUPLICATE, REJECTED, screen
from aggregates.errors import NotFound
from engine.bootstrap import Container

router = APIRouter(tags=["telephony"])
MAX_EVENTS = 10_000


@router.post("/v1/telephony/events", status_code=202)
async def ingest(request: Request, who: CurrentPrincipal, services: Services) -> Any:
    """Accepts a JSON array of telephony events; answers, per event, whether it is accepted, a duplicate or rejected."""
    require_role(who, "ingest", "admin")
    try:
        items = json.loads(await request.body())
    except (ValueError, UnicodeDecodeError, RecursionError):
        return problem(422, "body: not valid JSON", errors=[{"field": "body", "reason": "not valid JSON"}])
    if not isinstance(items, list) or len(items) > MAX_EVENTS:
        reason = f"must be a JSON array of at most {MAX_EVENTS} events"
        return problem(422, f"body: {reason}", errors=[{"field": "body", "reason": reason}])
    return await _accept(services, items)


@router.get("/v1/telephony/deliveries")
def deliveries_of_day(who: CurrentPrincipal, services: Services, day: date) -> dict[str, Any]:
    """Received, accepted, duplicates and dead-lettered on one UTC day, per source, to reconcile with the sender."""
    require_role(who, "ingest", "admin", "auditor")
    return deliveries(services.db, day.isoformat())


@router.get("/v1/telephony/events/{event_id}/corrections")
def corrections(event_id: str, who: CurrentPrincipal, services: Services) -> dict[str, Any]:
    """One event's audit trail: the original as archived, its corrections and voids, and what it counts as."""
    require_role(who, "ingest", "admin", "auditor")
    found = corrections_of(services.db, event_id.lower())
    if found is None:
        raise NotFound(f"no telephony event {event_id} and no correction of it", id=event_id)
    return found


@router.get("/v1/telephony/mismatches")
def mismatches(who: CurrentPrincipal, services: Services) -> dict[str, Any]:
    """Surveys and QA scores counted for an agent who, as their call showed later, did not handle it."""
    require_role(who, "admin", "auditor")
    return {"rows": mismatched_linked(services.db.query)}


async def _accept(services: Container, items: list[Any]) -> JSONResponse:
    from starlette.concurrency import run_in_threadpool

    return await run_in_threadpool(_accept_sync, services, items)


def _accept_sync(services: Container, items: list[Any]) -> JSONResponse:
    bounds = Bounds(Limits.of(services.settings), datetime.now(UTC))
    answers: list[dict[str, Any]] = []
    valid: list[tuple[int, dict[str, Any], bytes]] = []
    dead: list[DeadLetter] = []
    for index, item in enumerate(items):
        # The bytes published are the bytes validated, by the ingestor's own function.
        raw = json.dumps(item, separators=(",", ":")).encode()
        try:
            valid.append((index, validate(raw, bounds), raw))
            answers.append({})
        except InvalidTelephonyEvent as error:
            answers.append(_answer(index, item, REJECTED, error.reason))
            dead.append(dead_letter(b"", raw, error.reason, f"http:{index}"))
    verdicts = screen(services.db.query, [v[1] for v in valid], [v[2] for v in valid])
    fresh: list[tuple[str, bytes, bytes]] = []  # event_id, key (the agent id), bytes
    for (index, event, raw), verdict in zip(valid, verdicts, strict=True):
        answers[index] = _answer(index, event, verdict.outcome, verdict.reason)
        if verdict.outcome == ACCEPTED:
            fresh.append((str(event["event_id"]), event["agent_id"].encode(), raw))
        elif verdict.outcome == REJECTED:
            dead.append(dead_letter(b"", raw, verdict.reason, f"http:{index}", verdict.headers))
    rejected = [{"index": a["index"], "reason": a["reason"]} for a in answers if a["outcome"] == REJECTED]
    duplicates = sum(1 for a in answers if a["outcome"] == DUPLICATE)
    counters = {"received": duplicates + len(rejected), "duplicates": duplicates, "dead_lettered": len(rejected)}
    topics = topics_of(services.settings)
    try:
        if dead:
            services.telephony_publisher.publish(topics.telephony_dlq, dead)
        # Durable before acknowledged: the inbox holds the accepted events until the archive
        # does, and publishes them again if a broker loses them (adapters/telephony/inbox.py).
        services.inbox.accept(fresh, counters)
    except Exception as error:  # noqa: BLE001 - any broker or store failure: the caller retries later
        return problem(503, f"the event stream is unavailable: {error}")
    return JSONResponse({"accepted": len(fresh), "duplicates": duplicates, "rejected": rejected,
                         "events": answers}, status_code=202)


def _answer(index: int, item: Any, outcome: str, reason: str = "") -> dict[str, Any]:
    """What will happen to one element of the batch; the ingestor keeps to it."""
    event_id = item.get("event_id") if isinstance(item, dict) else None
    # An event_id that is not even plausible is not echoed: it may be megabytes long.
    readable = isinstance(event_id, str) and len(event_id) <= 128
    answer: dict[str, Any] = {"index": index, "event_id": event_id if readable else None, "outcome": outcome}
    if reason:
        answer["reason"] = reason
    return answer
