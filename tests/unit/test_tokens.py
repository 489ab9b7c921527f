"""Signed, expiring bearer tokens."""

from __future__ import annotations

import pytest

from engine.tokens import InvalidToken, Principal, issue, verify

SECRET = "unit-test-secret-0123456789"


def test_a_token_names_its_principal() -> None:
    principal = Principal("manager", "bob", ("team-a", "team-b"))
    assert verify(SECRET, issue(SECRET, principal, 60)) == principal
    assert principal.actor == "manager:bob"


def test_an_expired_token_is_refused() -> None:
    token = issue(SECRET, Principal("admin", "alice"), 60, now=1000.0)
    with pytest.raises(InvalidToken, match="expired"):
        verify(SECRET, token, now=1061.0)


def test_a_token_signed_with_another_secret_is_refused() -> None:
    token = issue("another-secret-9876543210", Principal("admin", "alice"), 60)
    with pytest.raises(InvalidToken, match="another PERFLEDGER_DATA_DIR or PERFLEDGER_SECRET"):
        verify(SECRET, token)


def test_a_tampered_claim_is_refused() -> None:
    _, signature = issue(SECRET, Principal("agent", "ann"), 60).split(".")
    forged = issue("x" * 20, Principal("admin", "ann"), 60).split(".")[0]
    with pytest.raises(InvalidToken):
        verify(SECRET, f"{forged}.{signature}")


@pytest.mark.parametrize("garbage", ["", ".", "abc", "a.b", "....."])
def test_garbage_is_refused(garbage: str) -> None:
    with pytest.raises(InvalidToken):
        verify(SECRET, garbage)


def test_unknown_roles_cannot_be_issued() -> None:
    with pytest.raises(ValueError):
        issue(SECRET, Principal("root", "eve"), 60)


@pytest.mark.parametrize("token", ["abc.d\xe9f", "\xe9" + "x" * 10, "a" * 10_000 + ".b"])
def test_a_token_with_non_ascii_text_or_of_absurd_length_is_refused_not_crashed(token: str) -> None:
    with pytest.raises(InvalidToken, match="not valid"):
        verify(SECRET, token)
