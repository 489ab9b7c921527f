"""Revocation of one token or of every token of a person issued until now, checked on every
request through a copy each process re-reads; and the authenticator that chooses a verifier
by issuer."""

from __future__ import annotations

import contextlib
import json
import time
from dataclasses import dataclass

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aggregates.errors import InvalidValue
from engine.authentication import Authenticator
from engine.keyring import SharedKeyRing
from engine.ports import Revocation
from engine.revocation import RevocationList
from engine.services.tokens import TokenService
from engine.tokens import DEFAULT_AUDIENCE, DEFAULT_ISSUER, Identity, InvalidToken, LocalTokens
from tests.fakes import FakeRevocations, FakeSigningKeys

SECRET = "unit-test-secret-0123456789"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@dataclass
class Process:
    """One process of a deployment: its service and authenticator over the shared stores."""

    service: TokenService
    auth: Authenticator


def process(keys: FakeSigningKeys, revocations: FakeRevocations, clock: Clock) -> Process:
    ring = SharedKeyRing(keys, SECRET, refresh_seconds=1.0, clock=clock)
    tokens = LocalTokens(ring, DEFAULT_ISSUER, DEFAULT_AUDIENCE)
    listed = RevocationList(revocations, refresh_seconds=1.0, keep_seconds=3600, clock=clock)
    return Process(TokenService(tokens, ring, listed), Authenticator([tokens], listed))


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def pair(clock: Clock) -> tuple[Process, Process]:
    keys, revocations = FakeSigningKeys(), FakeRevocations()
    return process(keys, revocations, clock), process(keys, revocations, clock)


def test_a_revoked_token_is_refused_and_others_of_the_person_are_not(
    pair: tuple[Process, Process],
) -> None:
    here, _ = pair
    first, second = (here.service.issue("alice", 600, role="admin") for _ in range(2))
    jti = here.auth.authenticate(first).jti
    here.service.revoke("admin:root", jti=jti, reason="laptop lost")
    with pytest.raises(InvalidToken, match="revoked"):
        here.auth.authenticate(first)
    assert here.auth.authenticate(second).subject == "alice"


def test_revoking_a_person_refuses_every_token_issued_until_then_and_none_issued_after(
    pair: tuple[Process, Process],
) -> None:
    here, _ = pair
    before = here.service.issue("alice", 600, role="admin")
    other = here.service.issue("bob", 600, role="admin")
    here.service.revoke("cli", subject="alice")
    with pytest.raises(InvalidToken, match="every token of alice"):
        here.auth.authenticate(before)
    after = here.service.issue("alice", 600, role="admin")  # in the same second, maybe
    assert here.auth.authenticate(after).subject == "alice"
    assert here.auth.authenticate(other).subject == "bob"


def test_a_revocation_made_by_one_process_reaches_another_within_the_refresh(
    pair: tuple[Process, Process], clock: Clock
) -> None:
    here, there = pair
    token = here.service.issue("alice", 600, role="admin")
    assert there.auth.authenticate(token).subject == "alice"  # `there` has read the list
    here.service.revoke("cli", jti=here.auth.authenticate(token).jti)
    clock.now += 1.0
    with pytest.raises(InvalidToken, match="revoked"):
        there.auth.authenticate(token)


def test_a_process_reads_the_list_once_per_refresh_not_per_request(clock: Clock) -> None:
    class Counting(FakeRevocations):
        reads = 0

        def all(self) -> list[Revocation]:
            Counting.reads += 1
            return super().all()

    made = process(FakeSigningKeys(), Counting(), clock)
    token = made.service.issue("alice", 600, role="admin")  # issuing reads the list
    reads = Counting.reads
    for _ in range(50):
        made.auth.authenticate(token)
    assert Counting.reads == reads
    clock.now += 1.0
    for _ in range(50):
        made.auth.authenticate(token)
    assert Counting.reads == reads + 1


def test_revoking_twice_keeps_the_first_token_record_and_the_latest_subject_second(
    pair: tuple[Process, Process],
) -> None:
    here, _ = pair
    first = here.service.revoke("a", jti="j-1", reason="one")
    assert here.service.revoke("b", jti="j-1", reason="two") == first
    assert here.service.revoke("a", subject="alice").issued_until <= int(time.time())


@pytest.mark.parametrize(
    ("jti", "subject", "reason"),
    [
        (None, None, ""),
        ("j", "alice", ""),
        ("", None, ""),
        (None, "a\nb", ""),
        ("j", None, "x" * 501),
    ],
)
def test_a_revocation_names_one_token_or_one_subject(
    pair: tuple[Process, Process], jti: str | None, subject: str | None, reason: str
) -> None:
    with pytest.raises(InvalidValue):
        pair[0].service.revoke("cli", jti=jti, subject=subject, reason=reason)


def test_token_revocations_are_pruned_once_no_token_they_name_can_be_alive(clock: Clock) -> None:
    store = FakeRevocations()
    listed = RevocationList(store, refresh_seconds=1.0, keep_seconds=0.0, clock=clock)
    listed.revoke_token("j-1", "cli", "")
    listed.revoke_subject("alice", "cli", "")
    listed.revoke_token("j-2", "cli", "")  # prunes j-1: kept for 0 s
    assert {(r.kind, r.value) for r in store.all()} == {("subject", "alice"), ("token", "j-2")}


class OtherIssuer:
    """A second issuer's verifier, as single sign-on adds one."""

    issuer = "https://idp.example"

    def verify(self, token: str) -> Identity:
        if not token.endswith(".sig"):
            raise InvalidToken("bad signature")
        return Identity(
            "carol", None, "idp-1", int(time.time()), int(time.time()) + 60, self.issuer
        )


def idp_token() -> str:
    import base64
    import json

    body = base64.urlsafe_b64encode(json.dumps({"iss": OtherIssuer.issuer}).encode()).decode()
    return f"eyJhbGciOiJSUzI1NiJ9.{body.rstrip('=')}.sig"


def test_tokens_are_verified_by_the_verifier_of_their_issuer_and_revoked_alike(
    pair: tuple[Process, Process],
) -> None:
    here, _ = pair
    with pytest.raises(InvalidToken, match="issuer is not accepted"):
        here.auth.authenticate(idp_token())
    here.auth.add(OtherIssuer())
    assert here.auth.authenticate(idp_token()).subject == "carol"
    here.service.revoke("cli", subject="carol")
    with pytest.raises(InvalidToken, match="every token of carol"):
        here.auth.authenticate(idp_token())


def b64(text: str) -> str:
    import base64

    return base64.urlsafe_b64encode(text.encode()).rstrip(b"=").decode()


DEEP = "[" * 2500 + "]" * 2500
HEAD = b64('{"alg": "HS256", "kid": "k0"}')
HOSTILE = [
    (DEEP, "{}", "xxxx"),
    ('{"alg": "HS256", "kid": "k0"}', DEEP, "xxxx"),
    ('{"alg": "HS256", "kid": "k0"}', '{"iss": ' + DEEP + "}", "xxxx"),
    ('{"alg": "HS256", "kid": "k0"}', '{"iss": "perfledger", "exp": 1e999}', "xxxx"),
    ('{"alg": "HS256", "kid": "k0"}', '{"iss": "perfledger"}', "xx"),
    ('{"alg": "HS256", "kid": "k0"}', "[1, 2]", "xxxx"),
    ("null", '{"iss": "perfledger"}', "xxxx"),
]


@pytest.mark.parametrize(
    "token", [f"{b64(head)}.{b64(body)}.{signature}" for head, body, signature in HOSTILE]
)
def test_hostile_json_inside_a_token_is_refused_as_invalid(
    pair: tuple[Process, Process], token: str
) -> None:
    with pytest.raises(InvalidToken):
        pair[0].auth.authenticate(token)


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.one_of(
        st.text(max_size=200),
        st.lists(
            st.text(alphabet="ABCDEFabcdef0123456789-_=", max_size=60), min_size=3, max_size=3
        ).map(".".join),
        st.lists(
            st.dictionaries(st.text(max_size=5), st.integers() | st.text(max_size=5)),
            min_size=2,
            max_size=2,
        ).map(lambda parts: f"{b64(json.dumps(parts[0]))}.{b64(json.dumps(parts[1]))}.xxxx"),
    )
)
def test_whatever_arrives_as_a_token_is_either_an_identity_or_invalid(
    pair: tuple[Process, Process], token: str
) -> None:
    with contextlib.suppress(InvalidToken):
        pair[0].auth.authenticate(token)
