"""Bearer tokens: JWTs issued and verified against the key ring, and every way one is refused."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import jwt
import pytest

from engine.keyring import KeyRing, derive, first_record, local_ring, new_record
from engine.tokens import (
    DEFAULT_AUDIENCE,
    DEFAULT_ISSUER,
    REQUIRED_CLAIMS,
    InvalidToken,
    LocalTokens,
    Principal,
)

SECRET = "unit-test-secret-0123456789"
KEY = derive(SECRET, "k0", "")  # the first key of a ring with this secret


def local(
    secret: str = SECRET, issuer: str = DEFAULT_ISSUER, audience: str = DEFAULT_AUDIENCE
) -> LocalTokens:
    return LocalTokens(local_ring(secret), issuer, audience, leeway_seconds=30)


def b64(data: dict[str, Any] | bytes) -> str:
    raw = data if isinstance(data, bytes) else json.dumps(data).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def claims(**changes: Any) -> dict[str, Any]:
    now = int(time.time())
    made = {
        "iss": DEFAULT_ISSUER,
        "aud": DEFAULT_AUDIENCE,
        "sub": "alice",
        "iat": now,
        "exp": now + 600,
        "jti": "j-1",
        "role": "admin",
    }
    made.update(changes)
    return {k: v for k, v in made.items() if v is not None}


def signed(body: dict[str, Any], header: dict[str, Any] | None = None, key: bytes = KEY) -> str:
    """A token crafted by hand: any header, HMAC-SHA256 over it with `key`."""
    head = b64(header or {"alg": "HS256", "typ": "JWT", "kid": "k0"})
    signing_input = f"{head}.{b64(body)}"
    signature = hmac.new(key, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64(signature)}"


def refused(token: str, match: str, tokens: LocalTokens | None = None) -> None:
    with pytest.raises(InvalidToken, match=match):
        (tokens or local()).verify(token)


def test_a_token_names_who_the_caller_is_with_every_standard_claim() -> None:
    before = int(time.time())
    token = local().issue("alice", 600, role="admin")
    identity = local().verify(token)
    assert (identity.subject, identity.role, identity.issuer) == ("alice", "admin", "perfledger")
    assert before <= identity.issued_at <= int(time.time())
    assert identity.expires_at == identity.issued_at + 600
    assert jwt.get_unverified_header(token) == {"alg": "HS256", "kid": "k0", "typ": "JWT"}
    body = jwt.decode(token, options={"verify_signature": False})
    assert set(body) == {*REQUIRED_CLAIMS, "role"} and body["jti"] == identity.jti


def test_a_token_for_a_roster_person_names_the_person_only() -> None:
    tokens = local()
    bare = jwt.decode(tokens.issue("p-7", 60), options={"verify_signature": False})
    assert "role" not in bare and "teams" not in bare
    assert tokens.verify(tokens.issue("p-7", 60)).role is None


def test_each_token_has_its_own_id() -> None:
    tokens = local()
    assert len({tokens.verify(tokens.issue("alice", 60)).jti for _ in range(5)}) == 5


def test_an_expired_token_is_refused() -> None:
    refused(local().issue("alice", 60, role="admin", now=time.time() - 3600), "expired")


def test_a_token_expired_within_the_leeway_is_still_accepted() -> None:
    token = local().issue("alice", 60, role="admin", now=time.time() - 70)  # expired 10 s ago
    assert local().verify(token).subject == "alice"


def test_a_token_issued_in_the_future_is_not_valid_yet() -> None:
    refused(local().issue("alice", 60, role="admin", now=time.time() + 3600), "not valid yet")


def test_a_token_of_another_issuer_or_for_another_audience_is_refused() -> None:
    refused(local(issuer="someone-else").issue("alice", 60), "not issued by perfledger")
    refused(local(audience="another-api").issue("alice", 60), "not meant for perfledger-api")
    refused(signed(claims(aud=["perfledger-api", "x"])), "not meant for")


def test_a_token_signed_with_another_secret_is_refused_with_a_hint() -> None:
    other = local("another-secret-9876543210").issue("alice", 60, role="admin")
    refused(other, "another PERFLEDGER_DATA_DIR or PERFLEDGER_SECRET")


def test_a_tampered_claim_is_refused() -> None:
    head, _, signature = local().issue("ann", 60, role="agent").split(".")
    forged_body = b64(claims(sub="ann", role="admin"))
    refused(f"{head}.{forged_body}.{signature}", "signature is not valid")


@pytest.mark.parametrize("alg", ["none", "None", "NONE", ""])
def test_an_unsigned_alg_none_token_crafted_by_hand_is_refused(alg: str) -> None:
    header = b64({"alg": alg, "typ": "JWT", "kid": "k0"})
    refused(f"{header}.{b64(claims())}.", "is not accepted")


@pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")
@pytest.mark.parametrize("alg", ["HS512", "HS384", "RS256", "ES256", "PS256", "EdDSA"])
def test_a_token_naming_another_algorithm_is_refused_even_when_its_mac_uses_our_key(
    alg: str,
) -> None:
    # Algorithm confusion: an HMAC made with our key (as a public key would be misused) under
    # a header naming another algorithm.
    refused(signed(claims(), {"alg": alg, "typ": "JWT", "kid": "k0"}), "is not accepted")
    if alg.startswith("HS"):
        genuine = jwt.encode(claims(), KEY, algorithm=alg, headers={"kid": "k0"})
        refused(genuine, "is not accepted")


@pytest.mark.parametrize("claim", REQUIRED_CLAIMS)
def test_a_token_missing_a_required_claim_is_refused(claim: str) -> None:
    refused(signed(claims(**{claim: None})), f"lacks the `{claim}` claim")


@pytest.mark.parametrize(
    ("changes", "match"),
    [
        ({"sub": 42}, "not valid"),
        ({"sub": ""}, "subject is not valid"),
        ({"jti": 7}, "not valid"),
        ({"jti": ""}, "jti"),
        ({"role": "root"}, "role is unknown"),
        ({"role": ["admin"]}, "role is unknown"),
        ({"exp": "tomorrow"}, "not valid"),
        ({"iat": "today"}, "not valid"),
        ({"iss": 5}, "not issued by"),
    ],
)
def test_a_claim_of_the_wrong_type_is_refused(changes: dict[str, Any], match: str) -> None:
    refused(signed(claims(**changes)), match)


def test_a_token_without_a_key_id_or_with_an_unknown_one_is_refused() -> None:
    refused(signed(claims(), {"alg": "HS256", "typ": "JWT"}), "no `kid`")
    refused(signed(claims(), {"alg": "HS256", "kid": 5}), "header does not decode|kid")
    refused(signed(claims(), {"alg": "HS256", "kid": "k9"}), "'k9' is unknown")


def test_a_token_signed_with_a_retired_key_is_refused_and_with_a_verify_only_one_accepted() -> None:
    at = datetime(2026, 12, 1, tzinfo=UTC)
    first = first_record(at)
    second = new_record(at.replace(hour=1))
    old_token = local().issue("alice", 60, role="admin")  # signed with k0
    rotated = KeyRing(SECRET, (replace(first, state="verify-only"), second))
    tokens = LocalTokens(rotated, DEFAULT_ISSUER, DEFAULT_AUDIENCE)
    assert tokens.verify(old_token).subject == "alice"
    assert jwt.get_unverified_header(tokens.issue("bob", 60))["kid"] == second.kid
    retired = KeyRing(SECRET, (replace(first, state="retired"), second))
    refused(old_token, "k0 is retired", LocalTokens(retired, DEFAULT_ISSUER, DEFAULT_AUDIENCE))


def test_an_oversized_token_is_refused_before_it_is_parsed() -> None:
    refused(signed(claims(padding="x" * 9000)), "longer than 8192")


@pytest.mark.parametrize(
    "garbage",
    ["", ".", "..", "abc", "a.b.c", "....", "a.b.c.d", "e30.e30.", "@@@.###.$$$", "a b.c d.e f"],
)
def test_garbage_is_refused(garbage: str) -> None:
    refused(garbage, "not valid|is not accepted|lacks")


@pytest.mark.parametrize(
    "garbage",
    ["abc.d\xe9f.ghi", "\xe9" + "x" * 10, "eyJ\u202e.e30.x", "a.b.c\x00", "a\nb.c.d", "☃.☃.☃"],
)
def test_non_ascii_or_control_characters_are_refused_not_crashed(garbage: str) -> None:
    refused(garbage, "expected a JWT")


def test_a_token_of_the_format_used_before_jwts_is_refused_with_what_to_do() -> None:
    refused("eyJyb2xlIjoiYWRtaW4ifQ.c2lnbmF0dXJl", "perfledger token issue")


@pytest.mark.parametrize(
    ("subject", "role", "ttl"),
    [
        ("", None, 60),
        ("x" * 201, None, 60),
        ("a\nb", None, 60),
        ("eve", "root", 60),
        ("eve", None, 0),
    ],
)
def test_issue_refuses_what_it_cannot_sign(subject: str, role: str | None, ttl: int) -> None:
    with pytest.raises(ValueError):
        local().issue(subject, ttl, role=role)


def test_issue_refuses_a_lifetime_beyond_the_maximum() -> None:
    tokens = LocalTokens(local_ring(SECRET), DEFAULT_ISSUER, DEFAULT_AUDIENCE, max_ttl_seconds=3600)
    with pytest.raises(ValueError, match="PERFLEDGER_TOKEN_MAX_TTL_SECONDS"):
        tokens.issue("alice", 3601)


def test_a_principal_names_its_actor() -> None:
    assert Principal("manager", "bob", ("team-a",)).actor == "manager:bob"
