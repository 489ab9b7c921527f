"""The dashboard's sign-in through the test provider, driven over HTTP: authorization code with
PKCE, the way back, the session handed over once, and every way it must refuse."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from fastapi.testclient import TestClient

from tests.integration.sso_world import ANN, api, bearer, running_provider, sso_settings
from tests.oidc_provider import OidcProvider, s256

CALLBACK = "http://testserver/v1/auth/callback"


@pytest.fixture
def provider() -> Iterator[OidcProvider]:
    with running_provider() as running:
        running.redirect_uris.add(CALLBACK)
        yield running


@pytest.fixture
def client(provider: OidcProvider, tmp_path: Path) -> Iterator[TestClient]:
    with api(tmp_path, **sso_settings(provider.issuer)) as running:
        yield running


def start(client: TestClient) -> dict[str, str]:
    """GET /v1/auth/login; the query it sends the browser to the issuer with."""
    answer = client.get("/v1/auth/login", follow_redirects=False)
    assert answer.status_code == 302
    assert "perfledger_login" in answer.headers["set-cookie"]
    assert "HttpOnly" in answer.headers["set-cookie"]
    return {k: v[0] for k, v in parse_qs(urlsplit(answer.headers["location"]).query).items()}


def sign_in_at_provider(provider: OidcProvider, query: dict[str, str], email: str) -> str:
    """What the user's browser does at the issuer: the form, submitted; the way back."""
    form = httpx.get(f"{provider.issuer}/authorize", params=query)
    assert form.status_code == 200 and 'id="email"' in form.text
    back = httpx.post(f"{provider.issuer}/authorize", data={**query, "email": email})
    assert back.status_code == 302
    return str(back.headers["location"])


def back_at(client: TestClient, location: str) -> httpx.Response:
    url = urlsplit(location)
    answer: httpx.Response = client.get(f"{url.path}?{url.query}", follow_redirects=False)
    return answer


def test_a_sign_in_ends_with_a_session_for_the_roster_person(
    provider: OidcProvider, client: TestClient
) -> None:
    query = start(client)
    assert query["code_challenge_method"] == "S256" and len(query["code_challenge"]) == 43
    assert query["redirect_uri"] == CALLBACK and query["state"] and query["nonce"]
    assert "openid" in query["scope"].split()
    location = sign_in_at_provider(provider, query, ANN.email)
    assert "code=" in location and f"state={query['state']}" in location

    landed = back_at(client, location)
    assert landed.status_code == 303 and landed.headers["location"] == "/"
    assert "token" not in landed.headers["location"]
    cookie = landed.headers["set-cookie"]
    assert (
        "perfledger_handoff" in cookie
        and "HttpOnly" in cookie
        and "Path=/v1/auth/session" in cookie
    )
    assert "samesite=strict" in cookie.lower()

    session = client.post("/v1/auth/session")
    assert session.status_code == 200 and session.headers["cache-control"] == "no-store"
    body = session.json()
    assert body["token_type"] == "Bearer" and body["expires_in"] == 3600
    me = client.get("/v1/me", headers=bearer(body["token"]))
    assert me.status_code == 200 and me.json()["display_name"] == "Ann Lee"
    # The session is handed over once.
    assert client.post("/v1/auth/session").status_code == 401


def test_the_code_is_exchanged_with_the_pkce_verifier_of_its_challenge(
    provider: OidcProvider, client: TestClient
) -> None:
    query = start(client)
    location = sign_in_at_provider(provider, query, ANN.email)
    (grant,) = provider.codes.values()
    assert grant.challenge == query["code_challenge"]
    assert back_at(client, location).status_code == 303
    assert provider.token_requests == 1  # and the provider checked s256(verifier) == challenge
    assert s256("a-guessed-verifier") != grant.challenge


def test_a_way_back_to_another_browser_is_refused(
    provider: OidcProvider, client: TestClient, tmp_path: Path
) -> None:
    location = sign_in_at_provider(provider, start(client), ANN.email)
    client.cookies.clear()  # the victim's browser never started this sign-in
    refused = back_at(client, location)
    assert refused.status_code == 401 and "no sign-in was started in this browser" in refused.text
    assert provider.token_requests == 0


def test_a_state_that_is_not_this_browsers_is_refused(
    provider: OidcProvider, client: TestClient
) -> None:
    mine = start(client)
    theirs = sign_in_at_provider(provider, {**mine, "state": "someone-elses"}, ANN.email)
    refused = back_at(client, theirs)
    assert refused.status_code == 401 and "not for the sign-in this browser started" in refused.text


def test_a_code_is_good_once(provider: OidcProvider, client: TestClient) -> None:
    location = sign_in_at_provider(provider, start(client), ANN.email)
    kept = client.cookies.get("perfledger_login")
    assert back_at(client, location).status_code == 303
    client.cookies.set("perfledger_login", str(kept), path="/v1/auth/callback")  # replayed
    replay = back_at(client, location)
    assert replay.status_code == 401 and "invalid_grant" in replay.text
    assert provider.token_requests == 2


def test_the_issuers_refusal_is_shown(provider: OidcProvider, client: TestClient) -> None:
    location = sign_in_at_provider(provider, start(client), "nobody@nowhere.example")
    refused = back_at(client, location)
    assert refused.status_code == 401 and "access_denied" in refused.text


def test_a_person_outside_the_roster_gets_no_session(
    provider: OidcProvider, client: TestClient
) -> None:
    refused = back_at(client, sign_in_at_provider(provider, start(client), "zed@elsewhere.example"))
    assert refused.status_code == 401
    assert "no person of the roster has the email" in refused.text
    assert "perfledger_handoff" not in refused.headers.get("set-cookie", "")


def test_a_tampered_sign_in_cookie_is_refused(provider: OidcProvider, client: TestClient) -> None:
    location = sign_in_at_provider(provider, start(client), ANN.email)
    kept = client.cookies.get("perfledger_login")
    assert kept is not None
    client.cookies.clear()
    head, body, _ = kept.split(".")
    client.cookies.set("perfledger_login", f"{head}.{body}.forged", path="/v1/auth/callback")
    refused = back_at(client, location)
    assert refused.status_code == 401 and "not genuine" in refused.text


def test_a_down_issuer_makes_the_sign_in_answer_503(
    provider: OidcProvider, client: TestClient
) -> None:
    provider.stop()
    answer = client.get("/v1/auth/login", follow_redirects=False)
    assert answer.status_code == 503 and answer.json()["unavailable"] == "oidc_issuer"


def test_without_an_issuer_the_dashboard_is_told_and_sign_in_is_404(tmp_path: Path) -> None:
    with api(tmp_path) as client:
        assert client.get("/v1/auth/config").json() == {"sso": False, "login_url": None}
        assert client.get("/v1/auth/login", follow_redirects=False).status_code == 404
        assert client.post("/v1/auth/session").status_code == 401
        assert client.get("/v1/me").status_code == 401


def test_sign_out_forgets_the_sign_in_and_names_the_issuers_page(
    provider: OidcProvider, client: TestClient
) -> None:
    assert client.get("/v1/auth/config").json() == {"sso": True, "login_url": "/v1/auth/login"}
    back_at(client, sign_in_at_provider(provider, start(client), ANN.email))
    out = client.post("/v1/auth/logout")
    assert out.json() == {"end_session_url": f"{provider.issuer}/logout"}
    assert client.post("/v1/auth/session").status_code == 401


def test_neither_the_code_nor_the_session_token_reaches_the_log(
    provider: OidcProvider, client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    location = sign_in_at_provider(provider, start(client), ANN.email)
    code = parse_qs(urlsplit(location).query)["code"][0]
    back_at(client, location)
    session = client.post("/v1/auth/session").json()["token"]
    client.get("/v1/me", headers=bearer(session))
    # Everything logged but by the test's own HTTP client (httpx), which prints the URLs it gets.
    logged = "\n".join(
        r.getMessage() for r in caplog.records if not r.name.startswith(("httpx", "httpcore"))
    )
    assert "/v1/auth/callback" in logged and "/v1/me" in logged  # the access log was captured
    assert code not in logged and session not in logged


def test_a_director_signs_in_and_acts_as_the_roster_says(
    provider: OidcProvider, client: TestClient
) -> None:
    landed = back_at(client, sign_in_at_provider(provider, start(client), "di@centre.example"))
    assert landed.status_code == 303
    session = client.post("/v1/auth/session").json()["token"]
    me = client.get("/v1/me", headers=bearer(session))
    assert me.status_code == 200 and me.json()["role"] == "director"
    # A director reads the centre's teams (and writes nothing but team goals).
    assert client.get("/v1/teams", headers=bearer(session)).status_code == 200
