"""The command line as a user runs it: pipes, tokens across data directories, rebuild's report."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from engine.cli import main
from engine.commands import SetGoal
from tests.support import SECRET, Pipeline, make_settings

ROOT = Path(__file__).parents[2]


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh SQLite data directory that the CLI uses, with its own secret file."""
    monkeypatch.setenv("PERFLEDGER_DATA_DIR", str(tmp_path / "data"))
    for name in (
        "PERFLEDGER_SECRET",
        "PERFLEDGER_SECRET_FILE",
        "PERFLEDGER_DATABASE_URL",
        "PERFLEDGER_KAFKA_BOOTSTRAP",
    ):
        monkeypatch.delenv(name, raising=False)
    return tmp_path / "data"


@pytest.fixture
def goal_id(data_dir: Path) -> Iterator[str]:
    from engine.bootstrap import build
    from engine.settings import Settings

    container = build(Settings())
    try:
        goal = container.app.set_goal(
            SetGoal(
                agent_id="a1",
                team_id="t1",
                title="AHT",
                kpi="aht_seconds",
                target=300,
                direction="at_most",
                period_start=date(2026, 10, 1),
                period_end=date(2026, 12, 31),
                weight=1,
            ),
            "manager:bob",
        )
    finally:
        container.close()
    yield str(goal.id)


def closed_reader(*args: str) -> tuple[int, str]:
    """Runs `perfledger ARGS` with its stdout a pipe whose reader has gone (as `| head` does once
    it has read enough); returns the exit status and stderr."""
    child = subprocess.Popen(
        [sys.executable, "-m", "engine.cli", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    assert child.stdout is not None
    child.stdout.close()  # the only reading end: every write the child makes now fails with EPIPE
    try:
        _, err = child.communicate(timeout=60)
    finally:
        child.kill()
    return child.returncode, err


def test_an_export_into_a_closed_pipe_ends_quietly(goal_id: str) -> None:
    status, err = closed_reader("audit", "export", "--aggregate", goal_id)
    assert "Traceback" not in err and "BrokenPipeError" not in err, err
    assert status in (0, 141)


def test_help_into_a_closed_pipe_ends_quietly() -> None:
    status, err = closed_reader("--help")
    assert err == "" and status in (0, 141)


def test_replay_warns_that_version_is_deprecated_and_still_replays(
    goal_id: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["replay", goal_id, "--at-version", "1"]) == 0
    assert "at version 1" in capsys.readouterr().out
    assert main(["replay", goal_id, "--version", "1"]) == 0
    captured = capsys.readouterr()
    assert "at version 1" in captured.out and "deprecated; use --at-version" in captured.err


def test_a_kpi_rebuild_says_it_read_the_telephony_archive(
    data_dir: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["rebuild", "--projection", "kpi"]) == 0
    err = capsys.readouterr().err
    assert "kpi: recounted from the telephony archive, 0 archived telephony events" in err
    assert (
        "event store" not in err and "\r" not in err
    )  # no progress bar drawn into a captured stream


def test_token_issue_names_the_secret_it_signed_with(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["token", "issue", "--role", "admin", "--subject", "you"]) == 0
    captured = capsys.readouterr()
    assert captured.out.count(".") == 2 and captured.out[-1] == "\n"  # the JWT alone on stdout
    assert (
        f"the secret in {data_dir / 'secret'}" in captured.err
        and "PERFLEDGER_DATA_DIR" in captured.err
    )


def test_a_token_from_another_data_directory_is_refused_with_a_hint(
    data_dir: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["token", "issue", "--role", "admin", "--subject", "you"]) == 0
    issued = capsys.readouterr().out.strip()
    other = Pipeline(
        make_settings(tmp_path / "other", f"sqlite:///{tmp_path / 'other.db'}", None, secret=None)
    )
    try:
        answer = other.client().get("/v1/goals", headers={"Authorization": f"Bearer {issued}"})
    finally:
        other.close()
    assert answer.status_code == 401
    assert "another PERFLEDGER_DATA_DIR or PERFLEDGER_SECRET" in answer.json()["detail"]
    assert SECRET not in answer.text
