"""`perfledger roster import|export`: the roster files on the command line."""

from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from engine.progress_bar import ProgressBars
from engine.settings import Settings


def add_parsers(sub: Any, command: Callable[..., argparse.ArgumentParser]) -> None:
    """Adds `roster import` and `roster export` to the perfledger parser."""
    roster = command(
        sub,
        "roster",
        "import or export the roster (people, teams, sites)",
        "The roster files: teams.csv (team_id,name,site,time_zone) and people.csv "
        "(person_id,display_name,email,role,team_id,manages,effective_from). See README, "
        '"The roster".',
    )
    actions = roster.add_subparsers(dest="roster_command", required=True, metavar="ACTION")
    imp = command(
        actions,
        "import",
        "import teams.csv and/or people.csv (idempotent)",
        "Checks both files whole and lists every problem by file, line and column; applies "
        "nothing when any line is invalid (exit 1). Otherwise records what differs from the "
        "roster as it stands: importing the same files twice changes nothing.",
    )
    imp.add_argument("--teams", type=Path, metavar="FILE", help="teams.csv")
    imp.add_argument("--people", type=Path, metavar="FILE", help="people.csv")
    imp.add_argument(
        "--dry-run", action="store_true", help="check and count the changes, apply nothing"
    )
    imp.add_argument(
        "--actor",
        help="who the events name as having made the change (default: cli:<your user name>)",
    )
    exp = command(
        actions,
        "export",
        "write the roster as teams.csv and people.csv",
        "Writes the roster in the import's format: importing the export changes nothing.",
    )
    exp.add_argument("--teams", type=Path, metavar="FILE", help="where to write teams.csv")
    exp.add_argument("--people", type=Path, metavar="FILE", help="where to write people.csv")
    link = command(
        actions,
        "link",
        "record the id a person has in the HR system or identity provider",
        "Records a roster person's external id (the one single sign-on may map to); an external "
        "id belongs to one person. The roster files do not carry it, and an import keeps it.",
    )
    link.add_argument("--person", required=True, metavar="ID", help="the roster person's id")
    link.add_argument("--external-id", required=True, metavar="ID", help="their external id")


def roster(settings: Settings, args: argparse.Namespace) -> int:
    """Runs `perfledger roster ACTION`."""
    if args.roster_command == "link":
        return link_person(settings, args)
    if args.teams is None and args.people is None:
        print("perfledger: name --teams, --people or both", file=sys.stderr)
        return 2
    if args.roster_command == "import":
        return import_files(settings, args)
    return export_files(settings, args)


def read(path: Path | None, limit: int) -> bytes | None:
    """At most `limit` bytes of the file, or None when none was named."""
    if path is None:
        return None
    with path.open("rb") as file:
        return file.read(limit)


def import_files(settings: Settings, args: argparse.Namespace) -> int:
    from aggregates.errors import DomainError
    from engine.bootstrap import build
    from engine.roster_csv import RosterProblems
    from engine.tokens import Principal

    limit = settings.roster_max_bytes + 1  # one byte more: the import refuses it by size
    try:
        teams = read(args.teams, limit)
        people = read(args.people, limit)
    except OSError as error:
        print(f"perfledger: {error}", file=sys.stderr)
        return 2
    names = (
        args.teams.name if args.teams else "teams.csv",
        args.people.name if args.people else "people.csv",
    )
    admin = Principal("admin", args.actor or f"cli:{getpass.getuser()}")
    container = build(settings)
    progress = ProgressBars()
    try:
        result = container.services.roster.import_files(
            admin, teams, people, args.dry_run, progress, names
        )
    except RosterProblems as error:
        progress.close()
        for problem in error.problems:
            print(problem, file=sys.stderr)
        print(f"perfledger: {error.message}", file=sys.stderr)
        return 1
    except DomainError as error:  # a concurrent import got there first: run it again
        progress.close()
        print(f"perfledger: {error.message}", file=sys.stderr)
        return 1
    finally:
        progress.close()
        container.close()
    for line in summary(result):
        print(line)
    return 0


def summary(result: dict[str, Any]) -> list[str]:
    """The import's counts as lines a person reads."""
    lines = [
        f"{kind}: {c['created']} created, {c['changed']} changed, {c['unchanged']} unchanged"
        for kind, c in ((k, result[k]) for k in ("sites", "teams", "people"))
    ]
    lines.append(f"memberships recorded: {result['memberships']}")
    if not result["changed"]:
        lines.append("nothing changed: the roster already says what these files say")
    elif result["dry_run"]:
        lines.append("dry run: the files are valid; nothing was applied")
    else:
        lines.append(f"roster version {result['version']}")
    return lines


def export_files(settings: Settings, args: argparse.Namespace) -> int:
    from engine.bootstrap import build
    from engine.tokens import Principal

    admin = Principal("admin", f"cli:{getpass.getuser()}")
    container = build(settings)
    try:
        for file, path in (("teams", args.teams), ("people", args.people)):
            if path is not None:
                text = container.services.roster.export(admin, file)
                path.write_text(text, encoding="utf-8")
                print(
                    f"{file}: {text.count(chr(10)) - 1} line(s) written to {path}", file=sys.stderr
                )
    except OSError as error:
        print(f"perfledger: {error}", file=sys.stderr)
        return 2
    finally:
        container.close()
    return 0


def link_person(settings: Settings, args: argparse.Namespace) -> int:
    from aggregates.errors import DomainError
    from engine.bootstrap import build
    from engine.tokens import Principal

    admin = Principal("admin", f"cli:{getpass.getuser()}")
    container = build(settings)
    try:
        container.services.roster.set_external_id(admin, args.person, args.external_id)
    except DomainError as error:
        print(f"perfledger: {error.message}", file=sys.stderr)
        return 1
    finally:
        container.close()
    print(f"{args.person}: external id {args.external_id}", file=sys.stderr)
    return 0


def roster_person(settings: Settings, person_id: str) -> tuple[str, tuple[str, ...]] | None:
    """The roster role of a person and the teams they manage, or None when not in the roster."""
    from engine.bootstrap import build

    container = build(settings)
    try:
        person = container.roster.person(person_id)
        if person is None:
            return None
        return person.role, container.roster.managed_teams(person_id)
    finally:
        container.close()
