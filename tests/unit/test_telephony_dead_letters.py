"""Dead letters stay publishable whatever came in, and screening decides duplicates, conflicts and
whose call."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from typing import Any

from adapters.telephony.dead_letters import MAX_KEY_BYTES, MAX_PAYLOAD_BYTES, dead_letter
from adapters.telephony.schema import parse_message, to_archive_dict
from adapters.telephony.screening import ACCEPTED, DUPLICATE, REJECTED, screen

CALL = {
    "event_id": "4b7e2c1a-4f4e-4c39-9d0e-1f2a3b4c5d01",
    "type": "call.completed",
    "agent_id": "agent-017",
    "team_id": "team-north",
    "occurred_at": "2026-10-05T09:14:03+02:00",
    "call_id": "c-1",
    "talk_seconds": 212.4,
    "hold_seconds": 31.0,
    "acw_seconds": 45.5,
    "transferred": False,
    "resolved_first_contact": True,
}
SURVEY = {
    "event_id": "4b7e2c1a-4f4e-4c39-9d0e-1f2a3b4c5d03",
    "type": "survey.completed",
    "agent_id": "agent-017",
    "team_id": "team-north",
    "occurred_at": "2026-10-07T11:00:00Z",
    "call_id": "c-1",
    "csat": 4,
}


def test_a_dead_letter_of_a_megabyte_is_cut_keeping_size_digest_and_source() -> None:
    value = b"x" * 1_048_500
    key, payload, headers = dead_letter(b"k" * 5000, value, "message: too big", "t:3:17")
    found = dict(headers)
    assert len(payload) == MAX_PAYLOAD_BYTES and len(key) == MAX_KEY_BYTES
    assert found["original-size"] == b"1048500" and found["truncated"] == b"true"
    assert found["original-sha256"] == hashlib.sha256(value).hexdigest().encode()
    assert found["source"] == b"t:3:17" and found["reason"] == b"message: too big"


def test_a_small_dead_letter_is_kept_whole() -> None:
    key, payload, headers = dead_letter(None, None, "message: not valid JSON", "http:2")
    assert (key, payload) == (b"", b"") and "truncated" not in dict(headers)


class Known:
    """What the database already knows, answering screen's two queries."""

    def __init__(
        self, archived: Sequence[bytes] = (), legs: Sequence[tuple[str, str]] = ()
    ) -> None:
        self.archived = {json.loads(raw)["event_id"]: raw.decode() for raw in archived}
        self.legs = legs

    def __call__(self, text: str, params: Sequence[Any]) -> list[dict[str, Any]]:
        if "telephony_archive" in text:
            return [
                {"event_id": i, "payload": self.archived[i]} for i in params if i in self.archived
            ]
        return [{"call_id": c, "agent_id": a} for c, a in self.legs if c in params]


def _events(*events: dict[str, Any]) -> tuple[list[dict[str, Any]], list[bytes]]:
    raws = [json.dumps(e).encode() for e in events]
    return [to_archive_dict(parse_message(raw)) for raw in raws], raws


def test_the_same_event_spelled_otherwise_is_a_duplicate_and_other_content_a_conflict() -> None:
    original = json.dumps(CALL).encode()
    events, raws = _events(
        {**CALL, "occurred_at": "2026-10-05T07:14:03Z", "vendor": "x"},
        {**CALL, "talk_seconds": 1.0},
    )
    first, second = screen(Known([original]), events, raws)
    assert first.outcome == DUPLICATE
    assert second.outcome == REJECTED and hashlib.sha256(original).hexdigest() in second.reason
    assert ("original-event-sha256", hashlib.sha256(original).hexdigest()) in second.headers


def test_within_one_batch_the_first_version_wins() -> None:
    events, raws = _events(CALL, CALL, {**CALL, "hold_seconds": 0.0})
    assert [v.outcome for v in screen(Known(), events, raws)] == [ACCEPTED, DUPLICATE, REJECTED]


def test_a_survey_for_a_call_of_other_agents_only_is_refused() -> None:
    stranger = {**SURVEY, "agent_id": "agent-099"}
    events, raws = _events(
        stranger, {**stranger, "event_id": "4b7e2c1a-4f4e-4c39-9d0e-1f2a3b4c5d04", "call_id": "c-2"}
    )
    first, second = screen(Known(legs=[("c-1", "agent-017")]), events, raws)
    assert (
        first.outcome == REJECTED
        and first.reason == "agent_id: call c-1 was handled by agent-017, not agent-099"
    )
    assert second.outcome == ACCEPTED  # its call is not known yet


def test_a_transferred_call_counts_for_each_of_its_agents() -> None:
    events, raws = _events({**SURVEY, "agent_id": "agent-099"})
    (verdict,) = screen(Known(legs=[("c-1", "agent-017"), ("c-1", "agent-099")]), events, raws)
    assert verdict.outcome == ACCEPTED


def test_an_answer_already_given_is_kept() -> None:
    events, raws = _events({**SURVEY, "agent_id": "agent-099"})
    (verdict,) = screen(Known(legs=[("c-1", "agent-017")]), events, raws, promised=[True])
    assert verdict.outcome == ACCEPTED
