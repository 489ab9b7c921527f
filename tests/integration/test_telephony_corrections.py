"""Telephony corrections and voids through the KPIs, checked against an independent recomputation.

The same mix of calls, surveys, QA scores and intervals with their corrections and voids is
sent in four arrival orders (each under its own agents and teams): corrections before their
originals in an earlier poll, after them, shuffled and reversed. Each order's KPIs must equal
the oracle's (tests/integration/kpi_oracle.py), on SQLite and PostgreSQL, and a rebuild from
the archive must equal the live model row for row.
"""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from adapters.kafka.broker import EmbeddedBroker
from adapters.kafka.client import topics_of
from adapters.sql.ingest_counts import counter_totals as ingest_counters
from adapters.sql.ingest_counts import deliveries
from adapters.sql.rebuilder import rebuild
from adapters.telephony.ingestor import decode_archived
from tests.integration.kpi_oracle import valid_events
from tests.integration.test_telephony_ingest import assert_api_matches_oracle, produce
from tests.support import Pipeline, make_settings, token, wait_until

INGEST = token("ingest", "pbx-1")
AUDITOR = token("auditor", "ann")


def eid(world: int, n: int) -> str:
    return f"3c7e2c1a-4f4e-4c39-{world:04d}-{n:012d}"


def _call(world: int, n: int, agent: str, team: str, at: str, **more: Any) -> dict[str, Any]:
    return {
        "event_id": eid(world, n),
        "type": "call.completed",
        "agent_id": agent,
        "team_id": team,
        "occurred_at": at,
        "call_id": f"w{world}-c{n}",
        "talk_seconds": 100.5 + n,
        "hold_seconds": 10.0 * (n % 3),
        "acw_seconds": 20.25,
        "transferred": n % 4 == 0,
        "resolved_first_contact": [True, False, None][n % 3],
        **more,
    }


def corrected(
    world: int, n: int, original: dict[str, Any], at: str, reason: str, **changes: Any
) -> dict[str, Any]:
    body = {k: v for k, v in original.items() if k != "event_id"} | changes
    return {
        "event_id": eid(world, n),
        "type": "event.corrected",
        "agent_id": original["agent_id"],
        "team_id": original["team_id"],
        "occurred_at": at,
        "corrects": original["event_id"],
        "reason": reason,
        "event": body,
    }


def voided(
    world: int, n: int, original: dict[str, Any] | str, at: str, agent: str = "", team: str = ""
) -> dict[str, Any]:
    target = original if isinstance(original, str) else original["event_id"]
    who = (
        {"agent_id": agent, "team_id": team}
        if isinstance(original, str)
        else {"agent_id": original["agent_id"], "team_id": original["team_id"]}
    )
    return {
        "event_id": eid(world, n),
        "type": "event.voided",
        **who,
        "occurred_at": at,
        "voids": target,
        "reason": "sent twice by the dialler",
    }


def world(w: int) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(measured events, corrections and voids) of one world: its own agents, teams and ids."""
    a1, a2, t1, t2 = f"w{w}-agent-1", f"w{w}-agent-2", f"w{w}-team-1", f"w{w}-team-2"
    calls = [
        _call(
            w,
            n,
            a1 if n % 2 else a2,
            t1 if n % 2 else t2,
            f"2026-10-0{5 + n % 2}T{8 + n % 3:02d}:{(7 * n) % 60:02d}:00+02:00",
        )
        for n in range(1, 9)
    ]
    surveys = [
        {
            "event_id": eid(w, 100 + n),
            "type": "survey.completed",
            "agent_id": c["agent_id"],
            "team_id": c["team_id"],
            "occurred_at": "2026-10-09T11:00:00Z",
            "call_id": c["call_id"],
            "csat": 1 + n % 5,
        }
        for n, c in enumerate(calls[:6])
    ]
    qas = [
        {
            "event_id": eid(w, 200 + n),
            "type": "qa.evaluated",
            "agent_id": c["agent_id"],
            "team_id": c["team_id"],
            "occurred_at": "2026-10-10T15:30:00Z",
            "call_id": c["call_id"],
            "qa_score": 60.5 + 7 * n,
            "evaluator_id": "qa-lead",
        }
        for n, c in enumerate(calls[2:6])
    ]
    intervals = [
        {
            "event_id": eid(w, 300 + n),
            "type": "agent.interval",
            "agent_id": a,
            "team_id": t,
            "occurred_at": f"2026-10-05T{7 + n:02d}:00:00Z",
            "interval_seconds": 900,
            "scheduled_seconds": 900,
            "adherent_seconds": 800 - n,
            "available_seconds": 780,
            "handling_seconds": 600 + n,
        }
        for n, (a, t) in enumerate([(a1, t1), (a2, t2), (a1, t1), (a2, t2)])
    ]
    fixes = [
        # two corrections of one call: the later correction (by its occurred_at) wins, whatever
        # arrives last
        corrected(
            w,
            500,
            calls[0],
            "2026-10-12T10:00:00Z",
            "talk time from the recording",
            talk_seconds=300.0,
        ),
        corrected(
            w,
            501,
            calls[0],
            "2026-10-11T10:00:00Z",
            "first fix",
            talk_seconds=250.0,
            transferred=True,
        ),
        voided(
            w, 502, calls[1], "2026-10-11T09:00:00Z"
        ),  # its survey still counts in the call's buckets
        corrected(
            w, 503, surveys[2], "2026-10-11T09:00:00Z", "customer pressed the wrong key", csat=5
        ),
        voided(w, 504, qas[0], "2026-10-11T09:00:00Z"),
        corrected(
            w, 505, qas[1], "2026-10-11T09:00:00Z", "re-scored", qa_score=99.5, evaluator_id="qa-2"
        ),
        corrected(
            w, 506, intervals[0], "2026-10-11T09:00:00Z", "WFM export fixed", handling_seconds=700
        ),
        # corrected, then voided: the void prevails
        corrected(w, 507, intervals[1], "2026-10-11T09:00:00Z", "fix", handling_seconds=100),
        voided(w, 508, intervals[1], "2026-10-11T10:00:00Z"),
        voided(
            w, 509, eid(w, 999), "2026-10-11T10:00:00Z", a1, t1
        ),  # its original never comes: held, no effect
        corrected(
            w,
            510,
            calls[4],
            "2026-10-11T10:00:00Z",
            "acw",
            acw_seconds=0.0,
            resolved_first_contact=True,
        ),
    ]
    return [*calls, *surveys, *qas, *intervals], fixes


def encode(events: list[dict[str, Any]]) -> list[tuple[bytes, bytes]]:
    return [(e["agent_id"].encode(), json.dumps(e).encode()) for e in events]


def test_corrections_and_voids_in_any_arrival_order_equal_an_independent_recomputation(
    tmp_path: Path, database_url: str, broker: EmbeddedBroker
) -> None:
    settings = make_settings(tmp_path, database_url, broker.bootstrap)
    pipeline = Pipeline(settings).start("ingestor")
    topic = topics_of(settings).telephony
    sent = 0

    def send(events: list[dict[str, Any]]) -> None:
        nonlocal sent
        produce(broker.bootstrap, topic, encode(events))
        sent += len(events)
        wait_until(
            lambda: ingest_counters(pipeline.container.db).get("received", 0) >= sent, timeout=60
        )

    try:
        worlds: list[list[bytes]] = []
        for w, order in enumerate(("fixes first", "fixes last", "shuffled", "reversed")):
            measured, fixes = world(w)
            if order == "fixes first":
                waves = [fixes, measured]  # two polls: the corrections are held, then released
            elif order == "fixes last":
                waves = [measured, fixes]
            elif order == "shuffled":
                mixed = [*measured, *fixes]
                random.Random(w).shuffle(mixed)
                waves = [mixed]
            else:
                waves = [[*measured, *fixes][::-1]]
            for wave in waves:
                send(wave)
            worlds.append([json.dumps(e).encode() for wave in waves for e in wave])
        counters = ingest_counters(pipeline.container.db)
        assert counters["accepted"] == sent == sum(len(valid_events(m)[0]) for m in worlds)
        client = pipeline.client()
        for messages in worlds:
            assert_api_matches_oracle(client, messages)
        # KPIs as known now, recomputed from the archive (corrections included), equal the live ones
        for agent in ("w0-agent-1", "w3-agent-2"):
            path, params = f"/v1/agents/{agent}/kpis", {"bucket": "interval", "limit": 1000}
            live = client.get(path, params=params, headers=AUDITOR).json()["rows"]
            known = client.get(
                path,
                params={**params, "as_known_at": datetime.now(UTC).isoformat()},
                headers=AUDITOR,
            ).json()["rows"]
            assert known == live and live
        # every order ends in the same state: the worlds differ only in their names
        trail = [
            client.get(f"/v1/telephony/events/{eid(w, 1)}/corrections", headers=AUDITOR).json()
            for w in range(4)
        ]
        assert {json.dumps([c["status"] for c in t["corrections"]]) for t in trail} == {
            json.dumps(["superseded", "applied"])
        }
        assert {t["counts_as"] for t in trail} == {"corrected"} and trail[0]["counted"][
            "talk_seconds"
        ] == 300.0
        assert trail[0]["original"]["event"]["talk_seconds"] == 101.5  # the original stays archived
        assert [c["reason"] for c in trail[0]["corrections"]] == [
            "first fix",
            "talk time from the recording",
        ]
        held = client.get(f"/v1/telephony/events/{eid(0, 999)}/corrections", headers=AUDITOR).json()
        assert held["counts_as"] == "not received" and held["corrections"][0]["status"].startswith(
            "held"
        )
        void = client.get(f"/v1/telephony/events/{eid(2, 301)}/corrections", headers=INGEST).json()
        assert void["counts_as"] == "voided" and [c["status"] for c in void["corrections"]] == [
            "void prevails",
            "applied",
        ]
        assert (
            client.get(
                f"/v1/telephony/events/{eid(0, 777)}/corrections", headers=AUDITOR
            ).status_code
            == 404
        )
        assert (
            client.get(
                f"/v1/telephony/events/{eid(0, 1)}/corrections", headers=token("agent", "x")
            ).status_code
            == 403
        )
        pipeline.stop("ingestor")
        live = pipeline.container.db.query(
            "SELECT * FROM kpi_sums ORDER BY scope, scope_id, bucket, start"
        )
        outcome = rebuild(
            pipeline.container.db,
            pipeline.container.app,
            decode_archived,
            lambda *_: None,
            projections=("kpi",),
            check=True,
        )
        assert outcome.differences == [] and live
        day = deliveries(pipeline.container.db, "2026-10-05")
        assert day["sources"] == []  # deliveries count by the day of reception, not of the events
    finally:
        pipeline.close()
