"""`perfledger token`: issue bearer tokens, rotate and retire signing keys, revoke tokens."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from aggregates.errors import InvalidValue
from engine import tokens
from engine.keyring import RingError
from engine.services.tokens import TokenService
from engine.settings import Settings

ACTIONS = ("issue", "rotate", "retire", "keys", "revoke", "revocations")


def add_parsers(sub: Any, command: Callable[..., argparse.ArgumentParser]) -> None:
    """Adds `perfledger token ACTION` (`command` makes one subcommand)."""
    token = command(
        sub,
        "token",
        "bearer tokens: issue, rotate and retire signing keys, revoke",
        "Bearer tokens (JWT, HS256) signed with the key ring kept in the database, whose keys "
        "are derived from this setup's secret (PERFLEDGER_SECRET, else the `secret` file in "
        "PERFLEDGER_DATA_DIR): only servers with the same secret and database accept them.",
    )
    actions = token.add_subparsers(dest="token_command", required=True, metavar="ACTION")
    issue = command(
        actions,
        "issue",
        "print a signed bearer token",
        "Prints a bearer token on stdout; stderr says who it names, its id (for `revoke "
        "--jti`), the key that signed it and until when it is valid.",
    )
    issue.add_argument("--subject", required=True, help="the person or account the token names")
    issue.add_argument(
        "--role",
        choices=tokens.ROLES,
        help="the role of a principal outside the roster (ingest feeds, service accounts); "
        "default: the subject's role in the roster",
    )
    issue.add_argument(
        "--team",
        action="append",
        default=[],
        help="a team a manager may act on (repeat; until scope comes from the roster)",
    )
    issue.add_argument(
        "--ttl",
        type=int,
        metavar="SECONDS",
        help="seconds until it expires (default PERFLEDGER_TOKEN_TTL_SECONDS)",
    )
    command(
        actions,
        "rotate",
        "add a new signing key; earlier keys keep verifying",
        "Adds a new active signing key and prints its id. New tokens are signed with it; tokens "
        "signed with earlier keys keep verifying until those keys are retired.",
    )
    retire = command(
        actions,
        "retire",
        "stop accepting tokens signed with a key",
        "Retires a signing key: every token it signed stops verifying, in every process within "
        "PERFLEDGER_TOKEN_REFRESH_SECONDS. The only active key cannot be retired: rotate first.",
    )
    retire.add_argument("kid", metavar="KID", help="the key id (`perfledger token keys`)")
    command(actions, "keys", "list the signing keys and their states", "Lists the key ring.")
    revoke = command(
        actions,
        "revoke",
        "revoke one token, or every token of a subject issued until now",
        "Revokes a token (given, or by its id `jti`, printed when it was issued) or every "
        "token of a subject issued until now; every process refuses them within "
        "PERFLEDGER_TOKEN_REFRESH_SECONDS. Tokens issued afterwards are not affected.",
    )
    which = revoke.add_mutually_exclusive_group(required=True)
    which.add_argument("--jti", help="the id of the token to revoke")
    which.add_argument("--subject", help="revoke every token of this subject issued until now")
    which.add_argument("--token", help="revoke this token (its id is read from it)")
    revoke.add_argument("--reason", default="", help="why (kept with the revocation)")
    command(actions, "revocations", "list the revocations", "Lists revoked tokens and subjects.")


def run(settings: Settings, args: argparse.Namespace) -> int:
    """Runs `perfledger token ACTION`."""
    from engine.bootstrap.tokens import token_admin

    try:
        with token_admin(settings) as service:
            return ACTION_RUNS[args.token_command](service, settings, args)
    except (ValueError, RingError, InvalidValue) as error:
        print(f"perfledger: {error}", file=sys.stderr)
        return 2


def issue_token(service: TokenService, settings: Settings, args: argparse.Namespace) -> int:
    if args.role is None:
        from engine import roster_cli

        found = roster_cli.roster_person(settings, args.subject)
        if found is None:
            print(
                f"perfledger: {args.subject} is not in the roster; import it (perfledger roster "
                "import), or name --role for a principal outside the roster",
                file=sys.stderr,
            )
            return 2
        # Until the API reads scope from the roster at request time, the token carries the
        # roster's role and managed teams.
        args.role, managed = found
        args.team = [*args.team, *managed]
    ttl = settings.token_ttl_seconds if args.ttl is None else args.ttl
    token = service.issue(args.subject, ttl, role=args.role, teams=args.team)
    identity = service.tokens.verify(token)
    until = datetime.fromtimestamp(identity.expires_at, UTC).isoformat()
    print(token)
    print(
        f"perfledger: {article(args.role)} {args.role} token for {args.subject}, id "
        f"{identity.jti}, valid for "
        f"{ttl} s (until {until}), signed with key {service.signing_kid()} derived from "
        f"{secret_source(settings)}; only servers with the same secret and database accept it",
        file=sys.stderr,
    )
    return 0


def article(word: str) -> str:
    return "an" if word[:1] in "aeiou" else "a"


def rotate(service: TokenService, settings: Settings, args: argparse.Namespace) -> int:
    made = service.rotate()
    print(made.kid)
    print(
        f"perfledger: new tokens are signed with {made.kid}; earlier keys verify until retired "
        "(`perfledger token retire KID`)",
        file=sys.stderr,
    )
    return 0


def retire(service: TokenService, settings: Settings, args: argparse.Namespace) -> int:
    retired = service.retire(args.kid)
    print(
        f"perfledger: key {retired.kid} is retired: tokens it signed are refused within "
        f"{settings.token_refresh_seconds:g} s",
        file=sys.stderr,
    )
    return 0


def keys(service: TokenService, settings: Settings, args: argparse.Namespace) -> int:
    signing = service.signing_kid()
    for record in service.key_ring():
        mark = "  (signs new tokens)" if record.kid == signing else ""
        print(f"{record.kid}\t{record.state}\tcreated {record.created_at.isoformat()}{mark}")
    return 0


def revoke(service: TokenService, settings: Settings, args: argparse.Namespace) -> int:
    jti = args.jti if args.token is None else tokens.unverified_jti(args.token)
    made = service.revoke("cli", jti=jti, subject=args.subject, reason=args.reason)
    what = (
        f"token {made.value}"
        if made.kind == "token"
        else f"every token of {made.value} issued until {made.revoked_at.isoformat()}"
    )
    print(
        f"perfledger: revoked {what}; refused everywhere within "
        f"{settings.token_refresh_seconds:g} s",
        file=sys.stderr,
    )
    return 0


def revocations(service: TokenService, settings: Settings, args: argparse.Namespace) -> int:
    for made in service.revocations.all():
        reason = f"\t{made.reason}" if made.reason else ""
        print(
            f"{made.kind}\t{made.value}\t{made.revoked_at.isoformat()}\t{made.revoked_by}{reason}"
        )
    return 0


ACTION_RUNS: dict[str, Callable[[TokenService, Settings, argparse.Namespace], int]] = {
    "issue": issue_token,
    "rotate": rotate,
    "retire": retire,
    "keys": keys,
    "revoke": revoke,
    "revocations": revocations,
}


def secret_source(settings: Settings) -> str:
    """Where the signing secret comes from, in the words a user sets it with."""
    if settings.secret is not None:
        return "PERFLEDGER_SECRET"
    if settings.secret_file is not None:
        return f"the secret in {settings.secret_file} (PERFLEDGER_SECRET_FILE)"
    return f"the secret in {settings.data_dir / 'secret'} (PERFLEDGER_DATA_DIR={settings.data_dir})"
