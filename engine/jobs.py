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
    publisher, progress = KafkaPublisher(bootstrap), ProgressLine()
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
    """Rebuilds read models from the event store and the telephony archive."""
    from adapters.telephony.ingestor import decode_archived
    from engine.bootstrap import build
    from projections.rebuild import rebuild_events, rebuild_kpis

    container = build(settings)
    progress = ProgressLine()
    try:
        if args.projection in ("all", "events"):
            done = rebuild_events(container.db, container.app, progress)
            progress.close()
            print(f"events: rebuilt from {done} stored events", file=sys.stderr)
        if args.projection in ("all", "kpi"):
            progress = ProgressLine()
            done = rebuild_kpis(container.db, progress, decode_archived)
            progress.close()
            print(f"kpi: rebuilt from {done} archived telephony events", file=sys.stderr)
    finally:
        container.close()
    return 0


def bench(settings: Settings, args: argparse.Namespace) -> int:
    """Runs the benchmark suite and prints its report."""
    from benchmarks.suite import run

    return run(settings, quick=args.quick)
