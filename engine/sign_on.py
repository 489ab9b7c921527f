"""Single sign-on: an OpenID issuer's tokens and sign-ins mapped to roster people.

The issuer itself (discovery, keys, the code exchange) is behind the `Issuer` port; the real
one is adapters/oidc/issuer.py, the fake tests/fakes.py. This module decides who a verified
set of claims is: the roster person the configured claim names, in their roster role, or (with
a role claim configured) a service role for someone outside the roster. A token says who the
caller is; the roster says the rest.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, Protocol

from engine.ports import Roster, RosterPerson
from engine.tokens import Identity, InvalidToken, Principal

Match = Literal["email", "external_id"]
# The roles a caller outside the roster may hold (as for local tokens): operators, auditors and
# machines. Everyone else must be a person of the roster.
SERVICE_ROLES: tuple[str, ...] = ("admin", "auditor", "ingest")


class SignOnRefused(Exception):
    """The issuer's token, or the person it names, is not accepted (401)."""


class IssuerUnavailable(Exception):
    """The issuer's discovery document, keys or token endpoint could not be reached (503)."""


@dataclass(frozen=True)
class PendingLogin:
    """What a sign-in keeps between the redirect to the issuer and the way back."""

    state: str
    nonce: str
    verifier: str  # the PKCE code verifier; only its S256 challenge went to the issuer
    redirect_uri: str


class Issuer(Protocol):
    """An OpenID Connect issuer as perfledger uses it (adapters/oidc/issuer.py; fake in tests)."""

    def access_claims(self, token: str) -> dict[str, Any]:
        """The verified claims of an access token; raises SignOnRefused, IssuerUnavailable."""
        ...

    def start(self, redirect_uri: str) -> tuple[str, PendingLogin]:
        """The issuer's authorization URL for a new sign-in, and what to keep until it returns."""
        ...

    def finish(self, pending: PendingLogin, code: str) -> dict[str, Any]:
        """The verified ID-token claims after exchanging the code; raises like access_claims."""
        ...

    def end_session_url(self) -> str | None:
        """Where the browser signs out at the issuer too, when the issuer says."""
        ...


@dataclass(frozen=True)
class PersonClaim:
    """Which claim names the person, what it matches in the roster, and the optional role claim."""

    claim: str = "email"
    match: Match = "email"
    role_claim: str | None = None


class SignOn:
    """The issuer's tokens and sign-ins turned into principals of roster people."""

    def __init__(self, issuer: Issuer, roster: Roster, mapping: PersonClaim) -> None:
        self.issuer = issuer
        self.roster = roster
        self.mapping = mapping

    def principal(self, access_token: str) -> Principal:
        """The principal of one of the issuer's access tokens."""
        return self.principal_of(self.issuer.access_claims(access_token))

    def start(self, redirect_uri: str) -> tuple[str, PendingLogin]:
        """Where to send the browser to sign in, and what to keep until it comes back."""
        return self.issuer.start(redirect_uri)

    def finish(self, pending: PendingLogin, code: str) -> Principal:
        """The principal of the person who signed in, once the code is exchanged and verified."""
        return self.principal_of(self.issuer.finish(pending, code))

    def end_session_url(self) -> str | None:
        return self.issuer.end_session_url()

    def principal_of(self, claims: dict[str, Any]) -> Principal:
        """The principal verified claims name; SignOnRefused when they name nobody perfledger
        knows.

        A roster person acts in their roster role (a manager for the teams they manage now),
        whatever the token says. Someone outside the roster is admitted only in a service role
        (admin, auditor, ingest) given by the configured role claim: operators and auditors the
        identity provider vouches for, and machine clients.
        """
        value = self.claimed(claims)
        person = self.find(value) if value is not None else None
        if person is not None:
            teams = self.roster.managed_teams(person.person_id) if person.role == "manager" else ()
            return Principal(person.role, person.person_id, teams)
        role = self.service_role(claims)
        if role is not None:
            return Principal(role, value or str(claims.get("sub", "")))
        claim = self.mapping.claim
        if value is None:
            raise SignOnRefused(f"the issuer's token has no `{claim}` claim to find the person by")
        raise SignOnRefused(
            f"no person of the roster has the {self.mapping.match} {value!r} (claim `{claim}` "
            "of the issuer's token): an administrator adds them to the roster"
        )

    def claimed(self, claims: dict[str, Any]) -> str | None:
        """The person claim's value, when it is a non-empty string."""
        value = claims.get(self.mapping.claim)
        return value.strip() if isinstance(value, str) and value.strip() else None

    def find(self, value: str) -> RosterPerson | None:
        if self.mapping.match == "email":
            return self.roster.person_by_email(value)
        return self.roster.person_by_external_id(value)

    def service_role(self, claims: dict[str, Any]) -> str | None:
        """The service role the role claim gives, if one is configured and given."""
        if self.mapping.role_claim is None:
            return None
        role = claims.get(self.mapping.role_claim)
        if isinstance(role, list):  # issuers often give roles as a list
            given = [r for r in role if r in SERVICE_ROLES]
            role = given[0] if len(given) == 1 else None
        return role if isinstance(role, str) and role in SERVICE_ROLES else None


class IssuerTokenVerifier:
    """The issuer's access tokens as the API's authenticator takes them (engine/authentication.py
    `TokenVerifier`): verified, mapped to the person, refused as InvalidToken (401)."""

    def __init__(self, sign_on: SignOn, issuer: str) -> None:
        self.sign_on = sign_on
        self._issuer = issuer

    @property
    def issuer(self) -> str:
        return self._issuer

    def verify(self, token: str) -> Identity:
        """The identity of the roster person (or service caller) an access token names."""
        try:
            claims = self.sign_on.issuer.access_claims(token)
            principal = self.sign_on.principal_of(claims)
        except SignOnRefused as refused:
            raise InvalidToken(str(refused)) from None
        jti = claims.get("jti")
        return Identity(
            subject=principal.subject,
            role=principal.role,
            # Revoking one issuer token needs its `jti`; without one, only the whole subject.
            jti=jti if isinstance(jti, str) and jti else f"oidc:{claims['iat']}:{claims['sub']}",
            issued_at=int(claims["iat"]),
            expires_at=int(claims["exp"]),
            issuer=self._issuer,
        )


def who(principal: Principal, roster: Roster) -> dict[str, Any]:
    """The caller as the dashboard shows them: from the roster when they are in it."""
    person = roster.person(principal.subject)
    if person is None:
        return {
            "person_id": principal.subject,
            "display_name": principal.subject,
            "role": principal.role,
            "email": None,
            "in_roster": False,
        }
    return {
        "person_id": person.person_id,
        "display_name": person.display_name,
        "role": person.role,
        "email": person.email or None,
        "in_roster": True,
    }
