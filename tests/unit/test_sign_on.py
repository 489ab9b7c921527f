"""Single sign-on's mapping of an issuer's claims to roster people, and its settings."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pydantic import ValidationError

from engine.ports import RosterPerson, RosterTeam
from engine.roster_index import RosterIndex
from engine.settings import Settings
from engine.sign_on import IssuerUnavailable, PersonClaim, SignOn, SignOnRefused, who
from engine.tokens import Principal
from tests.fakes import FakeIssuer

ROSTER = RosterIndex(
    people=[
        RosterPerson("p-ann", "Ann Lee", "Ann.Lee@centre.example", "manager", external_id="E-1"),
        RosterPerson("p-bo", "Bo Chen", "bo@centre.example", "agent", external_id="E-2"),
    ],
    teams=[RosterTeam("team-east", "East", "site-1", "Asia/Shanghai", managers=("p-ann",))],
)


def sign_on(mapping: PersonClaim | None = None) -> tuple[SignOn, FakeIssuer]:
    issuer = FakeIssuer()
    return SignOn(issuer, ROSTER, mapping or PersonClaim()), issuer


def test_the_email_claim_finds_the_roster_person_whatever_its_case() -> None:
    service, issuer = sign_on()
    principal = service.principal(issuer.token(email="ann.lee@CENTRE.example"))
    assert principal == Principal("manager", "p-ann", ("team-east",))


def test_an_agent_gets_no_teams_from_the_token() -> None:
    service, issuer = sign_on()
    assert service.principal(issuer.token(email="bo@centre.example")) == Principal("agent", "p-bo")


def test_the_external_id_claim_finds_the_person_by_external_id() -> None:
    service, issuer = sign_on(PersonClaim(claim="employee_id", match="external_id"))
    assert service.principal(issuer.token(employee_id="E-2")).subject == "p-bo"
    with pytest.raises(SignOnRefused, match=re.escape("external_id 'bo@centre.example'")):
        service.principal(issuer.token(employee_id="bo@centre.example"))


def test_a_person_missing_from_the_roster_is_refused_by_name() -> None:
    service, issuer = sign_on()
    with pytest.raises(
        SignOnRefused, match=re.escape("no person of the roster has the email 'zed@x.example'")
    ):
        service.principal(issuer.token(email="zed@x.example"))


@pytest.mark.parametrize("value", [None, "", "  ", 42, ["ann.lee@centre.example"]])
def test_a_missing_or_malformed_person_claim_is_refused(value: object) -> None:
    service, issuer = sign_on()
    claims = {} if value is None else {"email": value}
    with pytest.raises(SignOnRefused, match="no `email` claim"):
        service.principal(issuer.token(**claims))


def test_a_roster_person_acts_in_the_roster_role_whatever_the_role_claim() -> None:
    service, issuer = sign_on(PersonClaim(role_claim="perf_role"))
    claimed = service.principal(issuer.token(email="bo@centre.example", perf_role="admin"))
    assert claimed == Principal("agent", "p-bo")


@pytest.mark.parametrize("role", ["admin", "auditor", "ingest", ["staff", "auditor"]])
def test_the_role_claim_admits_someone_outside_the_roster_in_a_service_role(role: object) -> None:
    service, issuer = sign_on(PersonClaim(role_claim="perf_role"))
    outside = service.principal(issuer.token(email="ext@audit.example", perf_role=role))
    expected = role[-1] if isinstance(role, list) else role
    assert outside == Principal(str(expected), "ext@audit.example")


def test_a_machine_client_without_the_person_claim_is_named_by_its_subject() -> None:
    service, issuer = sign_on(PersonClaim(role_claim="perf_role"))
    machine = issuer.token(sub="pbx-connector", perf_role="ingest")
    assert service.principal(machine) == Principal("ingest", "pbx-connector")


@pytest.mark.parametrize("role", ["manager", "agent", "director", "root", ["admin", "auditor"], 3])
def test_no_other_role_claim_admits_someone_outside_the_roster(role: object) -> None:
    service, issuer = sign_on(PersonClaim(role_claim="perf_role"))
    with pytest.raises(SignOnRefused, match="no person of the roster"):
        service.principal(issuer.token(email="ext@audit.example", perf_role=role))


def test_without_a_role_claim_configured_the_claim_admits_nobody() -> None:
    service, issuer = sign_on()
    with pytest.raises(SignOnRefused, match="no person of the roster"):
        service.principal(issuer.token(email="ext@audit.example", perf_role="admin"))


def test_a_forged_token_and_a_down_issuer_raise_what_the_api_maps() -> None:
    service, issuer = sign_on()
    with pytest.raises(SignOnRefused):
        service.principal("fake:never-issued")
    issuer.down = True
    with pytest.raises(IssuerUnavailable):
        service.principal(issuer.token(email="bo@centre.example"))


def test_a_sign_in_ends_with_the_person_it_names() -> None:
    service, issuer = sign_on()
    _, pending = service.start("https://perf.example/v1/auth/callback")
    code = issuer.approve(pending, email="bo@centre.example")
    assert service.finish(pending, code) == Principal("agent", "p-bo")
    with pytest.raises(SignOnRefused):
        service.finish(pending, code)  # a code is good once


def test_who_answers_from_the_roster_and_falls_back_to_the_token() -> None:
    assert who(Principal("agent", "p-bo"), ROSTER) == {
        "person_id": "p-bo",
        "display_name": "Bo Chen",
        "role": "agent",
        "email": "bo@centre.example",
        "in_roster": True,
    }
    outside = who(Principal("ingest", "pbx-1"), ROSTER)
    assert outside["display_name"] == "pbx-1" and outside["in_roster"] is False


def settings(tmp_path: Path, **values: object) -> Settings:
    return Settings(data_dir=tmp_path, **values)  # type: ignore[arg-type]


def test_an_issuer_needs_a_client_id(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="PERFLEDGER_OIDC_CLIENT_ID"):
        settings(tmp_path, oidc_issuer="https://login.example")


@pytest.mark.parametrize(
    "name,url",
    [
        ("oidc_issuer", "http://login.example"),
        ("oidc_issuer", "ftp://127.0.0.1/x"),
        ("oidc_issuer", "login.example"),
        ("oidc_redirect_base_url", "http://perf.example"),
    ],
)
def test_issuer_and_redirect_urls_must_be_https_off_loopback(
    tmp_path: Path, name: str, url: str
) -> None:
    values = {"oidc_issuer": "https://login.example", "oidc_client_id": "perfledger", name: url}
    with pytest.raises(ValidationError, match="https URL"):
        settings(tmp_path, **values)


def test_the_scopes_must_ask_for_openid(tmp_path: Path) -> None:
    with pytest.raises(ValidationError):
        settings(tmp_path, oidc_scopes="email profile")
    assert settings(tmp_path, oidc_scopes="email openid").oidc_scopes == "email openid"


def test_a_loopback_issuer_over_http_is_allowed_for_development(tmp_path: Path) -> None:
    configured = settings(
        tmp_path,
        oidc_issuer="http://127.0.0.1:9000",
        oidc_client_id="perfledger",
        oidc_client_secret="s3cret-value",
    )
    assert "s3cret-value" not in repr(configured)
    assert configured.as_environment()["PERFLEDGER_OIDC_CLIENT_SECRET"] == "s3cret-value"
