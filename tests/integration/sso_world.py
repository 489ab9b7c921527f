"""The single sign-on world of the integration tests: the test provider, a roster and the API."""

from __future__ import annotations

import contextlib
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from engine.ports import Roster, RosterPerson, RosterTeam
from engine.roster_index import RosterIndex
from tests.oidc_provider import OidcProvider
from tests.support import Pipeline, make_settings

ANN = RosterPerson("p-ann", "Ann Lee", "ann@centre.example", "manager", external_id="E-1")
BO = RosterPerson("p-bo", "Bo Chen", "bo@centre.example", "agent", external_id="E-2")
ROSTER = RosterIndex(
    people=[ANN, BO],
    teams=[RosterTeam("team-east", "East", "site-1", "Asia/Shanghai", managers=("p-ann",))],
)


@contextlib.contextmanager
def running_provider() -> Iterator[OidcProvider]:
    """The test provider on a free loopback port, with Ann, Bo and a stranger as its users;
    stopped whatever the test did."""
    provider = OidcProvider().start()
    try:
        provider.add_user(ANN.email, ANN.display_name)
        provider.add_user(BO.email, BO.display_name)
        provider.add_user("zed@elsewhere.example", "Zed Stranger")
        yield provider
    finally:
        provider.stop()


def sso_settings(provider_issuer: str, **overrides: Any) -> dict[str, Any]:
    return {
        "oidc_issuer": provider_issuer,
        "oidc_client_id": "perfledger",
        "oidc_client_secret": "provider-client-secret",
        "oidc_audience": "perfledger-api",
        "oidc_keys_refetch_seconds": 0,
        "oidc_timeout_seconds": 2,
        **overrides,
    }


@contextlib.contextmanager
def api(tmp_path: Path, roster: Roster = ROSTER, **settings: Any) -> Iterator[TestClient]:
    """The API over a fresh SQLite store (no broker) with these settings and this roster."""
    pipeline = Pipeline(make_settings(tmp_path, f"sqlite:///{tmp_path / 'p.db'}", None, **settings))
    # The roster's SQL view is wired by the roster's own work; until then the index goes in here.
    pipeline.container.roster = roster
    try:
        with TestClient(pipeline.container.api()) as client:
            yield client
    finally:
        pipeline.close()


@contextlib.contextmanager
def silent_listener() -> Iterator[str]:
    """A loopback address that accepts connections and never answers: an issuer that hangs."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(16)
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
