"""Tokens wired: the shared key ring and revocations over the read-model database, the local
issuer, and the authenticator the API asks who a caller is."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from adapters.sql import revocations, token_keys
from adapters.sql.database import Database, Timeouts
from engine.authentication import Authenticator
from engine.keyring import SharedKeyRing
from engine.revocation import RevocationList
from engine.services.tokens import TokenService
from engine.settings import Settings
from engine.tokens import LocalTokens


def create_token_tables(db: Database) -> None:
    token_keys.create_tables(db)
    revocations.create_tables(db)


def token_service(settings: Settings, db: Database) -> TokenService:
    """The local tokens over the ring and revocations this database holds."""
    refresh = settings.token_refresh_seconds
    ring = SharedKeyRing(token_keys.SqlSigningKeys(db), settings.signing_secret(), refresh)
    local = LocalTokens(
        ring,
        settings.token_issuer,
        settings.token_audience,
        settings.token_leeway_seconds,
        settings.token_max_ttl_seconds,
    )
    # A token revocation is kept as long as a token can live, plus the leeway.
    keep = settings.token_max_ttl_seconds + settings.token_leeway_seconds
    listed = RevocationList(revocations.SqlRevocations(db), refresh, keep)
    return TokenService(local, ring, listed)


def authenticator(service: TokenService) -> Authenticator:
    """Local tokens, checked against the revocations (further issuers are added to it)."""
    return Authenticator([service.tokens], service.revocations)


@contextmanager
def token_admin(settings: Settings) -> Iterator[TokenService]:
    """The token service over the database alone, for the CLI (no event store, no broker)."""
    settings.private_data_dir()
    db = Database(settings.database, timeouts=Timeouts.of(settings))
    try:
        create_token_tables(db)
        yield token_service(settings, db)
    finally:
        db.close()
