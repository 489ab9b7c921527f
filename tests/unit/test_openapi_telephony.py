"""OpenAPI telephony examples match the door: every example event passes, every reason is exact."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from adapters.http.openapi_examples import REJECTED_ANSWER, REJECTED_BATCH, TELEPHONY_EVENTS
from adapters.telephony.schema import DEFAULT_LIMITS, Bounds, InvalidTelephonyEvent, validate

BOUNDS = Bounds(DEFAULT_LIMITS, datetime.now(UTC))


def reason(item: object) -> str | None:
    try:
        validate(json.dumps(item).encode(), BOUNDS)
    except InvalidTelephonyEvent as error:
        return error.reason
    return None


def test_there_is_a_valid_example_of_every_event_type() -> None:
    assert set(TELEPHONY_EVENTS) == {
        "call.completed",
        "survey.completed",
        "qa.evaluated",
        "agent.interval",
        "event.corrected",
        "event.voided",
    }
    for kind, event in TELEPHONY_EVENTS.items():
        assert event["type"] == kind and reason(event) is None, kind


def test_the_rejected_batch_example_answers_what_the_door_answers() -> None:
    got = [
        {"index": i, "reason": r}
        for i, item in enumerate(REJECTED_BATCH)
        if (r := reason(item)) is not None
    ]
    assert got == REJECTED_ANSWER["rejected"]
    assert REJECTED_ANSWER["accepted"] == len(REJECTED_BATCH) - len(got)
    assert [e["index"] for e in REJECTED_ANSWER["events"]] == list(range(len(REJECTED_BATCH)))


def test_the_telephony_operation_carries_the_named_examples() -> None:
    from adapters.http.openapi_examples import add_examples

    operation: dict[str, Any] = {"responses": {"202": {"description": "Accepted"}}}
    add_examples("post", "/v1/telephony/events", operation)
    requests = operation["requestBody"]["content"]["application/json"]["examples"]
    answers = operation["responses"]["202"]["content"]["application/json"]["examples"]
    assert set(TELEPHONY_EVENTS) < set(requests) and "rejected-batch" in requests
    assert answers["rejected-batch"]["value"] is REJECTED_ANSWER
