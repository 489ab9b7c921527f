"""The command line's conventions: version, help and defaults, option names, progress, messages."""

from __future__ import annotations

import argparse
import io
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from importlib import metadata
from types import SimpleNamespace

import pytest

from engine.cli import parser
from engine.jobs import simulated_span, what_was_read
from engine.progress_bar import ProgressBars

NOW = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)


def every_parser(top: argparse.ArgumentParser) -> Iterator[tuple[str, argparse.ArgumentParser]]:
    """The parser and every subcommand's parser, at any depth, with the command's name."""
    todo = [("perfledger", top)]
    while todo:
        name, current = todo.pop()
        yield name, current
        for action in current._actions:
            if isinstance(action, argparse._SubParsersAction):
                todo.extend((f"{name} {sub}", child) for sub, child in action.choices.items())


def test_version_prints_the_installed_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stop:
        parser().parse_args(["--version"])
    assert stop.value.code == 0
    assert capsys.readouterr().out.strip() == f"perfledger {metadata.version('perfledger')}"


def test_every_subcommand_has_a_description_and_every_option_has_help() -> None:
    missing = []
    for name, each in every_parser(parser()):
        if not each.description:
            missing.append(f"{name}: no description")
        for action in each._actions:
            if isinstance(action, argparse._SubParsersAction):
                missing += [
                    f"{name} {choice.dest}: no summary"
                    for choice in action._choices_actions
                    if not choice.help
                ]
            elif not action.help or action.help == argparse.SUPPRESS:
                missing.append(f"{name} {'/'.join(action.option_strings) or action.dest}: no help")
    assert missing == []


def test_every_option_with_a_default_shows_it_in_help() -> None:
    hidden = []
    for name, each in every_parser(parser()):
        text = " ".join(each.format_help().split())
        for action in each._actions:
            shown = action.default not in (None, False, [], argparse.SUPPRESS)
            if shown and action.option_strings and f"(default: {action.default})" not in text:
                hidden.append(f"{name} {action.option_strings[0]}")
    assert hidden == []
    simulate = " ".join(dict(every_parser(parser()))["perfledger simulate"].format_help().split())
    assert "(default: 1.0)" in simulate and "default: --days before now" in simulate


def test_replay_takes_at_version_and_still_reads_the_deprecated_version() -> None:
    current = parser().parse_args(["replay", "some-id", "--at-version", "3"])
    old = parser().parse_args(["replay", "some-id", "--version", "3"])
    assert (current.version, current.old_version) == (3, None)
    assert (old.version, old.old_version) == (None, 3)


def test_replay_refuses_a_version_and_a_time_together(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        parser().parse_args(["replay", "x", "--at-version", "2", "--as-of", "2026-10-01"])
    assert "not allowed with" in capsys.readouterr().err


def test_the_simulated_span_ends_now_by_default() -> None:
    assert simulated_span(None, 1.0, NOW) == (NOW - timedelta(days=1), NOW)
    assert simulated_span(None, 7.0, NOW)[1] == NOW


def test_a_given_start_runs_the_given_days() -> None:
    start = datetime(2026, 10, 5, tzinfo=UTC)
    assert simulated_span(start, 2.5, NOW) == (start, start + timedelta(days=2.5))


def test_simulate_reads_a_date_or_a_time_as_start() -> None:
    by_date = parser().parse_args(["simulate", "--start", "2026-10-05", "--days", "3"])
    by_time = parser().parse_args(["simulate", "--start", "2026-10-05T08:00:00+02:00"])
    assert by_date.start == datetime(2026, 10, 5, tzinfo=UTC) and by_date.days == 3.0
    assert by_time.start == datetime(2026, 10, 5, 6, tzinfo=UTC) and by_time.duration is None
    assert (
        parser().parse_args(["simulate", "--start", "2026-10-05T06:00:00Z"]).start == by_time.start
    )


def test_a_kpi_rebuild_names_the_archive_and_not_the_event_store() -> None:
    outcome = SimpleNamespace(events=0, archived=1200)
    assert what_was_read(("kpi",), outcome) == [
        "kpi: recounted from the telephony archive, 1200 archived telephony events"
    ]


def test_a_full_rebuild_names_each_source() -> None:
    lines = what_was_read(("events", "kpi"), SimpleNamespace(events=42, archived=7))
    assert lines[0] == "events: rebuilt from the event store, up to notification 42"
    assert lines[1].startswith("kpi: recounted from the telephony archive, 7")
    assert what_was_read(("events",), SimpleNamespace(events=0, archived=0)) == [
        "events: rebuilt from the event store, which is empty"
    ]


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_bars_write_nothing_when_the_stream_is_not_a_terminal() -> None:
    log = io.StringIO()
    with ProgressBars(log) as progress:
        for done in range(0, 1001, 100):
            progress("events", done, 1000)
        assert list(progress.iterate("export", range(50))) == list(range(50))
    assert log.getvalue() == ""


def test_progress_bars_draw_on_a_terminal() -> None:
    screen = Terminal()
    with ProgressBars(screen) as progress:
        progress("kpi", 500, 1000)
        progress("kpi", 1000, 1000)
        assert sum(1 for _ in progress.iterate("export", range(3))) == 3
    drawn = screen.getvalue()
    assert "kpi" in drawn and "1000/1000" in drawn and "export" in drawn and "\r" in drawn


def test_a_note_goes_to_a_log_as_a_plain_line() -> None:
    log = io.StringIO()
    ProgressBars(log).note("ingest: producing and consuming...")
    assert log.getvalue() == "ingest: producing and consuming...\n"
