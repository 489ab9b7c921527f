"""The issuer's discovery document and keys: kept, refetched for an unknown key id at most once
per interval, and a failing issuer not asked again before that interval."""

from __future__ import annotations

import re
from typing import Any

import pytest

from adapters.oidc.keys import IssuerKeys, signing_keys
from engine.sign_on import IssuerUnavailable
from tests.oidc_provider import Key, new_rsa_key

ISSUER = "https://login.example"


class FakeWeb:
    """The issuer's two documents, a fetch log, and a switch to make it fail."""

    def __init__(self) -> None:
        self.keys = [Key("k1", "RS256", new_rsa_key())]
        self.fetched: list[str] = []
        self.down = False
        self.named_issuer = ISSUER

    def fetch(self, url: str) -> dict[str, Any]:
        self.fetched.append(url)
        if self.down:
            raise IssuerUnavailable(f"no answer from {url}")
        if url.endswith("/.well-known/openid-configuration"):
            return {
                "issuer": self.named_issuer,
                "authorization_endpoint": f"{ISSUER}/auth",
                "token_endpoint": f"{ISSUER}/token",
                "jwks_uri": f"{ISSUER}/keys",
            }
        return {"keys": [k.public_jwk() for k in self.keys]}

    def key_fetches(self) -> int:
        return sum(url.endswith("/keys") for url in self.fetched)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def web() -> FakeWeb:
    return FakeWeb()


def keys(web: FakeWeb, clock: Clock, refetch: float = 30.0, max_age: float = 3600.0) -> IssuerKeys:
    return IssuerKeys(ISSUER, web.fetch, max_age=max_age, refetch_seconds=refetch, clock=clock)


def test_keys_are_fetched_once_and_kept(web: FakeWeb) -> None:
    kept = keys(web, Clock())
    assert kept.key("k1") is not None and kept.key("k1") is not None
    assert kept.discovery().token_endpoint == f"{ISSUER}/token"
    assert web.key_fetches() == 1


def test_an_unknown_key_id_fetches_again_once_the_interval_has_passed(web: FakeWeb) -> None:
    clock = Clock()
    kept = keys(web, clock, refetch=30)
    kept.key("k1")
    web.keys.append(Key("k2", "RS256", new_rsa_key()))  # the issuer rotates
    assert kept.key("k2") is None  # within 30 s of the last fetch: not asked again
    assert kept.key("k3") is None
    assert web.key_fetches() == 1
    clock.now += 30
    assert kept.key("k2") is not None  # the rotated key is followed
    assert kept.key("k3") is None and web.key_fetches() == 2


def test_keys_older_than_the_max_age_are_fetched_again(web: FakeWeb) -> None:
    clock = Clock()
    kept = keys(web, clock, max_age=60)
    kept.key("k1")
    web.keys = [Key("k9", "RS256", new_rsa_key())]
    clock.now += 60
    assert kept.key("k1") is None and kept.key("k9") is not None


def test_a_failing_issuer_is_not_asked_again_before_the_interval(web: FakeWeb) -> None:
    clock = Clock()
    web.down = True
    kept = keys(web, clock, refetch=10)
    with pytest.raises(IssuerUnavailable, match="no answer"):
        kept.key("k1")
    with pytest.raises(IssuerUnavailable):
        kept.discovery()
    assert len(web.fetched) == 1  # the second request was answered from the failure
    web.down = False
    clock.now += 10
    assert kept.key("k1") is not None


def test_kept_keys_serve_while_the_issuer_is_down(web: FakeWeb) -> None:
    clock = Clock()
    kept = keys(web, clock, max_age=60)
    kept.key("k1")
    web.down = True
    clock.now += 120
    assert kept.key("k1") is not None  # stale but known: better than refusing everyone


def test_a_discovery_document_naming_another_issuer_is_refused(web: FakeWeb) -> None:
    web.named_issuer = "https://evil.example"
    with pytest.raises(
        IssuerUnavailable, match=re.escape("names the issuer 'https://evil.example'")
    ):
        keys(web, Clock()).discovery()


def test_only_rsa_and_ec_signing_keys_with_ids_are_kept() -> None:
    good = Key("ok", "RS256", new_rsa_key()).public_jwk()
    data = {
        "keys": [
            good,
            {**good, "kid": "enc", "use": "enc"},
            {**good, "kid": None},
            {"kty": "oct", "kid": "hmac", "k": "c2VjcmV0"},
            {"kty": "RSA", "kid": "broken", "n": "AQAB"},
            "not a key",
        ]
    }
    assert list(signing_keys(data)) == ["ok"]
