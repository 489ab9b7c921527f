"""The Issuer port's contract (engine/sign_on.py), run against its fake (tests/fakes.py) and the
real adapter (adapters/oidc/) talking to the test provider on loopback."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from engine.bootstrap.sso import sign_on
from engine.settings import Settings
from engine.sign_on import Issuer, IssuerUnavailable, PendingLogin, SignOnRefused
from tests.fakes import FakeIssuer
from tests.integration.sso_world import ROSTER, running_provider, sso_settings

EMAIL = "bo@centre.example"
CALLBACK = "http://127.0.0.1:9/v1/auth/callback"  # never called: the test plays the browser


@dataclass
class World:
    """An issuer behind the port, and what the test needs of its other side."""

    issuer: Issuer
    token: Callable[[str], str]  # a genuine access token naming the e-mail
    forged: Callable[[], str]  # a token of this issuer that is not genuine
    approve: Callable[[PendingLogin, str, str], str]  # the user signs in: the code
    take_down: Callable[[], Issuer]  # the issuer goes down: the port of a process started now


def fake_world() -> Iterator[World]:
    fake = FakeIssuer()

    def approve(pending: PendingLogin, url: str, email: str) -> str:
        return fake.approve(pending, email=email, aud="perfledger")

    def take_down() -> Issuer:
        fake.down = True
        return fake

    yield World(fake, lambda email: fake.token(email=email), lambda: "fake:0", approve, take_down)


def real_world(tmp_path: Path) -> Iterator[World]:
    with running_provider() as provider:
        provider.redirect_uris.add(CALLBACK)
        settings = Settings(data_dir=tmp_path, **sso_settings(provider.issuer))

        def issuer() -> Issuer:
            service = sign_on(settings, ROSTER)
            assert service is not None
            return service.issuer

        def approve(pending: PendingLogin, url: str, email: str) -> str:
            query = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
            back = httpx.post(f"{provider.issuer}/authorize", data={**query, "email": email})
            return parse_qs(urlsplit(back.headers["location"]).query)["code"][0]

        def forged() -> str:
            _, _, signature = provider.mint(email=EMAIL).split(".")
            head, body, _ = provider.mint(email="ann@centre.example").split(".")
            return f"{head}.{body}.{signature}"  # Ann's claims under Bo's signature

        def take_down() -> Issuer:
            provider.stop()
            return issuer()  # a process that had not reached the issuer before

        yield World(issuer(), lambda email: provider.mint(email=email), forged, approve, take_down)


@pytest.fixture(params=["fake", "real"])
def world(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[World]:
    yield from fake_world() if request.param == "fake" else real_world(tmp_path)


def test_a_genuine_token_gives_its_claims(world: World) -> None:
    token = world.token(EMAIL)
    claims = world.issuer.access_claims(token)
    assert claims["email"] == EMAIL and claims["sub"]


def test_a_token_that_is_not_genuine_is_refused(world: World) -> None:
    with pytest.raises(SignOnRefused):
        world.issuer.access_claims(world.forged())


def test_a_sign_in_gives_the_id_token_claims_once(world: World) -> None:
    url, pending = world.issuer.start(CALLBACK)
    assert f"state={pending.state}" in url and pending.redirect_uri == CALLBACK
    code = world.approve(pending, url, EMAIL)
    claims = world.issuer.finish(pending, code)
    assert claims["email"] == EMAIL and claims["nonce"] == pending.nonce
    with pytest.raises(SignOnRefused):
        world.issuer.finish(pending, code)


def test_a_down_issuer_is_unavailable(world: World) -> None:
    token = world.token(EMAIL)
    down = world.take_down()
    with pytest.raises(IssuerUnavailable):
        down.access_claims(token)
    with pytest.raises(IssuerUnavailable):
        down.start(CALLBACK)
