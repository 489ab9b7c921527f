"""The perfledger command line."""

from __future__ import annotations

import argparse
import logging
import os
import sys

from pydantic import ValidationError

from engine import audit_cli, tokens
from engine.runner import COMPONENTS, up
from engine.secret_file import SecretFileError
from engine.settings import Settings


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="perfledger", description="Event-sourced performance tracking for contact centres.")
    p.add_argument("-v", "--verbose", action="store_true", help="log debug detail")
    sub = p.add_subparsers(dest="command", required=True)

    run = sub.add_parser("up", help="run broker (unless configured), relay, projector and API until Ctrl-C")
    run.add_argument("--port", type=int, help="API port (default 8000 or PERFLEDGER_PORT)")
    run.add_argument("--host", help="API address (default 127.0.0.1 or PERFLEDGER_HOST)")
    run.add_argument("--only", help=f"comma-separated subset of {','.join(COMPONENTS)}")
    run.add_argument("--demo", action="store_true", help="also stream a simulated contact centre")

    sim = sub.add_parser("simulate", help="stream simulated telephony events to Kafka")
    sim.add_argument("--agents", type=positive_int, default=50)
    sim.add_argument("--teams", type=positive_int, default=5)
    sim.add_argument("--rate", type=positive_float, default=100.0, help="messages per second")
    sim.add_argument("--duration", type=positive_float, default=60.0, help="seconds")
    sim.add_argument("--bad-fraction", type=fraction, default=0.0, help="share of invalid and duplicate messages")
    sim.add_argument("--seed", type=int, default=0)

    rebuild = sub.add_parser("rebuild", help="rebuild read models from the event store and telephony archive")
    rebuild.add_argument("--projection", choices=("all", "events", "kpi"), default="all")

    rebuild.add_argument("--check", action="store_true",
                         help="compare a rebuild with the live read models; exit 1 when they differ")
    audit_cli.add_parsers(sub)

    health = sub.add_parser("health", help="exit 0 when the components `up` runs here are alive (for health checks)")
    health.add_argument("--component", action="append", default=[], choices=COMPONENTS,
                        help="a component to check (repeat; default: every one that reported)")
    health.add_argument("--max-age", type=positive_float,
                        help="seconds since the last sign of life (default 6 x PERFLEDGER_LIVENESS_SECONDS)")

    bench = sub.add_parser("bench", help="run the benchmark suite (ratios to raw baselines)")
    bench.add_argument("--quick", action="store_true", help="smaller volumes, for a smoke run")

    token = sub.add_parser("token", help="bearer tokens")
    token_sub = token.add_subparsers(dest="token_command", required=True)
    issue = token_sub.add_parser("issue", help="print a signed bearer token")
    issue.add_argument("--role", required=True, choices=tokens.ROLES)
    issue.add_argument("--subject", required=True, help="the user id the token speaks for")
    issue.add_argument("--team", action="append", default=[], help="a team a manager may act on (repeat)")
    issue.add_argument("--ttl", type=int, help="seconds until it expires (default PERFLEDGER_TOKEN_TTL_SECONDS)")
    return p


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
    args = parser().parse_args(argv)
    # Files we create (databases, logs, the broker's address) are the owner's alone.
    os.umask(0o077)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    logging.getLogger("kafka").setLevel(logging.DEBUG if args.verbose else logging.CRITICAL)
    try:
        settings = Settings()
        if args.command not in ("simulate", "bench"):
            settings.signing_secret()  # made now when missing, refused now when unusable
    except ValidationError as error:
        print(f"perfledger: invalid settings:\n{error}", file=sys.stderr)
        return 2
    except SecretFileError as error:
        print(f"perfledger: {error}", file=sys.stderr)
        return 2
    if args.command == "up":
        return run_up(settings, args)
    if args.command == "token":
        return issue_token(settings, args)
    if args.command == "health":
        return check_health(settings, args)
    if args.command in audit_cli.COMMANDS:
        return audit_cli.COMMANDS[args.command](settings, args)
    from engine import jobs

    return int(getattr(jobs, args.command)(settings, args))


def run_up(settings: Settings, args: argparse.Namespace) -> int:
    updates = {k: v for k, v in (("port", args.port), ("host", args.host)) if v is not None}
    settings = settings.model_copy(update=updates)
    components = tuple(c.strip() for c in args.only.split(",")) if args.only else COMPONENTS
    unknown = set(components) - set(COMPONENTS)
    if unknown:
        print(f"perfledger: unknown component(s) {', '.join(sorted(unknown))}", file=sys.stderr)
        return 2
    if "api" in components and not port_free(settings.host, settings.port):
        print(f"perfledger: {settings.host}:{settings.port} is in use; choose another with --port",
              file=sys.stderr)
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
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


def issue_token(settings: Settings, args: argparse.Namespace) -> int:
    principal = tokens.Principal(args.role, args.subject, tuple(args.team))
    if args.role == "manager" and not principal.teams:
        print("perfledger: a manager token needs at least one --team", file=sys.stderr)
        return 2
    try:
        print(tokens.issue(settings.signing_secret(), principal, args.ttl or settings.token_ttl_seconds))
    except ValueError as error:
        print(f"perfledger: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
