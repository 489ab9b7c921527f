"""Bearer tokens at the HTTP door: every refused token is a 401 problem (never a 500), and
revocations and key changes made through one instance reach another sharing its database."""

from __future__ import annotations

import base64
import json
import time
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import jwt
import pytest
from jwt.warnings import InsecureKeyLengthWarning

from engine.keyring import derive
from engine.tokens import DEFAULT_AUDIENCE, DEFAULT_ISSUER, LocalTokens
from tests.support import SECRET, Pipeline, local_tokens, make_settings, token, wait_until

KEY = derive(SECRET, "k0", "")
ADMIN = token("admin", "alice")


def bearer(text: str | bytes) -> dict[str, Any]:
    return {"Authorization": (b"Bearer " + text) if isinstance(text, bytes) else f"Bearer {text}"}


def b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


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
        **changes,
    }
    return {k: v for k, v in made.items() if v is not None}


def encoded(body: dict[str, Any], kid: str | None = "k0", alg: str = "HS256") -> str:
    headers = {} if kid is None else {"kid": kid}
    with warnings.catch_warnings():  # our 32-byte key is short for HS512, which is the point
        warnings.simplefilter("ignore", InsecureKeyLengthWarning)
        return jwt.encode(body, KEY, algorithm=alg, headers=headers)


def other(**kwargs: str) -> LocalTokens:
    from engine.keyring import local_ring

    settings = {"secret": SECRET, "issuer": DEFAULT_ISSUER, "audience": DEFAULT_AUDIENCE, **kwargs}
    return LocalTokens(local_ring(settings["secret"]), settings["issuer"], settings["audience"])


# Each case's headers are made when the test runs: tokens made at collection would expire
# before a long suite reaches them.
Headers = Callable[[], dict[str, Any]]
REFUSED: list[tuple[str, Headers, str]] = [
    ("no token", lambda: {}, "a bearer token is required"),
    ("not bearer", lambda: {"Authorization": "Basic YWxpY2U6cHc="}, "a bearer token is required"),
    (
        "expired",
        lambda: bearer(local_tokens().issue("alice", 60, "admin", now=time.time() - 7200)),
        "expired",
    ),
    (
        "not yet valid",
        lambda: bearer(local_tokens().issue("alice", 60, "admin", now=time.time() + 7200)),
        "not valid yet",
    ),
    (
        "wrong issuer",
        lambda: bearer(other(issuer="elsewhere").issue("alice", 60, "admin")),
        "issuer",
    ),
    (
        "wrong audience",
        lambda: bearer(other(audience="x-api").issue("alice", 60, "admin")),
        "not meant",
    ),
    (
        "forged",
        lambda: bearer(other(secret="another-secret-0123456789").issue("alice", 60, "admin")),
        "another PERFLEDGER_DATA_DIR or PERFLEDGER_SECRET",
    ),
    (
        "alg none",
        lambda: bearer(f"{b64({'alg': 'none', 'typ': 'JWT', 'kid': 'k0'})}.{b64(claims())}."),
        "not accepted",
    ),
    ("HS512", lambda: bearer(encoded(claims(), alg="HS512")), "not accepted"),
    ("missing jti", lambda: bearer(encoded(claims(jti=None))), "lacks the `jti` claim"),
    ("missing exp", lambda: bearer(encoded(claims(exp=None))), "lacks the `exp` claim"),
    ("no kid", lambda: bearer(encoded(claims(), kid=None)), "no `kid`"),
    ("unknown kid", lambda: bearer(encoded(claims(), kid="k-gone")), "unknown"),
    ("no role", lambda: bearer(local_tokens().issue("p-1", 60)), "names no role"),
    ("oversized", lambda: bearer("a" * 9000 + "." + "b" * 10 + ".c"), "longer than"),
    ("non-ASCII", lambda: bearer(b"\xe9\xff.\xfe.\x80"), "expected a JWT"),
    ("old format", lambda: bearer("eyJyb2xlIjoiYWRtaW4ifQ.c2lnbmF0dXJl"), "perfledger token issue"),
    ("garbage", lambda: bearer("not-a-token"), "not valid"),
]


@pytest.fixture
def client(tmp_path: Path) -> Iterator[Any]:
    pipeline = Pipeline(make_settings(tmp_path, f"sqlite:///{tmp_path / 'p.db'}", None))
    try:
        yield pipeline.client()
    finally:
        pipeline.close()


@pytest.mark.parametrize(("case", "headers", "detail"), REFUSED, ids=[c for c, *_ in REFUSED])
def test_every_refused_token_is_a_401_problem_saying_why(
    client: Any, case: str, headers: Headers, detail: str
) -> None:
    for method, path in (("GET", "/v1/goals"), ("POST", "/v1/tokens/revocations")):
        answer = client.request(method, path, headers=headers(), json={"subject": "bob"})
        assert answer.status_code == 401, (case, answer.text)
        assert answer.headers["content-type"] == "application/problem+json"
        assert answer.headers["www-authenticate"] == "Bearer"
        assert detail in answer.json()["detail"], answer.json()


def test_a_role_claim_grants_nothing_the_roster_does_not(client: Any) -> None:
    # Scope comes from the roster at request time (engine/callers.py): bob is on no roster.
    claimed = local_tokens().issue("bob", 600, "manager")
    answer = client.get("/v1/goals?team_id=team-a", headers={"Authorization": f"Bearer {claimed}"})
    assert answer.status_code == 403 and "not on the roster" in answer.json()["detail"]


def test_an_admin_revokes_and_lists_and_others_may_not(client: Any) -> None:
    victim = local_tokens().issue("agent-1", 600, "agent")
    jti = jwt.decode(victim, options={"verify_signature": False})["jti"]
    assert client.get("/v1/goals", headers=bearer(victim)).status_code in (200, 403)
    made = client.post(
        "/v1/tokens/revocations", json={"jti": jti, "reason": "leaked"}, headers=ADMIN
    )
    assert made.status_code == 201, made.text
    assert made.json() | {"revoked_at": "t"} == {
        "kind": "token",
        "value": jti,
        "issued_until": None,
        "revoked_at": "t",
        "revoked_by": "admin:alice",
        "reason": "leaked",
    }
    refused = client.get("/v1/goals", headers=bearer(victim))
    assert refused.status_code == 401 and refused.json()["detail"] == "token has been revoked"
    listed = client.get("/v1/tokens/revocations", headers=ADMIN).json()["items"]
    assert [(r["kind"], r["value"]) for r in listed] == [("token", jti)]
    assert client.get("/v1/tokens/revocations", headers=token("agent", "x")).status_code == 403
    both = client.post("/v1/tokens/revocations", json={"jti": "a", "subject": "b"}, headers=ADMIN)
    assert both.status_code == 422


def test_an_auditor_s_revoked_token_is_401_on_a_write_not_a_403(client: Any) -> None:
    auditor = local_tokens().issue("ann", 600, "auditor")
    assert client.post("/v1/goals", json={}, headers=bearer(auditor)).status_code == 403
    client.post("/v1/tokens/revocations", json={"subject": "ann"}, headers=ADMIN)
    assert client.post("/v1/goals", json={}, headers=bearer(auditor)).status_code == 401


@pytest.fixture
def two(tmp_path: Path, database_url: str) -> Iterator[tuple[Pipeline, Pipeline]]:
    """Two instances of the API (own data directories) sharing one database and secret."""
    made = [
        Pipeline(make_settings(tmp_path / name, database_url, None, token_refresh_seconds=0.2))
        for name in ("a", "b")
    ]
    try:
        yield made[0], made[1]
    finally:
        for pipeline in made:
            pipeline.close()


def test_a_revocation_made_through_one_instance_is_refused_by_the_other(
    two: tuple[Pipeline, Pipeline],
) -> None:
    a, b = (p.client() for p in two)
    one, kept = (local_tokens().issue("agent-1", 600, "admin") for _ in range(2))
    person = local_tokens().issue("bob", 600, "admin")
    for victim in (one, kept, person):
        assert b.get("/v1/goals", headers=bearer(victim)).status_code == 200  # b has read the list
    jti = jwt.decode(one, options={"verify_signature": False})["jti"]
    assert a.post("/v1/tokens/revocations", json={"jti": jti}, headers=ADMIN).status_code == 201
    assert (
        a.post("/v1/tokens/revocations", json={"subject": "bob"}, headers=ADMIN).status_code == 201
    )
    wait_until(lambda: b.get("/v1/goals", headers=bearer(one)).status_code == 401)
    wait_until(lambda: b.get("/v1/goals", headers=bearer(person)).status_code == 401)
    assert b.get("/v1/goals", headers=bearer(kept)).status_code == 200
    fresh = two[1].container.services.tokens.issue("bob", 600, role="admin")
    assert b.get("/v1/goals", headers=bearer(fresh)).status_code == 200


def test_a_key_rotated_and_retired_through_one_instance_is_followed_by_the_other(
    two: tuple[Pipeline, Pipeline],
) -> None:
    a, b = (p.client() for p in two)
    service = two[0].container.services.tokens
    old = service.issue("alice", 600, role="admin")
    assert b.get("/v1/goals", headers=bearer(old)).status_code == 200
    new_kid = service.rotate().kid
    new = service.issue("alice", 600, role="admin")
    assert jwt.get_unverified_header(new)["kid"] == new_kid
    assert b.get("/v1/goals", headers=bearer(new)).status_code == 200  # at once: unknown kid
    assert b.get("/v1/goals", headers=bearer(old)).status_code == 200  # verify-only
    service.retire("k0")
    answer = wait_until(
        lambda: (r := b.get("/v1/goals", headers=bearer(old))).status_code == 401 and r
    )
    assert "k0 is retired" in answer.json()["detail"]
    assert a.get("/v1/goals", headers=bearer(new)).status_code == 200
