"""The CLI's longer jobs: simulate, rebuild, bench."""

from __future__ import annotations

import argparse
import sys

from engine.progress_bar import ProgressLine
from engine.settings import Settings


def simulate(settings: Settings, args: argparse.Namespace) -> int:
    """Streams simulated telephony events to the telephony topic at --rate for --duration."""
    from adapters.kafka.client import ensure_topics, topics_of
    from adapters.kafka.publisher import KafkaPublisher
    from engine.runner import client_bootstrap
    from engine.simulate import simulate as generate
    from engine.streaming import stream_paced

    bootstrap = client_bootstrap(settings)
    if not bootstrap:
        print("perfledger: no broker: set PERFLEDGER_KAFKA_BOOTSTRAP, or run `perfledger up` "
              "with the same PERFLEDGER_DATA_DIR", file=sys.stderr)
        return 2
    ensure_topics(bootstrap, settings)
    total = round(args.rate * args.duration)
    messages = generate(agents=args.agents, teams=args.teams, rate=args.rate, duration=args.duration,
                        bad_fraction=args.bad_fraction, seed=args.seed)
    publisher, progress = KafkaPublisher(bootstrap, settings), ProgressLine()
    try:
        sent = stream_paced(messages, publisher, topics_of(settings).telephony, args.rate, total, progress)
    except KeyboardInterrupt:
        sent = -1
    finally:
        progress.close()
        publisher.close()
    print(f"sent {sent} messages" if sent >= 0 else "interrupted", file=sys.stderr)
    return 0 if sent >= 0 else 130


def rebuild(settings: Settings, args: argparse.Namespace) -> int:
    """Rebuilds read models into fresh tables and swaps them in; --check compares with live instead."""
    from adapters.sql.rebuilder import rebuild as run
    from adapters.telephony.ingestor import decode_archived
    from engine.bootstrap import build

    container = build(settings)
    progress = ProgressLine()
    chosen = ("events", "kpi") if args.projection == "all" else (args.projection,)
    try:
        outcome = run(container.db, container.app, decode_archived, progress, chosen, check=args.check)
    finally:
        progress.close()
        container.close()
    print(f"rebuilt from the event store (to notification {outcome.events}) and "
          f"{outcome.archived} archived telephony events", file=sys.stderr)
    if outcome.parked:
        # Like the live projector: an event that cannot be applied is parked, not fatal.
        print(f"parked (cannot be applied; later versions of the aggregate wait behind): {len(outcome.parked)}")
        for row in outcome.parked[:20]:
            print(f"  {row['aggregate_id']} v{row['version']} ({row['source']}): {row['reason']}")
    if not args.check:
        print("swapped in: " + ", ".join(chosen), file=sys.stderr)
        return 0
    if not outcome.differences:
        print("check: the rebuilt read models equal the live ones, row for row")
        return 0
    print("check: the rebuilt read models differ from the live ones:")
    for line in outcome.differences:
        print(line)
    return 1


def bench(settings: Settings, args: argparse.Namespace) -> int:
    """Runs the benchmark suite and prints its report."""
    from benchmarks.suite import run

    return run(settings, quick=args.quick)
