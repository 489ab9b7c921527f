"""The API accepts the OpenID issuer's access tokens beside its own: verified against the
issuer's published keys (test provider on loopback), mapped to roster people."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from fastapi.testclient import TestClient

from engine.bootstrap.sso import sign_on
from engine.settings import Settings
from engine.sign_on import SignOnRefused
from tests.integration.sso_world import (
    ANN,
    BO,
    ROSTER,
    api,
    bearer,
    running_provider,
    silent_listener,
    sso_settings,
)
from tests.oidc_provider import Key, OidcProvider, new_rsa_key
from tests.support import token


@pytest.fixture
def provider() -> Iterator[OidcProvider]:
    with running_provider() as running:
        yield running


@pytest.fixture
def client(provider: OidcProvider, tmp_path: Path) -> Iterator[TestClient]:
    with api(tmp_path, **sso_settings(provider.issuer)) as running:
        yield running


def me(client: TestClient, access_token: str) -> tuple[int, dict[str, object]]:
    answer = client.get("/v1/me", headers=bearer(access_token))
    return answer.status_code, answer.json()


def test_a_good_access_token_signs_in_the_roster_person(
    provider: OidcProvider, client: TestClient
) -> None:
    status, body = me(client, provider.mint(email=ANN.email))
    assert status == 200
    assert body == {
        "person_id": "p-ann",
        "display_name": "Ann Lee",
        "role": "manager",
        "email": "ann@centre.example",
        "in_roster": True,
        "person_name": "Ann Lee",  # the names beside ids that every answer carries
    }
    # The principal is the roster's manager of team-east: the manager's routes answer.
    teams = client.get("/v1/teams", headers=bearer(provider.mint(email=ANN.email)))
    assert teams.status_code == 200


def test_an_es256_token_from_the_key_set_is_accepted(
    provider: OidcProvider, client: TestClient
) -> None:
    assert me(client, provider.mint(email=BO.email, key=provider.ec_key))[0] == 200


def test_the_local_token_keeps_working_beside_the_issuer(client: TestClient) -> None:
    answer = client.get("/v1/me", headers=token("agent", "p-bo"))
    assert answer.status_code == 200 and answer.json()["display_name"] == "Bo Chen"


@pytest.mark.parametrize(
    "claims,reason",
    [
        ({"exp": int(time.time()) - 3600}, "has expired"),
        ({"aud": "another-api"}, "its `aud` does not name 'perfledger-api'"),
        ({"aud": "perfledger"}, "its `aud` does not name"),  # an ID token is no access token
        ({"iat": None}, "lacks the `iat` claim"),
        ({"sub": None}, "lacks the `sub` claim"),
        ({"nbf": int(time.time()) + 3600}, "not valid yet"),
    ],
)
def test_tokens_the_api_must_not_accept_answer_401_with_the_reason(
    provider: OidcProvider, client: TestClient, claims: dict[str, Any], reason: str
) -> None:
    status, body = me(client, provider.mint(email=ANN.email, **claims))
    assert status == 401 and reason in str(body["detail"])
    assert body["title"] == "Unauthorized"


def test_a_token_of_another_issuer_is_not_the_issuers(
    provider: OidcProvider, tmp_path: Path
) -> None:
    forged = provider.mint(email=ANN.email, iss="https://evil.example")
    settings = Settings(data_dir=tmp_path, **sso_settings(provider.issuer))
    service = sign_on(settings, ROSTER)
    assert service is not None
    with pytest.raises(SignOnRefused, match="names another issuer"):
        service.issuer.access_claims(forged)


def test_a_token_of_another_issuer_answers_401(provider: OidcProvider, client: TestClient) -> None:
    assert me(client, provider.mint(email=ANN.email, iss="https://evil.example"))[0] == 401


def test_a_rotated_key_is_fetched_when_a_token_names_it(
    provider: OidcProvider, client: TestClient
) -> None:
    assert me(client, provider.mint(email=BO.email))[0] == 200
    fetched = provider.jwks_fetches
    provider.rotate(retire=True)
    assert me(client, provider.mint(email=BO.email))[0] == 200
    assert provider.jwks_fetches == fetched + 1


def test_unknown_key_ids_fetch_the_keys_at_most_once_per_interval(
    provider: OidcProvider, tmp_path: Path
) -> None:
    stranger = Key("never-published", "RS256", new_rsa_key())
    settings = sso_settings(provider.issuer, oidc_keys_refetch_seconds=3600)
    with api(tmp_path, **settings) as client:
        assert me(client, provider.mint(email=BO.email))[0] == 200
        for _ in range(3):
            status, body = me(client, provider.mint(email=BO.email, key=stranger))
            assert status == 401 and "a key it does not publish" in str(body["detail"])
        provider.rotate(retire=True)
        assert me(client, provider.mint(email=BO.email))[0] == 401  # rate-limited until later
    assert provider.jwks_fetches == 1


def test_alg_none_is_refused(provider: OidcProvider, client: TestClient) -> None:
    claims = jwt.decode(provider.mint(email=ANN.email), options={"verify_signature": False})
    unsigned = jwt.encode(claims, "", algorithm="none", headers={"kid": provider.signing_key.kid})
    status, body = me(client, unsigned)
    assert status == 401 and "signed with 'none'" in str(body["detail"])


def test_hs256_signed_with_the_public_key_is_refused(
    provider: OidcProvider, client: TestClient
) -> None:
    # Algorithm confusion: the issuer's public key (which anyone can fetch) used as an HMAC
    # secret. PyJWT refuses to make such a token, so it is put together by hand.
    public = provider.signing_key.private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    claims = jwt.decode(provider.mint(email=ANN.email), options={"verify_signature": False})
    header = {"alg": "HS256", "typ": "JWT", "kid": provider.signing_key.kid}
    signing_input = f"{b64(json.dumps(header).encode())}.{b64(json.dumps(claims).encode())}"
    signature = hmac.new(public, signing_input.encode(), hashlib.sha256).digest()
    status, body = me(client, f"{signing_input}.{b64(signature)}")
    assert status == 401 and "signed with 'HS256'" in str(body["detail"])


def test_a_token_whose_header_misnames_the_keys_algorithm_is_refused(
    provider: OidcProvider, client: TestClient
) -> None:
    forged = provider.mint(email=ANN.email, headers={"kid": provider.ec_key.kid})  # RS256 body
    status, body = me(client, forged)
    assert status == 401 and "is not an RS256 key" in str(body["detail"])


def test_a_tampered_token_is_refused(provider: OidcProvider, client: TestClient) -> None:
    head, body, signature = provider.mint(email=BO.email).split(".")
    claims = json.loads(base64.urlsafe_b64decode(body + "=="))
    claims["email"] = ANN.email
    tampered = f"{head}.{b64(json.dumps(claims).encode())}.{signature}"
    status, problem = me(client, tampered)
    assert status == 401 and "signature is not valid" in str(problem["detail"])


def test_a_person_not_in_the_roster_answers_401_naming_them(
    provider: OidcProvider, client: TestClient
) -> None:
    answer = client.get("/v1/me", headers=bearer(provider.mint(email="zed@elsewhere.example")))
    assert answer.status_code == 401
    assert answer.headers["content-type"] == "application/problem+json"
    assert (
        "no person of the roster has the email 'zed@elsewhere.example'" in answer.json()["detail"]
    )


def test_a_role_claim_admits_an_auditor_outside_the_roster_but_not_a_roster_persons_rise(
    provider: OidcProvider, tmp_path: Path
) -> None:
    with api(
        tmp_path, **sso_settings(provider.issuer, oidc_role_claim="perfledger_role")
    ) as client:
        external = provider.mint(email="zed@elsewhere.example", perfledger_role="auditor")
        assert client.get("/v1/teams", headers=bearer(external)).status_code == 200
        status, body = me(client, external)
        assert status == 200 and body["role"] == "auditor" and body["in_roster"] is False
        admin_only = "/v1/tokens/revocations"
        outside_admin = provider.mint(email="zed@elsewhere.example", perfledger_role="admin")
        assert client.get(admin_only, headers=bearer(outside_admin)).status_code == 200
        rising = provider.mint(email=BO.email, perfledger_role="admin")  # Bo is an agent
        assert client.get(admin_only, headers=bearer(rising)).status_code == 403
        assert me(client, rising)[1]["role"] == "agent"
        manager = provider.mint(email="zed@elsewhere.example", perfledger_role="manager")
        assert me(client, manager)[0] == 401


def test_the_person_can_be_matched_by_external_id(provider: OidcProvider, tmp_path: Path) -> None:
    settings = sso_settings(
        provider.issuer, oidc_person_claim="employee_number", oidc_person_match="external_id"
    )
    with api(tmp_path, **settings) as client:
        status, body = me(client, provider.mint(employee_number="E-2"))
        assert status == 200 and body["person_id"] == "p-bo"
        status, body = me(client, provider.mint(email=BO.email))
        assert status == 401 and "no `employee_number` claim" in str(body["detail"])
        status, body = me(client, provider.mint(employee_number="E-404"))
        assert status == 401 and "external_id 'E-404'" in str(body["detail"])


def test_an_issuer_that_is_down_answers_503_at_once(provider: OidcProvider, tmp_path: Path) -> None:
    access = provider.mint(email=ANN.email)
    provider.stop()  # connection refused from now on
    settings = sso_settings(provider.issuer, oidc_keys_refetch_seconds=60)
    with api(tmp_path, **settings) as client:
        for _ in range(2):  # the second is answered from the remembered failure
            answer = client.get("/v1/me", headers=bearer(access))
            assert answer.status_code == 503
            assert answer.json()["unavailable"] == "oidc_issuer"
            assert answer.headers["retry-after"] == "60"
        assert client.get("/v1/me", headers=token("agent", "p-bo")).status_code == 200


def test_an_issuer_that_never_answers_costs_the_timeout_then_503(
    provider: OidcProvider, tmp_path: Path
) -> None:
    with silent_listener() as hanging:
        access = provider.mint(email=ANN.email, iss=hanging)
        with api(tmp_path, **sso_settings(hanging, oidc_timeout_seconds=0.5)) as client:
            answer = client.get("/v1/me", headers=bearer(access))
    assert answer.status_code == 503 and "unavailable" in answer.json()["detail"]


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def test_revoking_a_person_or_one_token_refuses_the_issuers_tokens_too(
    provider: OidcProvider, client: TestClient
) -> None:
    before = provider.mint(email=ANN.email, iat=int(time.time()) - 5)
    marked = provider.mint(email=BO.email, jti="idp-token-7")
    assert me(client, before)[0] == 200 and me(client, marked)[0] == 200
    admin = token("admin", "root")
    for body in ({"subject": "p-ann", "reason": "left"}, {"jti": "idp-token-7", "reason": "leak"}):
        assert client.post("/v1/tokens/revocations", json=body, headers=admin).status_code == 201
    status, problem = me(client, before)
    assert status == 401 and "every token of p-ann" in str(problem["detail"])
    status, problem = me(client, marked)
    assert status == 401 and "revoked" in str(problem["detail"])
    assert me(client, provider.mint(email=BO.email))[0] == 200  # Bo's other tokens still work
