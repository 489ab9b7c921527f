"""Telephony events over HTTP: validated here, then onto the same Kafka topic the ingestor reads."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from adapters.http.auth import CurrentPrincipal, require_role
from adapters.http.errors import problem
from adapters.http.routes.common import Services
from adapters.kafka.client import topics_of
from adapters.kafka.publisher import KafkaPublisher
from adapters.telephony.ingestor import add_counters, archived_ids
from adapters.telephony.schema import MAX_MESSAGE_BYTES, InvalidTelephonyEvent, parse_object
from engine.bootstrap import Container

router = APIRouter(tags=["telephony"])
MAX_EVENTS = 10_000


def publisher(services: Container) -> KafkaPublisher:
    found = services.components.get("telephony_publisher")
    if found is None:
        if not services.bootstrap:
            raise RuntimeError("no Kafka bootstrap configured")
        found = services.components["telephony_publisher"] = KafkaPublisher(services.bootstrap)
    return found


@router.post("/v1/telephony/events", status_code=202)
async def ingest(request: Request, who: CurrentPrincipal, services: Services) -> Any:
    """Accepts a JSON array of telephony events; answers how many were accepted, duplicates and rejected."""
    require_role(who, "ingest", "admin")
    try:
        items = json.loads(await request.body())
    except (ValueError, UnicodeDecodeError):
        return problem(422, "body: not valid JSON", errors=[{"field": "body", "reason": "not valid JSON"}])
    if not isinstance(items, list) or len(items) > MAX_EVENTS:
        reason = f"must be a JSON array of at most {MAX_EVENTS} events"
        return problem(422, f"body: {reason}", errors=[{"field": "body", "reason": reason}])
    return await _accept(services, items)


async def _accept(services: Container, items: list[Any]) -> JSONResponse:
    from starlette.concurrency import run_in_threadpool

    return await run_in_threadpool(_accept_sync, services, items)


def _accept_sync(services: Container, items: list[Any]) -> JSONResponse:
    valid: list[tuple[bytes, bytes, str]] = []
    rejected: list[dict[str, Any]] = []
    dead: list[tuple[bytes, bytes, list[tuple[str, bytes]]]] = []
    for index, item in enumerate(items):
        raw = json.dumps(item, separators=(",", ":")).encode()
        try:
            if len(raw) > MAX_MESSAGE_BYTES:
                raise InvalidTelephonyEvent(f"message: larger than {MAX_MESSAGE_BYTES} bytes")
            event = parse_object(item)
        except InvalidTelephonyEvent as error:
            rejected.append({"index": index, "reason": error.reason})
            dead.append((b"", raw, [("reason", error.reason.encode()), ("source", f"http:{index}".encode())]))
            continue
        valid.append((event.agent_id.encode(), raw, str(event.event_id)))
    seen = archived_ids(services.db.query, [v[2] for v in valid])
    fresh = []
    for key, raw, event_id in valid:
        if event_id not in seen:
            seen.add(event_id)
            fresh.append((key, raw))
    topics = topics_of(services.settings)
    try:
        if fresh:
            publisher(services).publish(topics.telephony, fresh)
        if dead:
            publisher(services).publish(topics.telephony_dlq, dead)
    except Exception as error:  # noqa: BLE001 - any broker failure: the caller retries later
        return problem(503, f"the event stream is unavailable: {error}")
    duplicates = len(valid) - len(fresh)
    with services.db.transaction() as cur:
        add_counters(cur, {"received": duplicates + len(rejected), "duplicates": duplicates,
                           "dead_lettered": len(rejected)})
    return JSONResponse({"accepted": len(fresh), "duplicates": duplicates, "rejected": rejected}, status_code=202)
