"""The CLI's longer jobs: simulate, rebuild, bench."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime, timedelta
from typing import Protocol

from engine.progress_bar import ProgressBars
from engine.settings import Settings


class RebuildOutcome(Protocol):
    """What `what_was_read` needs of a rebuild's outcome."""

    events: int
    archived: int
    roster: int


def simulate(settings: Settings, args: argparse.Namespace) -> int:
    """Streams simulated telephony events covering --days from --start, at --rate, for at most
    --duration."""
    from engine.bootstrap import telephony_stream
    from engine.simulate import simulate as generate
    from engine.streaming import stream_paced

    stream = telephony_stream(settings)
    if stream is None:
        print(
            "perfledger: no broker: set PERFLEDGER_KAFKA_BOOTSTRAP, or run `perfledger up` "
            "with the same PERFLEDGER_DATA_DIR",
            file=sys.stderr,
        )
        return 2
    now = datetime.now(UTC)
    start, end = simulated_span(args.start, args.days, now)
    if end > now:
        print(
            "perfledger: the simulated span ends in the future; "
            "the ingestor refuses events stamped "
            "more than PERFLEDGER_TELEPHONY_MAX_FUTURE_SECONDS ahead of its clock",
            file=sys.stderr,
        )
    total = round(args.rate * args.duration) if args.duration is not None else 0
    messages = generate(
        agents=args.agents,
        teams=args.teams,
        rate=args.rate,
        duration=args.duration,
        bad_fraction=args.bad_fraction,
        seed=args.seed,
        start=start,
        end=end,
    )
    print(
        f"simulating {start.isoformat(timespec='seconds')} to {end.isoformat(timespec='seconds')}",
        file=sys.stderr,
    )
    progress = ProgressBars()
    try:
        sent = stream_paced(messages, stream.publisher, stream.topic, args.rate, total, progress)
    except KeyboardInterrupt:
        sent = -1
    finally:
        progress.close()
        stream.close()
    print(f"sent {sent} messages" if sent >= 0 else "interrupted", file=sys.stderr)
    return 0 if sent >= 0 else 130


def simulated_span(start: datetime | None, days: float, now: datetime) -> tuple[datetime, datetime]:
    """The simulated clock's span: `days` from `start`, by default the `days` that end now."""
    length = timedelta(days=days)
    begin = start if start is not None else now - length
    return begin, begin + length


def rebuild(settings: Settings, args: argparse.Namespace) -> int:
    """Rebuilds read models into fresh tables and swaps them in; --check compares with live
    instead."""
    from engine.bootstrap import build
    from engine.bootstrap.jobs import rebuild as run

    container = build(settings)
    progress = ProgressBars()
    chosen = ("events", "kpi", "roster") if args.projection == "all" else (args.projection,)
    try:
        outcome = run(container, progress, chosen, check=args.check)
    finally:
        progress.close()
        container.close()
    for line in what_was_read(chosen, outcome):
        print(line, file=sys.stderr)
    if outcome.parked:
        # Like the live projector: an event that cannot be applied is parked, not fatal.
        print(
            "parked (cannot be applied; later versions of the aggregate wait behind): "
            f"{len(outcome.parked)}"
        )
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


def what_was_read(chosen: tuple[str, ...], outcome: RebuildOutcome) -> list[str]:
    """One line per rebuilt projection, naming the source it read and how far."""
    lines = []
    if "events" in chosen:
        reach = f"up to notification {outcome.events}" if outcome.events else "which is empty"
        lines.append(f"events: rebuilt from the event store, {reach}")
    if "kpi" in chosen:
        lines.append(
            "kpi: recounted from the telephony archive, "
            f"{outcome.archived} archived telephony events"
        )
    if "roster" in chosen:
        reach = f"up to notification {outcome.roster}" if outcome.roster else "which has none"
        lines.append(f"roster: rebuilt from the roster events of the event store, {reach}")
    return lines


def bench(settings: Settings, args: argparse.Namespace) -> int:
    """Runs the benchmark suite and prints its report."""
    from engine.bootstrap.jobs import bench as run

    return run(settings, quick=args.quick)
