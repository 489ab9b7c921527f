"""`perfledger bench`: each benchmark beside the raw baseline it is measured against, in one run."""

from __future__ import annotations

import json
import platform
from datetime import UTC, datetime
from typing import Any

from adapters.kafka.broker import EmbeddedBroker
from engine.progress_bar import ProgressBars
from engine.settings import Settings


def run(settings: Settings, quick: bool = False) -> int:
    """Runs every benchmark on an embedded broker and prints a report (and its JSON)."""
    from benchmarks import ingest, ingest_profile

    report: dict[str, Any] = {
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "python": platform.python_version(),
        "quick": quick,
    }
    with ProgressBars() as progress:
        progress("bench", 0, 4)
        with EmbeddedBroker() as broker:
            progress.note("ingest: producing and consuming...")
            report["ingest"] = ingest.run(broker.bootstrap, 20_000 if quick else 200_000)
        progress("bench", 1, 4)
        progress.note("ingest profile: timing phases in-process...")
        report["ingest_profile"] = ingest_profile.run(20_000 if quick else 200_000)
        progress("bench", 2, 4)
        from benchmarks import api_latency

        progress.note("api latency: loading 30 days of 500 agents, then timing the routes...")
        report["api_latency"] = api_latency.run(quick)
        progress("bench", 3, 4)
        from benchmarks import roster

        agents = 2_000 if quick else 20_000
        progress.note(f"roster: importing {agents:,} agents, then the same files again...")
        report["roster"] = roster.run(agents)
        progress("bench", 4, 4)
    print(render(report))
    print(json.dumps(report, indent=2))
    return 0


def render(report: dict[str, Any]) -> str:
    i = report["ingest"]
    return "\n".join(
        [
            (
                f"perfledger bench ({'quick' if report['quick'] else 'full'}), {report['at']}, "
                f"Python {report['python']}"
            ),
            f"ingest, {i['events']:,} telephony events, SQLite:",
            f"  raw kafka-python consume + JSON parse: {i['raw_consume_per_s']:>10,.0f} /s",
            (
                f"  ingest to committed KPI rows:          {i['ingest_per_s']:>10,.0f} /s  "
                f"ratio {i['ratio']:.2f}"
                f"  (steady state {i['ingest_steady_per_s']:,.0f} /s, "
                f"ratio {i['steady_ratio']:.2f})"
            ),
            (
                "  ingest, 2 ingestor processes:          "
                f"{i['ingest_2_processes_per_s']:>10,.0f} /s  "
                f"ratio {i['ratio_2_processes']:.2f}"
            ),
            "  where the time goes, in-process without Kafka (us/event): "
            + ", ".join(f"{k} {v:.1f}" for k, v in report["ingest_profile"]["us_per_event"].items())
            + f"  ({report['ingest_profile']['per_s']:,.0f} /s)",
            *api_latency_lines(report),
            *roster_lines(report),
        ]
    )


def api_latency_lines(report: dict[str, Any]) -> list[str]:
    from benchmarks import api_latency

    return api_latency.render(report["api_latency"]) if "api_latency" in report else []


def roster_lines(report: dict[str, Any]) -> list[str]:
    from benchmarks import roster

    return roster.render(report["roster"]) if "roster" in report else []
