"""API latency: the team KPI and leaderboard routes over 30 days of 500 agents, beside raw SQL.

The KPI sums are written straight through adapters.sql.kpi_view.KpiView.apply_events (the ingestor's
own code, without Kafka), then the routes are called over real HTTP (uvicorn on a loopback
port, one keep-alive client) and the same rows are read with a bare sqlite3 SELECT.
"""

from __future__ import annotations

import logging
import random
import sqlite3
import statistics
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from pydantic import SecretStr

from adapters.kafka.broker import free_port
from adapters.sql.kpi_view import LIVE as KPI_TABLES
from adapters.sql.kpi_view import KpiView
from engine.bootstrap import build
from engine.keyring import local_ring
from engine.settings import Settings, sqlite_path
from engine.tokens import LocalTokens
from projections.kpi import COUNTERS

AGENTS, TEAMS, DAYS = 500, 25, 30
START = datetime(2026, 9, 1, tzinfo=UTC)

SUMS = KPI_TABLES.sums  # the raw-SQL baseline reads the very table the API reads


def events(calls_per_day: int, seed: int = 7) -> list[dict[str, Any]]:
    """Calls (with a survey for one in five) for every agent, every day, spread over an 8-hour
    shift."""
    rng = random.Random(seed)
    found = []
    for day in range(DAYS):
        for agent in range(AGENTS):
            base = START + timedelta(days=day, hours=8)
            for n in range(calls_per_day):
                at = (base + timedelta(minutes=n * 480 // calls_per_day)).isoformat()
                common = {
                    "agent_id": f"agent-{agent:04d}",
                    "team_id": f"team-{agent % TEAMS:02d}",
                    "occurred_at": at,
                    "call_id": f"{agent}-{day}-{n}",
                }
                found.append(
                    {
                        **common,
                        "event_id": str(uuid.UUID(int=rng.getrandbits(128))),
                        "type": "call.completed",
                        "talk_seconds": rng.randint(120, 500),
                        "hold_seconds": rng.randint(0, 60),
                        "acw_seconds": rng.randint(10, 60),
                        "transferred": rng.random() < 0.1,
                        "resolved_first_contact": rng.random() < 0.8,
                    }
                )
                if n % 5 == 0:
                    found.append(
                        {
                            **common,
                            "event_id": str(uuid.UUID(int=rng.getrandbits(128))),
                            "type": "survey.completed",
                            "csat": rng.randint(1, 5),
                        }
                    )
    return found


def percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "p50_ms": round(statistics.median(ordered) * 1000, 2),
        "p99_ms": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000, 2),
    }


def timed(call: Callable[[int], Any], requests: int) -> dict[str, float]:
    for n in range(20):  # warm caches and connections first
        call(n)
    samples = []
    for n in range(requests):
        began = time.perf_counter()
        call(n)
        samples.append(time.perf_counter() - began)
    return percentiles(samples)


def serve(settings: Settings, container: Any) -> tuple[Any, threading.Thread]:
    import uvicorn

    from adapters.http.app import create_app

    server = uvicorn.Server(
        uvicorn.Config(
            create_app(container),
            host="127.0.0.1",
            port=settings.port,
            log_level="warning",
            access_log=False,
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    return server, thread


def run(quick: bool = False) -> dict[str, Any]:
    """Builds the data, then measures both routes and their raw SQL baselines."""
    logging.getLogger("httpx").setLevel(
        logging.WARNING
    )  # one line per request would drown the report
    calls_per_day = 4 if quick else 12
    requests = 100 if quick else 500
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(
            data_dir=Path(tmp), port=free_port(), secret=SecretStr("bench-secret-" + "x" * 20)
        )
        container = build(settings)
        generated = events(calls_per_day)
        began = time.perf_counter()
        for part in range(0, len(generated), 20_000):
            with container.db.transaction() as cur:
                KpiView().apply_events(cur, generated[part : part + 20_000])
        load_s = time.perf_counter() - began
        server, thread = serve(settings, container)
        try:
            result = measure(settings, requests)
        finally:
            server.should_exit = True
            thread.join(10)
            container.close()
    return {
        "agents": AGENTS,
        "teams": TEAMS,
        "days": DAYS,
        "events": len(generated),
        "load_s": round(load_s, 1),
        "requests": requests,
        **result,
    }


def measure(settings: Settings, requests: int) -> dict[str, Any]:
    headers = {
        "Authorization": "Bearer "
        + LocalTokens(
            local_ring(settings.signing_secret()), settings.token_issuer, settings.token_audience
        ).issue("bench", 3600, role="admin")
    }
    span = f"from={START.date().isoformat()}&to={(START + timedelta(days=DAYS)).date().isoformat()}"
    url = f"http://127.0.0.1:{settings.port}"
    raw = sqlite3.connect(sqlite_path(settings.database))
    summed = ", ".join(f"SUM({c})" for c in COUNTERS)
    bounds = (START.isoformat(), (START + timedelta(days=DAYS)).isoformat())

    def team(n: int) -> str:
        return f"team-{n % TEAMS:02d}"

    with httpx.Client(base_url=url, headers=headers, timeout=10) as client:

        def kpis(n: int) -> None:
            assert (
                len(client.get(f"/v1/teams/{team(n)}/kpis?bucket=day&{span}").json()["rows"])
                == DAYS
            )

        def board(n: int) -> None:
            assert (
                len(
                    client.get(f"/v1/teams/{team(n)}/leaderboard?kpi=aht_seconds&{span}").json()[
                        "rows"
                    ]
                )
                == 20
            )

        routes = {"team_kpis": timed(kpis, requests), "leaderboard": timed(board, requests)}
    baselines = {
        "team_kpis": timed(
            lambda n: raw.execute(
                f"SELECT start, {', '.join(COUNTERS)} FROM {SUMS} "
                "WHERE scope = 'team' AND scope_id = ? "
                "AND bucket = 'day' AND start >= ? AND start < ? ORDER BY start",
                (team(n), *bounds),
            ).fetchall(),
            requests,
        ),
        "leaderboard": timed(
            lambda n: raw.execute(
                f"SELECT scope_id, {summed} FROM {SUMS} "
                "WHERE scope = 'agent' AND team_id = ? AND bucket = 'day' "
                "AND start >= ? AND start < ? GROUP BY scope_id",
                (team(n), *bounds),
            ).fetchall(),
            requests,
        ),
    }
    raw.close()
    return {"routes": routes, "raw_sql": baselines}


def render(report: dict[str, Any]) -> list[str]:
    lines = [
        f"api latency, {report['agents']} agents in {report['teams']} teams, {report['days']} days "
        f"({report['events']:,} events, loaded in {report['load_s']} s), "
        f"{report['requests']} requests each:"
    ]
    for name in ("team_kpis", "leaderboard"):
        route, raw = report["routes"][name], report["raw_sql"][name]
        lines.append(
            f"  {name:<12} HTTP p50 {route['p50_ms']:>6.2f} ms  p99 {route['p99_ms']:>6.2f} ms   "
            f"raw SQL p50 {raw['p50_ms']:>6.2f} ms  p99 {raw['p99_ms']:>6.2f} ms"
        )
    return lines
