"""The perfledger command line."""

from __future__ import annotations

import argparse
import os
import signal
import sys
import textwrap
from importlib import metadata
from typing import Any

from pydantic import ValidationError

from engine import audit_cli, logging_setup, roster_cli, token_cli
from engine.runner import COMPONENTS, up
from engine.secret_file import SecretFileError
from engine.settings import Settings


class HelpFormatter(argparse.RawDescriptionHelpFormatter, argparse.ArgumentDefaultsHelpFormatter):
    """Shows each option's default, except where there is none to show (None, a flag's False)."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        if action.default is None or action.default is False or action.default == []:
            return action.help
        return super()._get_help_string(action)


def installed_version() -> str:
    """The installed package's version, as its metadata says."""
    try:
        return metadata.version("perfledger")
    except metadata.PackageNotFoundError:  # run from a source tree that was never installed
        return "unknown"


def command(sub: Any, name: str, summary: str, description: str) -> argparse.ArgumentParser:
    """A subcommand with a one-line summary for the list and a description for its own page."""
    paragraphs = "\n\n".join(textwrap.fill(text, 78) for text in description.split("\n\n"))
    made: argparse.ArgumentParser = sub.add_parser(
        name, help=summary, description=paragraphs, formatter_class=HelpFormatter
    )
    return made


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="perfledger",
        description="Event-sourced performance tracking for contact centres.",
        epilog="Settings come from PERFLEDGER_* environment variables (see README). "
        "`perfledger COMMAND --help` describes each command.",
        formatter_class=HelpFormatter,
    )
    p.add_argument(
        "--version",
        action="version",
        version=f"%(prog)s {installed_version()}",
        help="print the installed version and exit",
    )
    p.add_argument("-v", "--verbose", action="store_true", help="log debug detail")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")
    add_up(sub)
    add_simulate(sub)
    add_rebuild(sub)
    audit_cli.add_parsers(sub, command)
    roster_cli.add_parsers(sub, command)
    bench = command(
        sub,
        "bench",
        "run the benchmark suite (ratios to raw baselines)",
        "Runs ingest and API benchmarks on an embedded broker and prints each beside the raw "
        "baseline it is measured against, then the report as JSON (see BENCHMARKS.md).",
    )
    bench.add_argument("--quick", action="store_true", help="smaller volumes, for a smoke run")
    token_cli.add_parsers(sub, command)
    add_health(sub)
    return p


def add_up(sub: Any) -> None:
    run = command(
        sub,
        "up",
        "run broker (unless configured), relay, projector and API until Ctrl-C",
        "Runs the embedded Kafka broker (unless PERFLEDGER_KAFKA_BOOTSTRAP names one), the relay, "
        "the projector, the telephony ingestor and the HTTP API with its dashboard, until Ctrl-C.",
    )
    run.add_argument("--port", type=int, help="API port (default PERFLEDGER_PORT, else 8000)")
    run.add_argument("--host", help="API address (default PERFLEDGER_HOST, else 127.0.0.1)")
    run.add_argument(
        "--only",
        metavar="LIST",
        help=f"comma-separated subset of {','.join(COMPONENTS)} (default: all)",
    )
    run.add_argument("--demo", action="store_true", help="also stream a simulated contact centre")


def add_simulate(sub: Any) -> None:
    sim = command(
        sub,
        "simulate",
        "stream simulated telephony events to Kafka",
        "Streams a simulated contact centre's telephony events to the telephony topic.\n\n"
        "The simulated clock covers --days days from --start; by default the span ends now, "
        "so the dashboard shows today. --rate is how many messages are sent per wall-clock "
        "second: it sets "
        "how fast the span is sent, not what it holds. --duration stops sending after that many "
        "seconds (at most rate x duration messages) even when the span is not covered yet.",
    )
    sim.add_argument("--agents", type=positive_int, default=50, help="simulated agents")
    sim.add_argument(
        "--teams", type=positive_int, default=5, help="teams the agents are spread over"
    )
    sim.add_argument(
        "--start",
        type=audit_cli.aware_time,
        metavar="TIME",
        help="simulated start, RFC 3339 with offset or a date (midnight UTC) "
        "(default: --days before now)",
    )
    sim.add_argument(
        "--days", type=positive_float, default=1.0, help="simulated days to cover from --start"
    )
    sim.add_argument("--rate", type=positive_float, default=100.0, help="messages sent per second")
    sim.add_argument(
        "--duration",
        type=positive_float,
        metavar="SECONDS",
        help="stop sending after this many seconds (default: when the simulated span is covered)",
    )
    sim.add_argument(
        "--bad-fraction", type=fraction, default=0.0, help="share of invalid and duplicate messages"
    )
    sim.add_argument(
        "--seed", type=int, default=0, help="random seed: the same seed gives the same stream"
    )


def add_rebuild(sub: Any) -> None:
    rebuild = command(
        sub,
        "rebuild",
        "rebuild read models from the event store and telephony archive",
        "Rebuilds read models into fresh tables and swaps them in while the engine keeps running. "
        "The events and roster projections read the event store; the kpi projection recounts the "
        "telephony archive.",
    )
    rebuild.add_argument(
        "--projection",
        choices=("all", "events", "kpi", "roster"),
        default="all",
        help="which read models: events (goals, reviews, check-ins, audit), kpi (KPI sums), "
        "roster (people, teams, sites), or all",
    )
    rebuild.add_argument(
        "--check",
        action="store_true",
        help="compare a rebuild with the live read models; exit 1 when they differ",
    )


def add_health(sub: Any) -> None:
    health = command(
        sub,
        "health",
        "exit 0 when the components `up` runs here are alive (for health checks)",
        "Checks the liveness files that `perfledger up` keeps in the data directory (and /readyz "
        "for the API); exits 1 naming what is missing or stale. For container health checks.",
    )
    health.add_argument(
        "--component",
        action="append",
        default=[],
        choices=COMPONENTS,
        help="a component to check (repeat; default: every one that reported)",
    )
    health.add_argument(
        "--max-age",
        type=positive_float,
        help="seconds since the last sign of life (default 6 x PERFLEDGER_LIVENESS_SECONDS)",
    )


def positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def positive_float(text: str) -> float:
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError("must be greater than 0")
    return value


def fraction(text: str) -> float:
    value = float(text)
    if not 0 <= value < 1:
        raise argparse.ArgumentTypeError("must be in [0, 1)")
    return value


def main(argv: list[str] | None = None) -> int:
    """The `perfledger` command; a closed stdout (`| head`) ends it quietly, whatever it was
    doing."""
    try:
        try:
            return run(argv)
        finally:
            sys.stdout.flush()  # inside the try: a closed pipe shows here at the latest
    except BrokenPipeError:
        return closed_pipe()


def run(argv: list[str] | None) -> int:
    args = parser().parse_args(argv)
    # Files we create (databases, logs, the broker's address) are the owner's alone.
    os.umask(0o077)
    try:
        settings = Settings()
        logging_setup.configure(settings.log_format, verbose=args.verbose)
        if args.command not in ("simulate", "bench"):
            settings.signing_secret()  # made now when missing, refused now when unusable
    except ValidationError as error:
        print(f"perfledger: invalid settings:\n{error}", file=sys.stderr)
        return 2
    except SecretFileError as error:
        print(f"perfledger: {error}", file=sys.stderr)
        return 2
    return dispatch(settings, args)


def dispatch(settings: Settings, args: argparse.Namespace) -> int:
    if args.command == "up":
        return run_up(settings, args)
    if args.command == "token":
        return token_cli.run(settings, args)
    if args.command == "health":
        return check_health(settings, args)
    if args.command == "roster":
        return roster_cli.roster(settings, args)
    if args.command in audit_cli.COMMANDS:
        return audit_cli.COMMANDS[args.command](settings, args)
    from engine import jobs

    return int(getattr(jobs, args.command)(settings, args))


def closed_pipe() -> int:
    """The reader of stdout went away (`| head`): stop quietly, as a shell tool does on SIGPIPE."""
    # Whatever is still buffered would fail again when Python flushes stdout at exit.
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):  # stdout replaced by one without a descriptor
        pass
    return 128 + signal.SIGPIPE


def run_up(settings: Settings, args: argparse.Namespace) -> int:
    updates = {k: v for k, v in (("port", args.port), ("host", args.host)) if v is not None}
    settings = settings.model_copy(update=updates)
    components = tuple(c.strip() for c in args.only.split(",")) if args.only else COMPONENTS
    unknown = set(components) - set(COMPONENTS)
    if unknown:
        print(f"perfledger: unknown component(s) {', '.join(sorted(unknown))}", file=sys.stderr)
        return 2
    if "api" in components and not port_free(settings.host, settings.port):
        print(
            f"perfledger: {settings.host}:{settings.port} is in use; choose another with --port",
            file=sys.stderr,
        )
        return 2
    up(settings, components, demo=args.demo)
    return 0


def check_health(settings: Settings, args: argparse.Namespace) -> int:
    from engine.liveness import default_max_age, problems

    found = problems(settings, args.component, args.max_age or default_max_age(settings))
    for problem in found:
        print(f"perfledger: {problem}", file=sys.stderr)
    return 1 if found else 0


def port_free(host: str, port: int) -> bool:
    """True when the API could listen there (checked before starting anything else)."""
    import socket

    with socket.socket() as probe:
        # As uvicorn binds: with address reuse, so a port left in TIME_WAIT by the last run
        # is free, while one that something listens on is still refused.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


if __name__ == "__main__":
    sys.exit(main())
