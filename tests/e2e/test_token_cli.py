"""`perfledger token` as an operator runs it: issue, rotate, retire, revoke, against the API of
the same data directory and database."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jwt
import pytest

from engine.cli import main
from engine.settings import Settings
from tests.support import Pipeline, wait_until


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh SQLite data directory (with its generated secret) that the CLI uses."""
    monkeypatch.setenv("PERFLEDGER_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("PERFLEDGER_TOKEN_REFRESH_SECONDS", "0.1")
    for name in (
        "PERFLEDGER_SECRET",
        "PERFLEDGER_SECRET_FILE",
        "PERFLEDGER_DATABASE_URL",
        "PERFLEDGER_KAFKA_BOOTSTRAP",
    ):
        monkeypatch.delenv(name, raising=False)
    return tmp_path / "data"


@pytest.fixture
def api(env: Path) -> Iterator[Any]:
    """The API over the same settings, as `perfledger up` would serve it."""
    pipeline = Pipeline(Settings())
    try:
        yield pipeline.client()
    finally:
        pipeline.close()


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["token", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def issue(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    code, out, err = run(capsys, "issue", *argv)
    assert code == 0, err
    return out.strip()


def status(api: Any, token: str) -> int:
    return int(api.get("/v1/goals", headers={"Authorization": f"Bearer {token}"}).status_code)


def test_issue_prints_a_jwt_and_says_its_id_key_and_secret(
    env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, "issue", "--role", "ingest", "--subject", "feed-1", "--ttl", "120")
    assert code == 0 and out.count(".") == 2 and out.endswith("\n")
    claims = jwt.decode(out.strip(), options={"verify_signature": False})
    assert claims["sub"] == "feed-1" and claims["role"] == "ingest" and "teams" not in claims
    assert claims["exp"] - claims["iat"] == 120
    assert f"id {claims['jti']}" in err and "signed with key k0" in err
    assert f"the secret in {env / 'secret'}" in err


def test_the_old_flags_still_issue_a_manager_token_for_teams(
    api: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    token = issue(capsys, "--role", "manager", "--subject", "bob", "--team", "t1")
    assert jwt.decode(token, options={"verify_signature": False})["teams"] == ["t1"]
    assert status(api, token) == 200


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (("issue", "--subject", "p-1"), "p-1 is not in the roster"),
        (("issue", "--role", "admin", "--subject", "x", "--ttl", "99999999"), "MAX_TTL"),
        (("issue", "--role", "admin", "--subject", "a\tb"), "printable"),
        (("retire", "k-none"), "no signing key 'k-none'"),
        (("retire", "k0"), "rotate` first"),
        (("revoke", "--jti", "bad\x00id"), "control characters"),
    ],
)
def test_what_cannot_be_done_exits_2_saying_why(
    env: Path, capsys: pytest.CaptureFixture[str], argv: tuple[str, ...], says: str
) -> None:
    code, out, err = run(capsys, *argv)
    assert code == 2 and out == "" and says in err, err


def test_rotate_then_retire_the_old_key(api: Any, capsys: pytest.CaptureFixture[str]) -> None:
    old = issue(capsys, "--role", "admin", "--subject", "alice")
    code, out, _ = run(capsys, "rotate")
    new_kid = out.strip()
    assert code == 0 and new_kid.startswith("k") and new_kid != "k0"
    new = issue(capsys, "--role", "admin", "--subject", "alice")
    assert jwt.get_unverified_header(new)["kid"] == new_kid
    assert status(api, old) == 200 and status(api, new) == 200
    _, listed, _ = run(capsys, "keys")
    assert [line.split("\t")[:2] for line in listed.splitlines()] == [
        ["k0", "verify-only"],
        [new_kid, "active"],
    ]
    assert "(signs new tokens)" in listed.splitlines()[1]
    assert run(capsys, "retire", "k0")[0] == 0
    wait_until(lambda: status(api, old) == 401)
    assert status(api, new) == 200


def test_revoke_a_token_or_a_person(api: Any, capsys: pytest.CaptureFixture[str]) -> None:
    one, other = (issue(capsys, "--role", "admin", "--subject", "alice") for _ in range(2))
    bobs = issue(capsys, "--role", "agent", "--subject", "bob")
    assert status(api, one) == 200 and status(api, bobs) == 200
    jti = jwt.decode(one, options={"verify_signature": False})["jti"]
    code, _, err = run(capsys, "revoke", "--jti", jti, "--reason", "pasted in a ticket")
    assert code == 0 and f"revoked token {jti}" in err
    assert run(capsys, "revoke", "--subject", "bob")[0] == 0
    assert run(capsys, "revoke", "--token", other)[0] == 0
    assert run(capsys, "revoke", "--token", "not-a-token")[0] == 2
    wait_until(lambda: status(api, one) == 401 and status(api, bobs) == 401)
    assert status(api, other) == 401
    assert status(api, issue(capsys, "--role", "admin", "--subject", "alice")) == 200
    again = issue(capsys, "--role", "agent", "--subject", "bob")  # issued after the revocation
    assert status(api, again) == 200
    _, listed, _ = run(capsys, "revocations")
    assert [line.split("\t")[:2] for line in listed.splitlines()] == [
        ["token", jti],
        ["subject", "bob"],
        ["token", jwt.decode(other, options={"verify_signature": False})["jti"]],
    ]
    assert listed.splitlines()[0].endswith("pasted in a ticket")


def test_a_roster_person_s_token_takes_the_role_and_teams_from_the_roster(
    env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from engine.bootstrap import build
    from tests.support import seed_roster

    container = build(Settings())
    try:
        seed_roster(container)
    finally:
        container.close()
    claims = jwt.decode(issue(capsys, "--subject", "mei"), options={"verify_signature": False})
    assert (claims["sub"], claims["role"], claims["teams"]) == ("mei", "manager", ["team-01"])
    code, _, err = run(capsys, "issue", "--subject", "nobody")
    assert code == 2 and "nobody is not in the roster" in err
