"""Single sign-on: an OpenID issuer's tokens and sign-ins mapped to roster people.

The issuer itself (discovery, keys, the code exchange) is behind the `Issuer` port; the real
one is adapters/oidc/issuer.py, the fake tests/fakes.py. This module decides who a verified
set of claims is: the roster person the configured claim names, in the role the roster (or
the configured role claim) gives. A token says who the caller is; the roster says the rest.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, Protocol

from engine.ports import ROSTER_ROLES, Roster, RosterPerson
from engine.tokens import Principal

Match = Literal["email", "external_id"]


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

    def issued(self, token: str) -> bool:
        """Whether the token claims to come from this issuer (unverified: only to route it)."""
        ...

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

    def accepts(self, token: str) -> bool:
        """Whether a bearer token is the issuer's (else it is a local perfledger token)."""
        return self.issuer.issued(token)

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
        """The roster person verified claims name, as a principal; SignOnRefused when none."""
        person = self.person_of(claims)
        role = self.role_of(claims, person)
        teams = self.roster.managed_teams(person.person_id) if role == "manager" else ()
        return Principal(role, person.person_id, teams)

    def person_of(self, claims: dict[str, Any]) -> RosterPerson:
        claim = self.mapping.claim
        value = claims.get(claim)
        if not isinstance(value, str) or not value.strip():
            raise SignOnRefused(f"the issuer's token has no `{claim}` claim to find the person by")
        if self.mapping.match == "email":
            person = self.roster.person_by_email(value.strip())
        else:
            person = self.roster.person_by_external_id(value.strip())
        if person is None:
            raise SignOnRefused(
                f"no person of the roster has the {self.mapping.match} {value.strip()!r} "
                f"(claim `{claim}` of the issuer's token): an administrator adds them to "
                "the roster"
            )
        return person

    def role_of(self, claims: dict[str, Any], person: RosterPerson) -> str:
        role_claim = self.mapping.role_claim
        if role_claim is None or role_claim not in claims:
            return person.role
        role = claims[role_claim]
        if isinstance(role, list) and len(role) == 1:
            role = role[0]  # issuers often give roles as a list
        if role not in ROSTER_ROLES:
            raise SignOnRefused(
                f"the issuer's `{role_claim}` claim must be one of {', '.join(ROSTER_ROLES)}"
            )
        return str(role)


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
