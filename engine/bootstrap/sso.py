"""Single sign-on wired from settings: the OpenID issuer adapter and the engine's SignOn."""

from __future__ import annotations

from functools import partial

import requests

from adapters.oidc.issuer import Client, OidcIssuer
from adapters.oidc.keys import IssuerKeys, get_json
from engine.ports import Roster
from engine.settings import Settings
from engine.sign_on import IssuerTokenVerifier, PersonClaim, SignOn


def sign_on(settings: Settings, roster: Roster) -> SignOn | None:
    """SignOn with the configured issuer over the roster; None when no issuer is configured."""
    if settings.oidc_issuer is None or settings.oidc_client_id is None:
        return None
    keys = IssuerKeys(
        settings.oidc_issuer,
        partial(get_json, requests.Session(), timeout=settings.oidc_timeout_seconds),
        max_age=settings.oidc_keys_max_age_seconds,
        refetch_seconds=settings.oidc_keys_refetch_seconds,
    )
    secret = settings.oidc_client_secret
    client = Client(
        settings.oidc_client_id,
        secret.get_secret_value() if secret is not None else None,
        settings.oidc_scopes,
    )
    issuer = OidcIssuer(
        keys,
        client,
        audience=settings.oidc_audience or settings.oidc_client_id,
        leeway=settings.oidc_leeway_seconds,
        timeout=settings.oidc_timeout_seconds,
    )
    mapping = PersonClaim(
        settings.oidc_person_claim, settings.oidc_person_match, settings.oidc_role_claim
    )
    return SignOn(issuer, roster, mapping)


def issuer_tokens(settings: Settings, sign_on: SignOn) -> IssuerTokenVerifier:
    """The issuer's access tokens as one more verifier of the API's authenticator."""
    assert settings.oidc_issuer is not None
    return IssuerTokenVerifier(sign_on, settings.oidc_issuer)
