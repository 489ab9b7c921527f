"""The signing secret and data directory: created once, atomically, readable by the owner only."""

from __future__ import annotations

import multiprocessing
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import SecretStr, ValidationError

from engine.bootstrap import build
from engine.secret_file import SecretFileError
from engine.settings import Settings

STARTS = 50


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def first_start(data_dir: Path, barrier: object, out: object) -> None:
    """One process's first start: wait for all the others, then read (or create) the secret."""
    barrier.wait()  # type: ignore[attr-defined]
    try:
        out.put(Settings(data_dir=data_dir).signing_secret())  # type: ignore[attr-defined]
    except Exception as error:  # noqa: BLE001 - reported to the test, which fails on it
        out.put(f"error: {error!r}")  # type: ignore[attr-defined]


def test_concurrent_first_starts_share_one_non_empty_private_secret(tmp_path: Path) -> None:
    data_dir = tmp_path / "fresh" / "data"
    context = multiprocessing.get_context("fork")
    barrier, out = context.Barrier(STARTS), context.Queue()
    processes = [
        context.Process(target=first_start, args=(data_dir, barrier, out)) for _ in range(STARTS)
    ]
    for process in processes:
        process.start()
    try:
        secrets = [out.get(timeout=60) for _ in processes]
    finally:
        for process in processes:
            process.join(timeout=10)
            if process.is_alive():
                process.kill()
    assert len(set(secrets)) == 1, set(secrets)
    (secret,) = set(secrets)
    assert len(secret) >= 16 and not secret.startswith("error")
    assert (data_dir / "secret").read_text().strip() == secret
    assert [p.name for p in data_dir.iterdir()] == ["secret"]  # no temporary file left behind
    assert mode(data_dir / "secret") == 0o600 and mode(data_dir) == 0o700


@pytest.mark.parametrize("content", ["", "\n", "only-15-chars!!"])
def test_an_empty_or_short_secret_file_is_refused_with_a_clear_error(
    tmp_path: Path, content: str
) -> None:
    (tmp_path / "secret").write_text(content)
    with pytest.raises(SecretFileError, match=r"secret file .* (empty|too short).*16 characters"):
        Settings(data_dir=tmp_path).signing_secret()


def test_the_secret_file_can_live_outside_the_data_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PERFLEDGER_SECRET_FILE", str(tmp_path / "keys" / "perfledger.secret"))
    settings = Settings(data_dir=tmp_path / "data")
    secret = settings.signing_secret()
    assert (tmp_path / "keys" / "perfledger.secret").read_text().strip() == secret
    assert Settings(data_dir=tmp_path / "data").signing_secret() == secret
    assert not (tmp_path / "data" / "secret").exists()


def test_a_short_secret_is_refused_without_being_echoed() -> None:
    with pytest.raises(ValidationError) as caught:
        Settings(secret=SecretStr("Xq7-tiny-Zz"))
    assert "Xq7-tiny-Zz" not in str(caught.value)
    assert "Xq7-tiny-Zz" not in repr(Settings(secret=SecretStr("Xq7-long-enough-Zz-0123")))


def test_the_data_dir_and_sqlite_files_are_private_whatever_the_umask(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        container = build(
            Settings(data_dir=tmp_path / "data", secret=SecretStr("s" * 20 + "-distinct"))
        )
        container.close()
    finally:
        os.umask(old)
    assert mode(tmp_path / "data") == 0o700
    files = [p for p in (tmp_path / "data").iterdir() if p.name.startswith("perfledger.db")]
    assert files and all(mode(p) & 0o077 == 0 for p in files), {p.name: oct(mode(p)) for p in files}


def test_the_cli_creates_no_file_others_can_read(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    env = {**os.environ, "PERFLEDGER_DATA_DIR": str(data_dir)}
    env.pop("PERFLEDGER_SECRET", None)
    done = subprocess.run(
        [sys.executable, "-m", "engine.cli", "verify"],
        check=False,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=Path(__file__).parents[2],
    )
    assert done.returncode == 0, done.stderr
    created = [data_dir, *data_dir.rglob("*")]
    assert all(mode(p) & 0o077 == 0 for p in created), {p.name: oct(mode(p)) for p in created}


def test_the_cli_refuses_an_empty_secret_file_with_a_message(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from engine.cli import main

    (tmp_path / "secret").write_text("")
    monkeypatch.setenv("PERFLEDGER_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("PERFLEDGER_SECRET", raising=False)
    monkeypatch.delenv("PERFLEDGER_SECRET_FILE", raising=False)
    assert main(["verify"]) == 2
    assert (
        "the secret file" in capsys.readouterr().err and not (tmp_path / "perfledger.db").exists()
    )
