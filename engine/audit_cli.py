"""The auditor's commands: replay, verify, audit export."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from engine.progress_bar import ProgressBars
from engine.settings import Settings


def add_parsers(sub: Any, command: Callable[..., argparse.ArgumentParser]) -> None:
    """Adds the auditor's subcommands to the perfledger parser (`command` makes one subcommand)."""
    rep = command(
        sub,
        "replay",
        "an aggregate's state at a version or time, and the events before it",
        "Replays one goal, review or check-in from the event store (never a read model) up to "
        "a version or a moment, and prints its state, scores and the hash-chained events "
        "before it.",
    )
    rep.add_argument("aggregate_id", help="the goal's, review's or check-in's id")
    point = rep.add_mutually_exclusive_group()
    point.add_argument(
        "--as-of", type=aware_time, metavar="TIME", help="RFC 3339 time with offset (default: now)"
    )
    point.add_argument(
        "--at-version",
        dest="version",
        type=int,
        metavar="N",
        help="aggregate version, 1 = the first event (default: the latest)",
    )
    point.add_argument(
        "--version",
        dest="old_version",
        type=int,
        metavar="N",
        help="deprecated spelling of --at-version",
    )
    rep.add_argument("--json", action="store_true", help="print JSON")

    ver = command(
        sub,
        "verify",
        "check the hash chains of the event store and the telephony archive",
        "Checks every stored event, archived telephony event and snapshot against its seal, and "
        "each chain against a kept head (given, else the newest published one); exit 1 on any "
        "difference.",
    )
    ver.add_argument("--json", action="store_true", help="print the report as JSON")
    ver.add_argument(
        "--events-head",
        type=kept_head,
        metavar="N:CHAIN",
        help="an events head printed by an earlier verify: proves nothing was cut off the end",
    )
    ver.add_argument(
        "--archive-head",
        type=kept_head,
        metavar="N:CHAIN",
        help="an archive head printed by an earlier verify",
    )

    audit = command(sub, "audit", "audit exports", "Exports for an external auditor.")
    audit_sub = audit.add_subparsers(dest="audit_command", required=True, metavar="ACTION")
    export = command(
        audit_sub,
        "export",
        "every event with actor, time, hash and score changes",
        "Writes every event of one aggregate, or of an agent's goals, reviews and check-ins, "
        "with actor, time, hash chain and score changes, as JSON lines or CSV.",
    )
    which = export.add_mutually_exclusive_group(required=True)
    which.add_argument("--aggregate", metavar="ID", help="one aggregate's id")
    which.add_argument(
        "--agent", metavar="ID", help="every goal, review and check-in of this agent"
    )
    export.add_argument(
        "--from",
        dest="start",
        type=aware_time,
        metavar="TIME",
        help="with --agent: events at or after (default: from the first)",
    )
    export.add_argument(
        "--to",
        dest="end",
        type=aware_time,
        metavar="TIME",
        help="with --agent: events before (default: up to the last)",
    )
    export.add_argument("--format", choices=("jsonl", "csv"), default="jsonl", help="output format")
    export.add_argument("--output", "-o", metavar="FILE", help="file to write (default: stdout)")


def aware_time(text: str) -> datetime:
    """A time with a UTC offset; a bare date means midnight UTC."""
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an RFC 3339 time: {text}") from None
    if value.utcoffset() is not None:
        return value
    if "T" in text or " " in text:
        raise argparse.ArgumentTypeError("needs a UTC offset, e.g. 2026-10-01T00:00:00+00:00")
    return value.replace(tzinfo=UTC)


def replay(settings: Settings, args: argparse.Namespace) -> int:
    """Prints an aggregate as it was at --version or --as-of (default: now)."""
    from aggregates.errors import DomainError
    from engine.application import as_uuid
    from engine.bootstrap import build
    from engine.replay import replay as run

    version = args.version
    if args.old_version is not None:
        # `--version` is the program's version flag everywhere else.
        print("perfledger: replay --version is deprecated; use --at-version", file=sys.stderr)
        version = args.old_version
    container, progress = build(settings), ProgressBars()
    try:
        result = run(
            container.app,
            as_uuid(args.aggregate_id),
            version=version,
            as_of=args.as_of,
            progress=progress,
        )
    except DomainError as error:
        print(f"perfledger: {error.message}", file=sys.stderr)
        return 1
    finally:
        progress.close()
        container.close()
    if args.json:
        print(json.dumps(result, indent=2, sort_keys=True))
        return 0
    print(f"{result['type']} {result['id']} at version {result['version']} ({result['at']})")
    for event in result["events"]:
        print(
            f"  {event['sequence']:>4}  {event['at']}  {event['type']:<28} {event['actor'] or '-'}"
            f"  {event['hash'][:16]}"
        )
    print("state:", json.dumps(result["state"], sort_keys=True))
    if "scores" in result:
        print("scores:", json.dumps(result["scores"], sort_keys=True))
    return 0


def kept_head(text: str) -> tuple[int, str]:
    """`N:CHAIN`, as verify prints a head."""
    position, _, chain = text.partition(":")
    if not position.isdigit() or len(chain) != 64:
        raise argparse.ArgumentTypeError("expected N:CHAIN as printed by perfledger verify")
    return int(position), chain


def verify(settings: Settings, args: argparse.Namespace) -> int:
    """Checks the event store and the telephony archive against their seals; 1 when anything
    differs."""
    from engine.bootstrap import build, client_bootstrap
    from engine.bootstrap.jobs import verify as run

    # The heads the sealer published: the data directory's file, and the broker a client finds.
    container, progress = build(settings, client_bootstrap(settings)), ProgressBars()
    try:
        report = run(container, args.events_head, args.archive_head, progress)
    finally:
        progress.close()
        container.close()
    if args.json:
        print(json.dumps(report.as_dict(), indent=2))
        return 0 if report.ok else 1
    print(
        f"events: {report.events_checked} sealed events checked, "
        f"{report.events_unsealed} not sealed yet; "
        f"head {report.events_head['notification_id']}:{report.events_head['chain']}"
    )
    print(
        f"archive: {report.archive_checked} chained rows checked; "
        f"head {report.archive_head['position']}:{report.archive_head['chain']}"
    )
    for store, head in report.compared_with.items():
        print(
            f"{store}: compared with the {head['source']} head {head['position']}:{head['chain']}"
        )
    if report.ok:
        print("ok: nothing differs from its seal")
        return 0
    first = report.problems[0]
    print(f"TAMPERED: first difference at {first['where']} ({first['kind']}): {first['detail']}")
    for problem in report.problems[1:]:
        print(f"  also {problem['where']} ({problem['kind']}): {problem['detail']}")
    return 1


def audit(settings: Settings, args: argparse.Namespace) -> int:
    """`perfledger audit export`: events with actor, time, hash and score changes, for an
    external auditor."""
    from aggregates.errors import DomainError
    from engine.application import as_uuid
    from engine.bootstrap import build
    from engine.bootstrap.jobs import export_rows, write_export

    container, progress = build(settings), ProgressBars()
    out = open(args.output, "w", newline="") if args.output else sys.stdout  # noqa: SIM115 - closed below
    try:
        aggregate = as_uuid(args.aggregate) if args.aggregate else None
        rows = export_rows(container, aggregate, args.agent, args.start, args.end)
        count = write_export(progress.iterate("export", rows), out, args.format)
    except DomainError as error:
        print(f"perfledger: {error.message}", file=sys.stderr)
        return 1
    finally:
        progress.close()
        if out is not sys.stdout:
            out.close()
        container.close()
    print(f"exported {count} events", file=sys.stderr)
    return 0


COMMANDS: dict[str, Callable[[Settings, argparse.Namespace], int]] = {
    "replay": replay,
    "verify": verify,
    "audit": audit,
}
